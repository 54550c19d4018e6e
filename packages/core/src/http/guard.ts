import type { Decision } from '../decision/types.js';
import { CHECK_RESOLVED, type Tollgate } from '../tollgate.js';
import type { RecordedResponse } from '../usage/types.js';
import { ENTER_AT_ONCE, SETTLED, type MeteredRequest } from '../usage/usage-meter.js';
import { andThen, isPromise, type MaybePromise } from '../util/maybe-async.js';
import { describeDenial, type Denial, type DenialOptions } from './denial.js';
import { isTollgateError, TollgateError } from '../errors.js';
import { concatBytes, fromBase64, toBase64 } from '../util/byte-encoding.js';
import { idFrom, idProblem } from '../util/ids.js';

/**
 * The request lifecycle every adapter runs, with the framework left out: the adapter resolves the customer,
 * calls these, renders a `Denial`, and settles metered requests when the response is done.
 */

/** Settings given once per app (`entitlements({...})` in Express, the same in Hono). */
export interface GuardSettings<Req> {
  client: Tollgate;
  /**
   * Who the customer is. Required: no default trusts a client header. Return undefined when unknown. Numbers (an
   * id from a database) are taken as their decimal string; anything else that is no id is denied as no-customer.
   */
  customerId: (req: Req) => string | number | null | undefined | Promise<string | number | null | undefined>;
  /** The resource (several subscriptions per customer), if any. */
  resourceId?: (req: Req) => string | number | null | undefined;
  /** Statuses per denial kind and an upgrade URL. */
  denial?: DenialOptions;
  /** Called with every denial before it is rendered; return true when it has answered the request itself. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that does not answer the request returns nothing
  onDenied?: (denial: Denial, req: Req) => boolean | void | Promise<boolean | void>;
}

/** Checks the settings an adapter was given, once, at startup; returns them. */
export function guardSettings<Req>(options: GuardSettings<Req>): GuardSettings<Req> {
  if (!options?.client) throw new TypeError('entitlements(): `client` (a Tollgate) is required');
  if (typeof options.customerId !== 'function') {
    throw new TypeError(
      'entitlements(): `customerId` (a function of the request) is required; no default trusts a client header',
    );
  }
  return options;
}

export type GuardOutcome = { denial: Denial; decision?: undefined } | { denial?: undefined; decision: Decision };
export type MeteredOutcome = { denial: Denial; metered?: undefined } | { denial?: undefined; metered: MeteredRequest };

/**
 * Checks one feature for a request. Synchronous on a cache hit with a synchronous customer resolver: no promise
 * and no closure is made on that path.
 */
export function admit<Req>(
  settings: GuardSettings<Req>,
  req: Req,
  featureId: string,
  requestedValues?: string[],
): GuardOutcome | Promise<GuardOutcome> {
  const id = settings.customerId(req);
  return isPromise(id)
    ? id.then((v) => admitCustomer(settings, req, featureId, requestedValues, v))
    : admitCustomer(settings, req, featureId, requestedValues, id);
}

/**
 * A resolver's answer as an id: strings, or numbers and bigints (ids from a database) as strings; null when there
 * is none. False when it is something that is no id (an array from `?c=a&c=b`, an object, a malformed string):
 * the request is then denied as `no-customer`, and the misconfiguration is logged once.
 */
function resolved<Req>(
  settings: GuardSettings<Req>,
  which: 'customerId' | 'resourceId',
  raw: unknown,
): string | null | false {
  const id = idFrom(raw);
  if (id !== undefined) return id;
  settings.client.warnOnce(
    `tollgate: the ${which} resolver returned something that is not an id (${idProblem(raw)}); such requests are denied as no-customer`,
  );
  return false;
}

/** The request's resource: null for none, false when the resolver answered something that is no id. */
const resourceOf = <Req>(settings: GuardSettings<Req>, req: Req): string | null | false =>
  settings.resourceId ? resolved(settings, 'resourceId', settings.resourceId(req)) : null;

function admitCustomer<Req>(
  settings: GuardSettings<Req>,
  req: Req,
  featureId: string,
  requestedValues: string[] | undefined,
  id: unknown,
): GuardOutcome | Promise<GuardOutcome> {
  const customerId = resolved(settings, 'customerId', id);
  const resourceId = customerId ? resourceOf(settings, req) : false;
  if (!customerId || resourceId === false) return { denial: describeDenial(featureId, null, null, settings.denial) };
  const client = settings.client;
  const query = { customerId, featureId, resourceId, requestedValues };
  // The ids were checked by `resolved` just now: not again (a client made otherwise, a test double, has only check).
  const decision = client[CHECK_RESOLVED] ? client[CHECK_RESOLVED](query) : client.check(query);
  return isPromise(decision)
    ? decision.then((d) => outcome(settings, featureId, customerId, d))
    : outcome(settings, featureId, customerId, decision);
}

function outcome<Req>(
  settings: GuardSettings<Req>,
  featureId: string,
  customerId: string,
  decision: Decision,
): GuardOutcome {
  return decision.hasAccess
    ? { decision }
    : { denial: describeDenial(featureId, customerId, decision, settings.denial) };
}

/**
 * Checks and reserves `units` of a metered feature for a request. At once (no promise) on a cache hit with a
 * synchronous customer resolver and units reserved in process (meter in memory, a lease block); throws what the
 * promise would reject with.
 */
export function admitMetered<Req>(
  settings: GuardSettings<Req>,
  req: Req,
  featureId: string,
  units: number,
  idempotencyKey: string | null,
): MaybePromise<MeteredOutcome> {
  return andThen(settings.customerId(req), (id) => {
    const customerId = resolved(settings, 'customerId', id);
    const resourceId = customerId ? resourceOf(settings, req) : false;
    if (!customerId || resourceId === false) return { denial: describeDenial(featureId, null, null, settings.denial) };
    const client = settings.client;
    const request = { customerId, featureId, resourceId, units, idempotencyKey: idempotencyKey || null };
    return andThen(client[ENTER_AT_ONCE](request), (metered): MaybePromise<MeteredOutcome> => {
      // A key already committed with nothing to replay buys nothing: the request is metered like any other.
      if (metered.duplicate && !metered.replay)
        return andThen(client[ENTER_AT_ONCE]({ ...request, idempotencyKey: null }), (m) =>
          meteredOutcome(settings, featureId, customerId, m),
        );
      return meteredOutcome(settings, featureId, customerId, metered);
    });
  });
}

function meteredOutcome<Req>(
  settings: GuardSettings<Req>,
  featureId: string,
  customerId: string,
  metered: MeteredRequest,
): MeteredOutcome {
  return metered.allowed
    ? { metered }
    : { denial: describeDenial(featureId, customerId, metered.decision, settings.denial, metered.inFlight) };
}

/**
 * A request's idempotency key as a guard uses it: the client's key (opt-in: a header is the client's say) scoped
 * to the route, so the same key on another route is another request (the meter scopes it further to customer,
 * resource and feature); null without one.
 */
export function scopedIdempotencyKey(route: string, key: unknown): string | null {
  return typeof key === 'string' && key !== '' ? `${route}\u0000${key}` : null;
}

/** Responses larger than this are not recorded for replay: a retry of such a request is metered like any other. */
export const MAX_RECORDED_BODY_BYTES = 64 * 1024;

/** Headers not replayed: they describe the original connection or message framing, not the answer. */
const NOT_REPLAYED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'set-cookie']);

