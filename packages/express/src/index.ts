/**
 * @tollgate/express: Stigg entitlement guards for Express 5.
 *
 *   const gate = tollgateExpress({ client: tollgate, customerId: (req) => req.user?.orgId });
 *   app.get('/analytics', gate.requireFeature('feature-analytics'), handler);
 *   app.get('/usage', gate.requireFeature('feature-analytics', handler)); // the handler guarded: one hop
 *   app.post('/reports', gate.meteredGuard('feature-api-calls', { usage: 1 }), handler);
 *
 * Or per app: `app.use(entitlements({ client, customerId }))`, then `requireFeature(...)` / `meteredGuard(...)`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  admit,
  admitMetered,
  guardSettings,
  replayOnNodeResponse,
  scopedIdempotencyKey,
  settleOnNodeResponse,
  type Decision,
  type Denial,
  type GuardOutcome,
  type MeteredOutcome,
  type GuardSettings,
} from '@tollgate/core';

// Request state lives in res.locals (Express' place for it): new properties on `req` would slow Express down.
const SETTINGS = 'tollgateSettings';
interface Locals {
  [SETTINGS]?: GuardSettings<Request>;
  /** The decision of the last guard that let the request through. */
  entitlement?: Decision;
  /** Every guard's decision on this request, by feature id. */
  entitlements?: Record<string, Decision>;
}
const locals = (res: Response) => res.locals as Locals;

/** Once per app: the Tollgate client and how to tell who the customer is (required; no header is trusted by default). */
export type EntitlementsOptions = GuardSettings<Request>;

export interface RequireFeatureOptions {
  /** Enum features: the values this request needs. */
  requestedValues?: (req: Request) => string[];
}

export interface MeteredGuardOptions {
  /** Units per request: a number (default 1), or computed from the request and response as the response is written. */
  usage?: number | ((req: Request, res: Response) => number);
  /** Whether the response counts as a success (and its usage is reported). Default: a 2xx status. */
  success?: (req: Request, res: Response) => boolean;
  /** Opt-in (none by default: a header is the client's say), e.g. `(req) => req.get('Idempotency-Key')`. See the README: idempotency keys. */
  idempotencyKey?: (req: Request) => string | null | undefined;
  /** Record successful responses (bodies up to 64 KB) for replay to a retry with the same key. Default true. */
  replay?: boolean;
}

export function entitlements(options: EntitlementsOptions): RequestHandler {
  const settings = guardSettings(options);
  return (_req, res, next) => {
    locals(res)[SETTINGS] = settings;
    next();
  };
}

/** The decision a guard made for this request (the last one, or the one for `featureId`); also in `res.locals`. */
export function getEntitlement(req: Request, featureId?: string): Decision | undefined {
  const l = req.res ? locals(req.res) : undefined;
  return featureId ? l?.entitlements?.[featureId] : l?.entitlement;
}

function settingsOf(res: Response): GuardSettings<Request> {
  const settings = locals(res)[SETTINGS];
  if (!settings)
    throw new Error(
      '@tollgate/express: app.use(entitlements({ client, customerId })) must run before requireFeature/meteredGuard',
    );
  return settings;
}

function remember(res: Response, featureId: string, decision: Decision): void {
  const l = locals(res);
  l.entitlement = decision;
  (l.entitlements ??= {})[featureId] = decision;
}

async function render(settings: GuardSettings<Request>, denial: Denial, req: Request, res: Response): Promise<void> {
  if (await settings.onDenied?.(denial, req)) return;
  res.status(denial.status).set(denial.headers).send(JSON.stringify(denial.body));
}

/** Where a guard finds the settings: in `res.locals` (set by `entitlements()`), or bound once (`tollgateExpress`). */
type SettingsSource = (res: Response) => GuardSettings<Request>;

/**
 * Lets the request through only when the customer is entitled to `featureId` (synchronously on a cache hit): a
 * middleware before the route's handler, or, given the handler, the handler guarded.
 */
