/**
 * @tollgate/hono: Stigg entitlement guards for Hono (no Node-only API: runs wherever Hono runs). On Cloudflare
 * Workers, usage a metered request committed is delivered through the request's `executionCtx.waitUntil()`.
 *
 *   const gate = tollgateHono({ client: tollgate, customerId: (c) => c.get('orgId') });
 *   app.get('/analytics', gate.requireFeature('feature-analytics'), (c) => c.json(c.get('entitlement')));
 *   app.get('/usage', gate.requireFeature('feature-analytics', (c) => c.json(c.get('entitlement'))));
 *   app.post('/reports', gate.meteredGuard('feature-api-calls', { usage: 1 }), handler);
 *
 * Given the handler, `requireFeature` returns the guarded handler itself rather than a middleware: a route with no
 * other handler stays on Hono's fast path (no middleware chain, no promise on a cache hit).
 *
 * Or per app: `app.use(entitlements({ client, customerId }))`, then `requireFeature(...)` / `meteredGuard(...)`.
 */
import type { Context, Handler, MiddlewareHandler, Next } from 'hono';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import {
  admit,
  admitMetered,
  guardSettings,
  replayAsResponse,
  scopedIdempotencyKey,
  settleAfterHandler,
  type Decision,
  type Denial,
  type GuardOutcome,
  type GuardSettings,
  type Tollgate,
} from '@tollgate/core';

declare module 'hono' {
  interface ContextVariableMap {
    /** The decision of the last guard that let the request through. */
    entitlement: Decision;
    /** Every guard's decision on this request, by feature id. */
    entitlements: Record<string, Decision>;
    tollgate: GuardSettings<Context>;
  }
}

/** Once per app: the Tollgate client and how to tell who the customer is (required; no header is trusted by default). */
export type EntitlementsOptions = GuardSettings<Context>;

export interface RequireFeatureOptions {
  /** Enum features: the values this request needs. */
  requestedValues?: (c: Context) => string[];
}

export interface MeteredGuardOptions {
  /** Units per request: a number (default 1), or computed after the handler from the context (and its response). */
  usage?: number | ((c: Context) => number);
  /** Whether the response counts as a success (and its usage is reported). Default: a 2xx status. */
  success?: (c: Context) => boolean;
  /** Opt-in (none by default: a header is the client's say), e.g. `(c) => c.req.header('Idempotency-Key')`. See the README: idempotency keys. */
  idempotencyKey?: (c: Context) => string | null | undefined;
  /** Record successful responses (bodies up to 64 KB) for replay to a retry with the same key. Default true. */
  replay?: boolean;
}

export const entitlements = (options: EntitlementsOptions) => {
  const settings = guardSettings(options);
  return createMiddleware((c, next) => {
    c.set('tollgate', settings);
    return next();
  });
};

function settingsOf(c: Context): GuardSettings<Context> {
  const settings = c.get('tollgate');
  if (!settings)
    throw new Error(
      '@tollgate/hono: app.use(entitlements({ client, customerId })) must run before requireFeature/meteredGuard',
    );
  return settings;
}

function remember(c: Context, featureId: string, decision: Decision): void {
  c.set('entitlement', decision);
  const all = c.get('entitlements');
  if (all) all[featureId] = decision;
  else c.set('entitlements', { [featureId]: decision });
}

/** A denial is an HTTPException carrying the problem response (`cause` is the Denial), so `app.onError` sees it. */
async function deny(settings: GuardSettings<Context>, denial: Denial, c: Context): Promise<void> {
  if (await settings.onDenied?.(denial, c)) return;
  const res = new Response(JSON.stringify(denial.body), { status: denial.status, headers: denial.headers });
  throw new HTTPException(denial.status as 401, { res, cause: denial });
}

/**
 * Work the request leaves to Tollgate (usage to deliver) handed to the request's `waitUntil` on runtimes that stop
 * a request's work with its response (Workers). Elsewhere there is none, and no execution context is looked for.
 */
function handOffBackgroundWork(c: Context, client: Tollgate): void {
  if (!client.hasBackgroundWork) return;
  let waitUntil: (work: Promise<unknown>) => void;
  try {
    const ctx = c.executionCtx; // Hono throws when the request came without one
    waitUntil = ctx.waitUntil.bind(ctx);
  } catch {
    return;
  }
  waitUntil(client.backgroundWork());
}

