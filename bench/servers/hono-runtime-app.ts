/**
 * Benchmark child for other runtimes (Bun): GET /api/analytics on Hono served by the runtime's own server, bare,
 * behind one no-op middleware (the floor) or guarded by Tollgate on a cache hit (the
 * guarded handler as the route's only handler), each with the same connected
 * Tollgate client. argv: variant stiggUrl. Prints {"url"} when listening; GET /__cpu answers this process's CPU time.
 */
import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { createTollgate } from '@tollgate/core';
import { tollgateHono } from '@tollgate/hono';

const [variant, stiggUrl] = process.argv.slice(2) as ['bare' | 'floor' | 'guarded', string];
const FEATURE = 'feature-analytics';
const CUSTOMER = 'customer-pro';
const body = { visitors: 1234, conversion: 0.042 };

// Every variant holds the same connected client: only the route's work differs.
const tollgate = createTollgate({
  apiKey: 'server-tollgate-local',
  baseUrl: stiggUrl,
  logger: { warn: () => {}, error: () => {} },
});
await tollgate.ready();
await tollgate.check({ customerId: CUSTOMER, featureId: FEATURE }); // cached: every measured request is a hit

const app = new Hono();
const handler = (c: Context) => c.json(body);
if (variant === 'guarded')
  app.get(
    '/api/analytics',
    tollgateHono({ client: tollgate, customerId: () => CUSTOMER }).requireFeature(FEATURE, handler),
  );
else if (variant === 'floor')
  app.get(
    '/api/analytics',
    createMiddleware((_c, next) => next()),
    handler,
  );
else app.get('/api/analytics', handler);
app.get('/__cpu', (c) => c.json(process.cpuUsage()));

declare const Bun: { serve(o: { port: number; hostname: string; fetch: typeof app.fetch }): { port: number } };
const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch });
console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}` }));
process.once('SIGTERM', () => {
  void tollgate.close().then(() => process.exit(0));
});