export interface RequireFeature {
  (featureId: string, options?: RequireFeatureOptions): RequestHandler;
  /**
   * The route's handler, guarded, to be the route's only handler: Express then runs one function for the route
   * where a guard and a handler would be two of its hops. Errors and rejected promises go to Express as the
   * handler's own would.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any handler Express takes, its own request and response types kept
  <H extends RequestHandler<any, any, any, any, any>>(featureId: string, handler: H): H;
}

export const requireFeature = ((featureId: string, o?: RequireFeatureOptions | RequestHandler) =>
  requireFeatureWith(settingsOf, featureId, o)) as RequireFeature;

/** Reserves usage before the handler; commits it as the response is written if it succeeded, releases it otherwise. */
export function meteredGuard(featureId: string, options: MeteredGuardOptions = {}): RequestHandler {
  return meteredGuardWith(settingsOf, featureId, options);
}

/** Guards bound to one set of settings: a route needs only its guard, no `entitlements()` middleware before it. */
export interface TollgateExpress {
  requireFeature: RequireFeature;
  meteredGuard(featureId: string, options?: MeteredGuardOptions): RequestHandler;
}

/**
 * The settings bound once: `const gate = tollgateExpress({ client, customerId })`, then
 * `app.get('/x', gate.requireFeature('feature-x'), handler)`: one middleware per guarded route, or
 * `app.get('/x', gate.requireFeature('feature-x', handler))`: one handler.
 */
export function tollgateExpress(options: EntitlementsOptions): TollgateExpress {
  const settings = guardSettings(options);
  const bound: SettingsSource = () => settings;
  return {
    requireFeature: ((featureId: string, o?: RequireFeatureOptions | RequestHandler) =>
      requireFeatureWith(bound, featureId, o)) as RequireFeature,
    meteredGuard: (featureId, o = {}) => meteredGuardWith(bound, featureId, o),
  };
}

/** `requireFeature` either way: a middleware with its options, or the handler guarded. */
function requireFeatureWith(
  settingsOf: SettingsSource,
  featureId: string,
  o?: RequireFeatureOptions | RequestHandler,
): RequestHandler {
  const handler = typeof o === 'function' ? o : undefined;
  const requestedValues = typeof o === 'object' && o !== null ? o.requestedValues : undefined;
  // What follows a granted check: the rest of the chain (a middleware) or the route's handler, whose result (a
  // promise of an async handler) is returned to Express as the handler's own would be.
  const proceed = (out: GuardOutcome, req: Request, res: Response, next: NextFunction): unknown => {
    if (out.denial) return void render(settingsOf(res), out.denial, req, res).catch(next);
    remember(res, featureId, out.decision);
    return handler ? handler(req, res, next) : next();
  };
  return (req: Request, res: Response, next: NextFunction) => {
    let out: GuardOutcome | Promise<GuardOutcome>;
    try {
      out = admit(settingsOf(res), req, featureId, requestedValues?.(req));
    } catch (err) {
      return next(err);
    }
    if (!(out instanceof Promise)) return proceed(out, req, res, next);
    out.then((o) => proceed(o, req, res, next)).then(undefined, next);
  };
}

function meteredGuardWith(settingsOf: SettingsSource, featureId: string, options: MeteredGuardOptions): RequestHandler {
  const { usage, success, idempotencyKey, replay = true } = options;
  const units = typeof usage === 'number' ? usage : 1;
  const unitsOf = typeof usage === 'function' ? usage : undefined;
  const proceed = (out: MeteredOutcome, key: string | null, req: Request, res: Response, next: NextFunction) => {
    const settings = settingsOf(res);
    if (out.denial) return void render(settings, out.denial, req, res).catch(next);
    remember(res, featureId, out.metered.decision);
    if (out.metered.replay) return replayOnNodeResponse(res, out.metered.replay);
    settleOnNodeResponse(
      out.metered,
      res,
      {
        success: success && (() => success(req, res)),
        units: unitsOf && (() => unitsOf(req, res)),
        onError: (err) => settings.client.events.emit('error', err),
        record: key !== null && replay,
      },
      next,
    );
  };
  return (req, res, next) => {
    let key: string | null = null;
    let out: MeteredOutcome | Promise<MeteredOutcome>;
    try {
      if (idempotencyKey)
        key = scopedIdempotencyKey(`${req.method} ${req.baseUrl}${req.route?.path ?? req.path}`, idempotencyKey(req));
      out = admitMetered(settingsOf(res), req, featureId, units, key);
      // On a cache hit with units reserved in process: on to the handler now, as `requireFeature` does.
      if (!(out instanceof Promise)) return proceed(out, key, req, res, next);
    } catch (err) {
      return next(err);
    }
    out.then((o) => proceed(o, key, req, res, next)).catch(next);
  };
}

export type { Decision, Denial } from '@tollgate/core';