export function replayHeaders(headers: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_REPLAYED.has(name.toLowerCase())) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

/** Sends a recorded response again on a Node response, marked `idempotent-replayed: true` (Node only: a Buffer). */
export function replayOnNodeResponse(
  res: { statusCode: number; setHeader(name: string, value: string | string[]): unknown; end(body: Buffer): unknown },
  recorded: RecordedResponse,
): void {
  res.statusCode = recorded.status;
  for (const [name, value] of Object.entries(recorded.headers)) res.setHeader(name, value);
  res.setHeader('idempotent-replayed', 'true');
  res.end(Buffer.from(recorded.body, 'base64'));
}

/** A recorded response as a fetch `Response`, marked `idempotent-replayed: true` (web APIs only: any runtime). */
export function replayAsResponse(recorded: RecordedResponse): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(recorded.headers))
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  headers.set('idempotent-replayed', 'true');
  return new Response(recorded.status === 204 || recorded.status === 304 ? null : fromBase64(recorded.body), {
    status: recorded.status,
    headers,
  });
}

/** A response body still streaming after this is not recorded (the response would wait for it). */
const RECORD_WITHIN_MS = 2_000;

/**
 * Reads a fetch `Response`'s body from a clone (web APIs only: any runtime), up to the bound; null when it is larger, an event stream, still
 * streaming after RECORD_WITHIN_MS, or unreadable.
 */
