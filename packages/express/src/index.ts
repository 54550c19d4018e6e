/**
 * @tollgate/express: Stigg entitlement guards for Express 5.
 *
 *   app.use(entitlements({ client: tollgate, customerId: (req) => req.user?.orgId }));
 *   app.get('/analytics', requireFeature('feature-analytics'), handler);
 *   app.post('/reports', meteredGuard('feature-api-calls', { usage: 1 }), handler);
 */
import type { Request, RequestHandler, Response } from 'express';
import { admit, admitMetered, isSuccessStatus, type Decision, type Denial, type GuardSettings } from '@tollgate/core';

const SETTINGS = Symbol.for('tollgate.express.settings');
const DECISIONS = Symbol.for('tollgate.express.decisions');
type Carrier = Request & { [SETTINGS]?: GuardSettings<Request>; [DECISIONS]?: Map<string, Decision> };

/** Once per app: the Tollgate client and how to tell who the customer is (required; no header is trusted by default). */
export type EntitlementsOptions = GuardSettings<Request>;

export interface RequireFeatureOptions {
  /** Enum features: the values this request needs. */
  requestedValues?: (req: Request) => string[];
}

export interface MeteredGuardOptions {
  /** Units per request: a number (default 1), or computed after the handler from the request and response. */
  usage?: number | ((req: Request, res: Response) => number);
  /** Whether the response counts as a success (and its usage is reported). Default: a 2xx status. */
  success?: (req: Request, res: Response) => boolean;
  /** The request's idempotency key. Default: the `Idempotency-Key` header. */
  idempotencyKey?: (req: Request) => string | undefined;
}

export function entitlements(options: EntitlementsOptions): RequestHandler {
  if (!options?.client) throw new TypeError('entitlements(): `client` (a Tollgate) is required');
  if (typeof options.customerId !== 'function') {
    throw new TypeError('entitlements(): `customerId: (req) => string` is required; no default trusts a client header');
  }
  return (req, _res, next) => {
    (req as Carrier)[SETTINGS] = options;
    next();
  };
}

/** The decision a guard made for this request (the last one, or the one for `featureId`). */
export function getEntitlement(req: Request, featureId?: string): Decision | undefined {
  const decisions = (req as Carrier)[DECISIONS];
  return featureId ? decisions?.get(featureId) : [...(decisions?.values() ?? [])].pop();
}

function settingsOf(req: Request): GuardSettings<Request> {
  const settings = (req as Carrier)[SETTINGS];
  if (!settings) throw new Error('@tollgate/express: app.use(entitlements({ client, customerId })) must run before requireFeature/meteredGuard');
  return settings;
}

function remember(req: Request, featureId: string, decision: Decision): void {
  ((req as Carrier)[DECISIONS] ??= new Map()).set(featureId, decision);
}

async function render(settings: GuardSettings<Request>, denial: Denial, req: Request, res: Response): Promise<void> {
  if (await settings.onDenied?.(denial, req)) return;
  res.status(denial.status).set(denial.headers).send(JSON.stringify(denial.body));
}

/** Lets the request through only when the customer is entitled to `featureId`. */
export function requireFeature(featureId: string, options: RequireFeatureOptions = {}): RequestHandler {
  return (req, res, next) => {
    Promise.resolve()
      .then(() => admit(settingsOf(req), req, featureId, options.requestedValues?.(req)))
      .then(async (out) => {
        if (out.denial) return render(settingsOf(req), out.denial, req, res);
        remember(req, featureId, out.decision);
        next();
      })
      .catch(next);
  };
}

/** Reserves usage before the handler; reports it once the response succeeded, releases it otherwise (errors, aborts). */
export function meteredGuard(featureId: string, options: MeteredGuardOptions = {}): RequestHandler {
  const upfront = typeof options.usage === 'number' ? options.usage : 1;
  const succeeded = options.success ?? ((_req: Request, res: Response) => isSuccessStatus(res.statusCode));
  return (req, res, next) => {
    Promise.resolve()
      .then(() => admitMetered(settingsOf(req), req, featureId, upfront, (options.idempotencyKey ? options.idempotencyKey(req) : req.get('idempotency-key')) ?? null))
      .then(async (out) => {
        const settings = settingsOf(req);
        if (out.denial) return render(settings, out.denial, req, res);
        remember(req, featureId, out.metered.decision);
        const settle = (success: boolean) => {
          const units = success && typeof options.usage === 'function' ? options.usage(req, res) : undefined;
          out.metered.settle({ success, units }).catch((err: unknown) => settings.client.events.emit('error', err as never));
        };
        res.once('finish', () => settle(succeeded(req, res)));
        res.once('close', () => settle(false)); // after 'finish' a no-op; without it, the client went away
        next();
      })
      .catch(next);
  };
}

export type { Decision, Denial } from '@tollgate/core';
