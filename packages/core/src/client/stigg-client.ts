import { ClientError, GraphQLClient } from 'graphql-request';
import { StiggApiError, TollgateError } from '../errors.js';
import type { Logger } from '../options.js';
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
}

const RETRYABLE_STATUS = new Set([408, 429, 502, 503, 504]);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

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
      return new StiggApiError('UNAUTHENTICATED', `${operation}: Stigg rejected the API key`, { cause: err, stiggCode, status });
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
    return new StiggApiError('UNAVAILABLE', `${operation}: Stigg did not answer in time`, { cause: err, retryable: true });
  }
  return new StiggApiError('UNAVAILABLE', `${operation}: cannot reach Stigg (${(err as Error)?.message ?? String(err)})`, {
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

  constructor(private readonly config: StiggClientConfig) {
    this.http = new GraphQLClient(config.graphqlUrl, {
      headers: { 'X-API-KEY': config.apiKey, source: 'tollgate' },
    });
  }

  async request<T>(document: string, variables: Record<string, unknown> | undefined, operation: string, options: RequestOptions): Promise<T> {
    const attempts = options.idempotent ? this.config.maxAttempts : 1;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.http.request<T>({
          document,
          variables,
          requestHeaders: { 'x-graphql-operation-name': operation },
          signal: AbortSignal.timeout(options.timeoutMs ?? this.config.timeoutMs),
        });
      } catch (raw) {
        const err = toTollgateError(raw, operation);
        if (!err.retryable || attempt + 1 >= attempts) throw err;
        const delay = backoff(attempt, this.config.retryBaseMs, this.config.retryMaxMs);
        this.config.logger.debug?.(`tollgate: ${operation} failed (${err.message}); attempt ${attempt + 2}/${attempts} in ${Math.round(delay)} ms`);
        await sleep(delay);
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

  /** Validates the key (Stigg's SDK does the same at startup). */
  async checkKey(): Promise<void> {
    await this.request(doc.SDK_CONFIGURATION, undefined, 'GetSdkConfiguration', { idempotent: true });
  }

  /** Usage records with idempotency keys are safe to repeat. */
  async reportUsageBulk(
    usages: { customerId: string; resourceId?: string | null; featureId: string; value: number; updateBehavior?: 'DELTA' | 'SET'; idempotencyKey?: string }[],
  ): Promise<UsageAck[]> {
    const idempotent = usages.every((u) => !!u.idempotencyKey);
    const data = await this.request<{ reportUsageBulk: UsageAck[] }>(doc.REPORT_USAGE_BULK, { input: { usages } }, 'ReportUsageBulk', { idempotent });
    return data.reportUsageBulk;
  }
}
