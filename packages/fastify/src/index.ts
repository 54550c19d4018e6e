/**
 * @tollgate/fastify: Stigg entitlement guards for Fastify 5.
 *
 *   await app.register(tollgate, { client, customerId: (req) => req.user?.orgId });
 *   app.get('/analytics', { config: { entitlements: ['feature-analytics'] } }, handler);
 *   app.post('/reports', { config: { metered: { feature: 'feature-api-calls' } } }, handler);
 *   app.get('/export', { preHandler: app.requireFeature('feature-export') }, handler);
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import fp from 'fastify-plugin';
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

/** The Tollgate client and how to tell who the customer is (required; no header is trusted by default). */
export type TollgateFastifyOptions = GuardSettings<FastifyRequest>;

export interface RequireFeatureOptions {
  /** Enum features: the values this request needs. */
  requestedValues?: (req: FastifyRequest) => string[];
}

export interface MeteredGuardOptions {
  /** Units per request: a number (default 1), or computed from the request and reply as the response is written. */
  usage?: number | ((req: FastifyRequest, reply: FastifyReply) => number);
  /** Whether the response counts as a success (and its usage is reported). Default: a 2xx status. */
  success?: (req: FastifyRequest, reply: FastifyReply) => boolean;
  /** Opt-in (none by default: a header is the client's say), e.g. `(req) => req.headers['idempotency-key']`. */
  idempotencyKey?: (req: FastifyRequest) => string | string[] | null | undefined;
  /** Record successful responses (bodies up to 64 KB) for replay to a retry with the same key. Default true. */
  replay?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The decision of the last guard that let the request through. */
    entitlement: Decision | null;
    /** Every guard's decision on this request, by feature id. */
    entitlements: Record<string, Decision> | null;
  }
  interface FastifyInstance {
    /** A preHandler that lets the request through only when the customer is entitled to `featureId`. */
    requireFeature(featureId: string, options?: RequireFeatureOptions): preHandlerHookHandler;
    /** A preHandler that reserves usage; committed as the response is written if it succeeded, released otherwise. */
    meteredGuard(featureId: string, options?: MeteredGuardOptions): preHandlerHookHandler;
  }
  interface FastifyContextConfig {
    /** Features the route requires (each checked before the handler). */
    entitlements?: string[];
    /** A metered route: its feature, and the guard's options. */
    metered?: MeteredGuardOptions & { feature: string };
  }
}

function remember(req: FastifyRequest, featureId: string, decision: Decision): void {
  req.entitlement = decision;
  if (req.entitlements) req.entitlements[featureId] = decision;
  else req.entitlements = { [featureId]: decision };
}

async function deny(
  settings: TollgateFastifyOptions,
  denial: Denial,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (await settings.onDenied?.(denial, req)) return reply;
  return reply.code(denial.status).headers(denial.headers).send(JSON.stringify(denial.body));
}

/**
 * The hooks take Fastify's `done` callback: on a cache hit they answer at once, as a no-op hook does (an async hook
 * makes a promise per request, and Fastify waits a turn for it).
 */
function requireFeatureHook(
  settings: TollgateFastifyOptions,
  featureId: string,
  { requestedValues }: RequireFeatureOptions = {},
): preHandlerHookHandler {
  const proceed = (out: GuardOutcome, req: FastifyRequest, reply: FastifyReply, done: HookDone) => {
    if (out.denial) return answer(deny(settings, out.denial, req, reply), done);
    remember(req, featureId, out.decision);
    done();
  };
  return (req, reply, done) => {
    let out: GuardOutcome | Promise<GuardOutcome>;
    try {
      out = admit(settings, req, featureId, requestedValues?.(req));
    } catch (err) {
      return done(err as Error);
    }
    if (out instanceof Promise) out.then((o) => proceed(o, req, reply, done)).then(undefined, done);
    else proceed(out, req, reply, done);
  };
}

function meteredGuardHook(
  settings: TollgateFastifyOptions,
  featureId: string,
  { usage, success, idempotencyKey, replay = true }: MeteredGuardOptions = {},
): preHandlerHookHandler {
  const units = typeof usage === 'number' ? usage : 1;
  const proceed = (
    out: MeteredOutcome,
    key: string | null,
    req: FastifyRequest,
    reply: FastifyReply,
    done: HookDone,
  ) => {
    if (out.denial) return answer(deny(settings, out.denial, req, reply), done);
    remember(req, featureId, out.metered.decision);
    if (out.metered.replay) {
      reply.hijack(); // the recorded bytes are written as they were; Fastify does not send a reply of its own
      replayOnNodeResponse(reply.raw, out.metered.replay);
      return;
    }
    // Settled on the Node response as it is written: a success commits, anything else (an error status, a thrown
    // handler, a client that went away) releases.
    settleOnNodeResponse(out.metered, reply.raw, {
      success: success && (() => success(req, reply)),
      units: typeof usage === 'function' ? () => usage(req, reply) : undefined,
      onError: (err) => settings.client.events.emit('error', err),
      record: key !== null && replay,
    });
    done();
  };
  return (req, reply, done) => {
    let key: string | null = null;
    let out: MeteredOutcome | Promise<MeteredOutcome>;
    try {
      if (idempotencyKey) key = scopedIdempotencyKey(`${req.method} ${req.routeOptions.url}`, idempotencyKey(req));
      out = admitMetered(settings, req, featureId, units, key);
    } catch (err) {
      return done(err as Error);
    }
    if (out instanceof Promise) out.then((o) => proceed(o, key, req, reply, done)).then(undefined, done);
    else proceed(out, key, req, reply, done);
  };
}

type HookDone = (err?: Error) => void;

/** A denial being answered: the hook's chain stops there (`done` is called only with an error of the answer). */
function answer(answering: Promise<unknown>, done: HookDone): void {
  answering.then(undefined, (err: Error) => done(err));
}

const plugin: FastifyPluginAsync<TollgateFastifyOptions> = async (fastify, options) => {
  const settings = guardSettings(options);
  // Declared up front, so every request has the same shape.
  fastify.decorateRequest('entitlement', null);
  fastify.decorateRequest('entitlements', null);
  fastify.decorate('requireFeature', (featureId: string, o?: RequireFeatureOptions) =>
    requireFeatureHook(settings, featureId, o),
  );
  fastify.decorate('meteredGuard', (featureId: string, o?: MeteredGuardOptions) =>
    meteredGuardHook(settings, featureId, o),
  );
  // Per-route config, read once per route.
  fastify.addHook('onRoute', (route) => {
    const config = route.config as { entitlements?: string[]; metered?: MeteredGuardOptions & { feature: string } };
    const guards: preHandlerHookHandler[] = (config?.entitlements ?? []).map((f) => requireFeatureHook(settings, f));
    if (config?.metered) guards.push(meteredGuardHook(settings, config.metered.feature, config.metered));
    if (guards.length === 0) return;
    const own = route.preHandler ? (Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]) : [];
    route.preHandler = [...guards, ...own];
  });
};

/** The plugin: `await app.register(tollgate, { client, customerId })`. */
export const tollgate = fp(plugin, { fastify: '5.x', name: '@tollgate/fastify' });
export default tollgate;

export type { Decision, Denial } from '@tollgate/core';