/** Where a guard finds the settings: on the context (set by `entitlements()`), or bound once (`tollgateHono`). */
type SettingsSource = (c: Context) => GuardSettings<Context>;

/**
 * A guard that lets the request through only when the customer is entitled to `featureId` (no extra promise on a
 * cache hit): a middleware, or, given the route's handler, that handler guarded (one handler for the route).
 */
export interface RequireFeature {
  (featureId: string, options?: RequireFeatureOptions): MiddlewareHandler;
  /**
   * The route's handler, guarded, to be the route's handler. Hono cannot type a handler passed through a function
   * from its route; annotate `c` (`Context<AppEnv, '/x/:id'>`) where its types matter.
   */
  <H extends Handler>(featureId: string, handler: H): H;
}

export const requireFeature: RequireFeature = (featureId: string, options?: RequireFeatureOptions | Handler) =>
  requireFeatureWith(settingsOf, featureId, options);

/** Reserves usage before the handler; reports it once the response succeeded, releases it otherwise (errors, aborts). */
export const meteredGuard = (featureId: string, options: MeteredGuardOptions = {}) =>
  meteredGuardWith(settingsOf, featureId, options);

/**
 * The settings bound once: `const gate = tollgateHono({ client, customerId })`, then
 * `app.get('/x', gate.requireFeature('feature-x'), handler)`: one middleware per guarded route, or
 * `app.get('/x', gate.requireFeature('feature-x', handler))`: one handler.
 */
export function tollgateHono(options: EntitlementsOptions) {
  const settings = guardSettings(options);
  const bound: SettingsSource = () => settings;
  const require: RequireFeature = (featureId: string, o?: RequireFeatureOptions | Handler) =>
    requireFeatureWith(bound, featureId, o);
  return {
    requireFeature: require,
    meteredGuard: (featureId: string, o: MeteredGuardOptions = {}) => meteredGuardWith(bound, featureId, o),
  };
}

/** `requireFeature` either way: a middleware with its options, or the handler guarded. */
// biome-ignore lint/suspicious/noExplicitAny: implements both overloads of RequireFeature
function requireFeatureWith(settingsOf: SettingsSource, featureId: string, o?: RequireFeatureOptions | Handler): any {
  const handler = typeof o === 'function' ? o : undefined;
  const requestedValues = typeof o === 'object' && o !== null ? o.requestedValues : undefined;
  // What follows a granted check: the rest of the chain (a middleware) or the route's handler.
  const granted = handler ?? ((_c: Context, next: Next) => next());
  const proceed = (out: GuardOutcome, c: Context, next: Next) => {
    if (out.denial) return deny(settingsOf(c), out.denial, c);
    remember(c, featureId, out.decision);
    return granted(c, next);
  };
  const guard = (c: Context, next: Next) => {
    const out = admit(settingsOf(c), c, featureId, requestedValues?.(c));
    return out instanceof Promise ? out.then((o) => proceed(o, c, next)) : proceed(out, c, next);
  };
  return handler ? guard : createMiddleware(guard as MiddlewareHandler);
}

const meteredGuardWith = (
  settingsOf: SettingsSource,
  featureId: string,
  { usage, success, idempotencyKey, replay = true }: MeteredGuardOptions,
) =>
  createMiddleware(async (c, next) => {
    const settings = settingsOf(c);
    const key = idempotencyKey ? scopedIdempotencyKey(`${c.req.method} ${c.req.routePath}`, idempotencyKey(c)) : null;
    const out = await admitMetered(settings, c, featureId, typeof usage === 'number' ? usage : 1, key);
    if (out.denial) return deny(settings, out.denial, c);
    remember(c, featureId, out.metered.decision);
    if (out.metered.replay) return replayAsResponse(out.metered.replay);
    try {
      await settleAfterHandler(out.metered, next, {
        record: key !== null && replay,
        response: () => c.res,
        signal: c.req.raw.signal, // read before the handler: some servers only abort a signal that exists
        error: () => c.error,
        status: () => c.res.status,
        success: success && (() => success(c)),
        units: typeof usage === 'function' ? () => usage(c) : undefined,
        onError: (err) => settings.client.events.emit('error', err),
      });
    } finally {
      handOffBackgroundWork(c, settings.client);
    }
  });

export type { Decision, Denial } from '@tollgate/core';
