/**
 * The demo API on Cloudflare Workers: the same Hono app as on Node, Bun and Deno (src/app.ts), unchanged.
 *
 * One Tollgate client per isolate, made by the first request (Workers allow timers and I/O only inside a handler),
 * with Stigg's URL and key from the Worker's environment. Workers hold no connection between requests, so there
 * is no stream: entitlements are cached in the isolate and asked of Stigg again once older than
 * `cache.freshForWhileDisconnectedMs`. Metered usage goes to Stigg through each request's `waitUntil` (the Hono
 * guards hand it over).
 */
import { createTollgate } from '@tollgate/core';
import type { ExecutionContext } from 'hono';
import { createApp } from './app.js';

/** The Worker's bindings (wrangler.toml `[vars]` and secrets). */
export interface Env {
  STIGG_SERVER_API_KEY: string;
  /** Default Stigg's API, `https://api.stigg.io`. */
  STIGG_BASE_URL?: string;
  /** How long a cached entitlement answers without asking Stigg again, in ms. Default 30 seconds. */
  TOLLGATE_CACHE_TTL_MS?: string;
}

let app: ReturnType<typeof createApp> | undefined;

function appFor(env: Env): ReturnType<typeof createApp> {
  const ttl = Number(env.TOLLGATE_CACHE_TTL_MS);
  const tollgate = createTollgate({
    apiKey: env.STIGG_SERVER_API_KEY,
    baseUrl: env.STIGG_BASE_URL,
    stream: false,
    cache: Number.isFinite(ttl) && ttl > 0 ? { freshForWhileDisconnectedMs: ttl } : {},
  });
  return createApp(tollgate);
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    app ??= appFor(env);
    return app.fetch(request, env, ctx);
  },
};
