import type { Decision } from '../decision/types.js';
import type { Tollgate } from '../tollgate.js';
import type { MeteredRequest } from '../usage/usage-meter.js';
import { describeDenial, type Denial, type DenialOptions } from './denial.js';

/**
 * The request lifecycle every adapter runs, with the framework left out: the adapter resolves the customer,
 * calls these, renders a `Denial`, and settles metered requests when the response is done.
 */

/** Settings given once per app (`entitlements({...})` in Express, the same in Hono). */
export interface GuardSettings<Req> {
  client: Tollgate;
  /** Who the customer is. Required: no default trusts a client header. Return undefined when unknown. */
  customerId: (req: Req) => string | null | undefined | Promise<string | null | undefined>;
  /** The resource (several subscriptions per customer), if any. */
  resourceId?: (req: Req) => string | null | undefined;
  /** Statuses per denial kind and an upgrade URL. */
  denial?: DenialOptions;
  /** Called with every denial before it is rendered; return true when it has answered the request itself. */
  onDenied?: (denial: Denial, req: Req) => boolean | void | Promise<boolean | void>;
}

/** Checks the settings an adapter was given, once, at startup; returns them. */
export function guardSettings<Req>(options: GuardSettings<Req>): GuardSettings<Req> {
  if (!options?.client) throw new TypeError('entitlements(): `client` (a Tollgate) is required');
  if (typeof options.customerId !== 'function') {
    throw new TypeError('entitlements(): `customerId` (a function of the request) is required; no default trusts a client header');
  }
  return options;
}

export type GuardOutcome = { denial: Denial; decision?: undefined } | { denial?: undefined; decision: Decision };
export type MeteredOutcome = { denial: Denial; metered?: undefined } | { denial?: undefined; metered: MeteredRequest };

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as Promise<T>)?.then === 'function';

/**
 * Checks one feature for a request. Synchronous on a cache hit with a synchronous customer resolver: no promise
 * and no closure is made on that path.
 */
export function admit<Req>(settings: GuardSettings<Req>, req: Req, featureId: string, requestedValues?: string[]): GuardOutcome | Promise<GuardOutcome> {
  const id = settings.customerId(req);
  return isPromise(id) ? id.then((v) => admitCustomer(settings, req, featureId, requestedValues, v)) : admitCustomer(settings, req, featureId, requestedValues, id);
}

function admitCustomer<Req>(
  settings: GuardSettings<Req>,
  req: Req,
  featureId: string,
  requestedValues: string[] | undefined,
  id: string | null | undefined,
): GuardOutcome | Promise<GuardOutcome> {
  const customerId = id || null;
  if (!customerId) return { denial: describeDenial(featureId, null, null, settings.denial) };
  const decision = settings.client.check({ customerId, featureId, resourceId: settings.resourceId?.(req) ?? null, requestedValues });
  return isPromise(decision) ? decision.then((d) => outcome(settings, featureId, customerId, d)) : outcome(settings, featureId, customerId, decision);
}

function outcome<Req>(settings: GuardSettings<Req>, featureId: string, customerId: string, decision: Decision): GuardOutcome {
  return decision.hasAccess ? { decision } : { denial: describeDenial(featureId, customerId, decision, settings.denial) };
}

/** Checks and reserves `units` of a metered feature for a request. */
export async function admitMetered<Req>(
  settings: GuardSettings<Req>,
  req: Req,
  featureId: string,
  units: number,
  idempotencyKey: string | null,
): Promise<MeteredOutcome> {
  const customerId = (await settings.customerId(req)) || null;
  if (!customerId) return { denial: describeDenial(featureId, null, null, settings.denial) };
  const resourceId = settings.resourceId?.(req) ?? null;
  const metered = await settings.client.enter({ customerId, featureId, resourceId, units, idempotencyKey });
  return metered.allowed ? { metered } : { denial: describeDenial(featureId, customerId, metered.decision, settings.denial) };
}

/** The part of Node's `ServerResponse` the settle needs (Express' response; Fastify's `reply.raw`). */
export interface NodeResponseLike {
  statusCode: number;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * Settles a metered request when a Node response is done: `outcome()` (success and units, read once the response
 * finished) commits or releases; a response closed before it finished (the client went away) releases. An
 * `outcome` that throws releases too. Errors go to `onError`, never to the response.
 */
export function settleOnResponse(
  metered: MeteredRequest,
  res: NodeResponseLike,
  outcome: () => { success: boolean; units?: number },
  onError: (err: unknown) => void,
): void {
  const settle = (finished: boolean) => {
    let result: { success: boolean; units?: number } = { success: false };
    try {
      if (finished) result = outcome();
    } catch (err) {
      onError(err);
    }
    metered.settle(result).catch(onError);
  };
  res.once('finish', () => settle(true));
  res.once('close', () => settle(false)); // after 'finish' a no-op: only the first settle counts
}

/** Default success test: a 2xx response. */
export const isSuccessStatus = (status: number) => status >= 200 && status < 300;