export async function recordResponse(response: Response): Promise<RecordedResponse | null> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > MAX_RECORDED_BODY_BYTES || response.headers.get('content-type')?.startsWith('text/event-stream'))
    return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.clone().body?.getReader();
  let late = false;
  const timer = setTimeout(() => {
    late = true; // the read in progress then ends as if the body were done: it is not recorded
    void reader?.cancel().catch(() => {});
  }, RECORD_WITHIN_MS);
  try {
    for (let part = await reader?.read(); reader && part && !part.done; part = await reader.read()) {
      size += part.value.byteLength;
      if (size > MAX_RECORDED_BODY_BYTES) {
        await reader.cancel();
        return null;
      }
      chunks.push(part.value);
    }
    if (late) return null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  return { status: response.status, headers: replayHeaders(headers), body: toBase64(concatBytes(chunks)) };
}

/** What decides a metered request's settle; shared by `settleOnNodeResponse` and `settleAfterHandler`. */
export interface SettleOptions {
  /** Whether the response succeeded (its usage is reported), from its status. Default: `isSuccessStatus` (2xx). */
  success?: (status: number) => boolean;
  /** The units to commit, evaluated once the response succeeded. Default: the units reserved. */
  units?: () => number;
  /**
   * Where a throwing `success`/`units` (the reservation is then released) and a failed settle are reported,
   * wrapped in a `TollgateError`. Never the response's business: a response that succeeded stands.
   */
  onError: (err: TollgateError) => void;
  /** Record the response (up to MAX_RECORDED_BODY_BYTES) with the commit, for replay to a retry with the same key. */
  record?: boolean;
}

export const RELEASE = { success: false } as const;

/** The outcome of a response with `status`; a throwing predicate or units function releases, and is reported. */
export function outcomeOf(
  status: number | (() => number),
  options: SettleOptions,
): { success: boolean; units?: number } {
  try {
    const success = (options.success ?? isSuccessStatus)(typeof status === 'number' ? status : status());
    return success ? { success, units: options.units?.() } : RELEASE;
  } catch (err) {
    report(
      options,
      new TollgateError(
        'INVALID_REQUEST',
        `metered request released: its success or usage function threw (${messageOf(err)})`,
        { cause: err },
      ),
    );
    return RELEASE;
  }
}

/**
 * Settles a metered request: null when it settled at once (in process), else a promise that never rejects (a
 * failed settle goes to `onError`).
 */
export function settle(
  metered: MeteredRequest,
  outcome: { success: boolean; units?: number; response?: RecordedResponse | null },
  options: SettleOptions,
): Promise<void> | null {
  const failed = (err: unknown) =>
    report(
      options,
      isTollgateError(err)
        ? err
        : new TollgateError('UNAVAILABLE', `settling a metered request failed (${messageOf(err)})`, { cause: err }),
    );
  try {
    const settling = metered.settle(outcome);
    return settling === SETTLED ? null : settling.then(undefined, failed);
  } catch (err) {
    failed(err);
    return null;
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** A reporter that throws must not break the response, nor leave a rejected promise behind. */
function report(options: SettleOptions, err: TollgateError): void {
  try {
    options.onError(err);
  } catch {
    // nothing left to tell
  }
}

/** For `settleAfterHandler`: how a fetch-style framework shows the handler's result. */
export interface HandlerSettleOptions extends SettleOptions {
  /** The response status, read after the handler ran. */
  status: () => number;
  /** The request's signal; an aborted request is released. Read it before the handler: some servers only abort a signal that exists. */
  signal?: AbortSignal | null;
  /** An error the framework recorded instead of throwing it (Hono's `c.error`); any releases. */
  error?: () => unknown;
  /** With `record`: the handler's response, recorded with the commit for replay. */
  response?: () => Response | undefined;
}

/**
 * Runs the downstream handler (`next`) and then settles a metered request (fetch-style frameworks: Hono, tRPC,
 * Workers): commits only when the handler did not throw, recorded no error, the request was not aborted and
 * `success` holds; releases otherwise. The settle is awaited (the response leaves after the commit); a handler
 * error is rethrown after the release, while errors of `success`, `units` and the settle go to `onError` only.
 */
export async function settleAfterHandler(
  metered: MeteredRequest,
  next: () => Promise<unknown>,
  options: HandlerSettleOptions,
): Promise<void> {
  let threw = true;
  try {
    await next();
    threw = false;
  } finally {
    const failed = threw || !!options.error?.() || !!options.signal?.aborted;
    const outcome = failed ? RELEASE : outcomeOf(options.status, options);
    const response = outcome.success && options.record ? options.response?.() : undefined;
    await settle(metered, response ? { ...outcome, response: await recordResponse(response) } : outcome, options);
  }
}

/** Default success test: a 2xx response. */
export const isSuccessStatus = (status: number) => status >= 200 && status < 300;
