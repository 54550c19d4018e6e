import { ClientError, GraphQLClient } from 'graphql-request';
import { StiggApiError, TollgateError } from '../errors.js';
import type { Logger } from '../options.js';
import type { TelemetrySink } from '../telemetry/sink.js';
import * as doc from './documents.js';
import type { UsageAck, WireEntitlement } from './wire-types.js';

export interface StiggClientConfig {
  apiKey: string;
  /** `${baseUrl}/graphql` */
  graphqlUrl: string;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Attempts in all for what is safe to repeat (reads, idempotent writes). */
  maxAttempts: number;
  /** Backoff base and cap between attempts; full jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
  logger: Logger;
}

export interface RequestOptions {
  /** Safe to send again after a failure whose outcome is unknown (reads; writes with idempotency keys). */
  idempotent: boolean;
  timeoutMs?: number;
  /** Gives up: no further attempt or wait (the attempt in flight is aborted). */
  signal?: AbortSignal;
  /** Attempts in all for an idempotent call; default `maxAttempts`. */
  attempts?: number;
  /** Told of each failed attempt (before the wait for the next). */
  failed?: (err: TollgateError) => void;
}

/** One usage record as Stigg's `reportUsage` and `reportUsageBulk` take it. */
export interface UsageRecordInput {
  customerId: string;
  resourceId?: string | null;
  featureId: string;
  value: number;
  updateBehavior?: 'DELTA' | 'SET';
  idempotencyKey?: string;
}

const RETRYABLE_STATUS = new Set([408, 429, 502, 503, 504]);
/**
 * The wait between attempts. Its timer is ref'd: a caller awaits the request, so Node must not exit under it
 * (with nothing else open, an unref'd wait let a script end silently mid-retry). Ends early when `signal` aborts.
 */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2^attempt)). */
export function backoff(attempt: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

/** Maps whatever a request threw to one TollgateError; the API key is in no message. */
export function toTollgateError(err: unknown, operation: string): TollgateError {
  if (err instanceof TollgateError) return err;
  if (err instanceof ClientError) {
    const status = err.response.status;
    const first = err.response.errors?.[0] as { message?: string; extensions?: { code?: string } } | undefined;
    const stiggCode = first?.extensions?.code;
    const message = `${operation}: ${first?.message ?? `HTTP ${status}`}`;
    if (stiggCode === 'Unauthenticated' || status === 401) {
      return new StiggApiError('UNAUTHENTICATED', `${operation}: Stigg rejected the API key`, {
        cause: err,
        stiggCode,
        status,
      });
    }
    if (stiggCode === 'RateLimitExceeded' || status === 429) {
      return new StiggApiError('RATE_LIMITED', message, { cause: err, stiggCode, status, retryable: true });
    }
    if (status >= 500 || RETRYABLE_STATUS.has(status)) {
      return new StiggApiError('UNAVAILABLE', message, { cause: err, stiggCode, status, retryable: status !== 500 });
    }
    return new StiggApiError('STIGG_ERROR', message, { cause: err, stiggCode, status });
  }
  const name = (err as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new StiggApiError('UNAVAILABLE', `${operation}: Stigg did not answer in time`, {
      cause: err,
      retryable: true,
    });
  }
  // fetch says only "fetch failed"; the socket's error (ECONNREFUSED, ENOTFOUND, ...) is its cause.
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const why = [(err as Error)?.message ?? String(err), cause?.code ?? cause?.message].filter(Boolean).join(': ');
  return new StiggApiError('UNAVAILABLE', `${operation}: cannot reach Stigg (${why})`, {
    cause: err,
    retryable: true,
  });
}

/**
 * Stigg's GraphQL API over HTTP (graphql-request): per-attempt timeouts, retries with jittered backoff for what
 * is safe to repeat, one error mapping.
 */
export class StiggClient {
  private readonly http: GraphQLClient;

  /** Set while an instrumenter is attached: every call runs through it. */
  telemetry: TelemetrySink | null = null;

  constructor(private readonly config: StiggClientConfig) {
    this.http = new GraphQLClient(config.graphqlUrl, {
      headers: { 'X-API-KEY': config.apiKey, source: 'tollgate' },
    });
  }

  request<T>(
    document: string,
    variables: Record<string, unknown> | undefined,
    operation: string,
    options: RequestOptions,
  ): Promise<T> {
    const telemetry = this.telemetry;
    if (telemetry === null) return this.send<T>(document, variables, operation, options);
    const type = document.trimStart().startsWith('mutation') ? 'mutation' : 'query';
    return telemetry.stiggCall(operation, type, () => this.send<T>(document, variables, operation, options));
  }

  private async send<T>(
    document: string,
    variables: Record<string, unknown> | undefined,
    operation: string,
    options: RequestOptions,
  ): Promise<T> {
    const attempts = options.idempotent ? (options.attempts ?? this.config.maxAttempts) : 1;
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const outer = options.signal;
    for (let attempt = 0; ; attempt++) {
      if (outer?.aborted) throw toTollgateError(outer.reason, operation);
      // One signal per attempt: its own deadline (a ref'd timer, cleared when the attempt ends: the caller waits on
      // it) or the caller giving up.
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
        timeoutMs,
      );
      const giveUp = () => controller.abort(outer!.reason);
      outer?.addEventListener('abort', giveUp, { once: true });
      try {
        return await this.http.request<T>({
          document,
          variables,
          requestHeaders: { 'x-graphql-operation-name': operation },
          signal: controller.signal,
        });
      } catch (raw) {
        clearTimeout(timer);
        const err = toTollgateError(raw, operation);
        if (!err.retryable || attempt + 1 >= attempts || outer?.aborted) throw err;
        options.failed?.(err);
        const delay = backoff(attempt, this.config.retryBaseMs, this.config.retryMaxMs);
        this.config.logger.debug?.(
          `tollgate: ${operation} failed (${err.message}); attempt ${attempt + 2}/${attempts} in ${Math.round(delay)} ms`,
        );
        await sleep(delay, outer);
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener('abort', giveUp);
      }
    }
  }

  async getEntitlements(customerId: string, resourceId: string | null): Promise<WireEntitlement[]> {
    const data = await this.request<{ entitlements: WireEntitlement[] }>(
      doc.GET_ENTITLEMENTS,
      { query: { customerId, resourceId } },
      'GetEntitlements',
      { idempotent: true },
    );
    return data.entitlements;
  }

  /**
   * Validates the key (Stigg's SDK does the same at startup). With `untilAborted`, a Stigg that cannot be reached
   * is tried again (backoff) until `signal` aborts, each failure told to `failed`.
   */
  async checkKey(signal?: AbortSignal, untilAborted?: { failed: (err: TollgateError) => void }): Promise<void> {
    await this.request(doc.SDK_CONFIGURATION, undefined, 'GetSdkConfiguration', {
      idempotent: true,
      signal,
      ...(untilAborted ? { attempts: Number.POSITIVE_INFINITY, failed: untilAborted.failed } : {}),
    });
  }

  /**
   * Usage records with idempotency keys are safe to repeat. `signal` gives up (a drain's deadline), `timeoutMs`
   * bounds each attempt (default: the client's); `attempts: 1`
   * leaves retrying to the caller (the outbox: a refusal after an attempt whose outcome is unknown must not read as
   * "nothing was applied").
   */
  /**
   * One usage report (DELTA or SET) that answers the new usage. With its idempotency key it is sent again after a
   * failure whose outcome is unknown (Stigg applies a key once); `failed` hears of each failed attempt.
   */
  async reportUsage(
    usage: UsageRecordInput & Required<Pick<UsageRecordInput, 'updateBehavior' | 'idempotencyKey'>>,
    failed?: (err: TollgateError) => void,
  ): Promise<UsageAck> {
    const data = await this.request<{ reportUsage: UsageAck }>(doc.REPORT_USAGE, { input: usage }, 'ReportUsage', {
      idempotent: true,
      failed,
    });
    return data.reportUsage;
  }

  async reportUsageBulk(
    usages: UsageRecordInput[],
    options: { signal?: AbortSignal; attempts?: number; timeoutMs?: number } = {},
  ): Promise<UsageAck[]> {
    const idempotent = usages.every((u) => !!u.idempotencyKey);
    const data = await this.request<{ reportUsageBulk: UsageAck[] }>(
      doc.REPORT_USAGE_BULK,
      { input: { usages } },
      'ReportUsageBulk',
      {
        idempotent,
        signal: options.signal,
        attempts: options.attempts,
        timeoutMs: options.timeoutMs,
      },
    );
    return data.reportUsageBulk;
  }
}
