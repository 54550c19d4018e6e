/**
 * Benchmark child: one route, GET /api/analytics, in a framework (express | hono) guarded one way
 * (unguarded | tollgate | stigg-sdk). argv: framework variant stiggUrl. Prints {"url"} when listening.
 */
import { createServer, type RequestListener } from 'node:http';
import express from 'express';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { getRequestListener } from '@hono/node-server';
import { Stigg } from '@stigg/node-server-sdk';
import { createTollgate } from '@tollgate/core';
import * as ex from '@tollgate/express';
import * as ho from '@tollgate/hono';

const [framework, variant, stiggUrl] = process.argv.slice(2) as ['express' | 'hono', 'unguarded' | 'noop' | 'noop-client' | 'tollgate' | 'stigg-sdk', string];
const FEATURE = 'feature-analytics';
// The app knows its customer already (its auth did that): what is measured is the guard, not identification.
// (Reading a header through Hono's Node adapter builds a whole Request, a cost of the adapter, not of the guard.)
const CUSTOMER = 'customer-pro';
const body = { visitors: 1234, conversion: 0.042 };

const tollgate = variant === 'tollgate' || variant === 'noop-client' ? createTollgate({ apiKey: 'server-tollgate-local', baseUrl: stiggUrl, logger: { warn: () => {}, error: () => {} } }) : null;
await tollgate?.ready();
const stigg =
  variant === 'stigg-sdk'
    ? Stigg.initialize({ apiKey: 'server-tollgate-local', baseUri: stiggUrl, wsUrl: stiggUrl.replace('http', 'ws'), baseEdgeUri: stiggUrl, logConfiguration: { logLevel: 'NONE' as never } } as never)
    : null;
await stigg?.waitForInitialization();

let listener: RequestListener;
if (framework === 'express') {
  const app = express();
  if (variant === 'tollgate') app.use(ex.entitlements({ client: tollgate, customerId: () => CUSTOMER }));
  const noop: express.RequestHandler = (_req, _res, next) => next();
  if (variant === 'noop' || variant === 'noop-client') app.use(noop);
  // The middleware Stigg's docs suggest: ask the SDK, answer 403 when not granted.
  const sdkGuard: express.RequestHandler = (_req, res, next) => {
    stigg!.getBooleanEntitlement({ customerId: CUSTOMER, featureId: FEATURE }).then((e) => (e.hasAccess ? next() : res.status(403).json({ error: 'forbidden' })), next);
  };
  const guards = variant === 'tollgate' ? [ex.requireFeature(FEATURE)] : variant === 'stigg-sdk' ? [sdkGuard] : variant === 'noop' || variant === 'noop-client' ? [noop] : [];
  app.get('/api/analytics', ...guards, (_req, res) => res.json(body));
  listener = app;
} else {
  const app = new Hono();
  if (variant === 'tollgate') app.use(ho.entitlements({ client: tollgate, customerId: () => CUSTOMER }));
  // Two pass-through middlewares: the shape a guarded route has (settings once per app, a guard per route).
  const noop = createMiddleware((_c, next) => next());
  if (variant === 'noop' || variant === 'noop-client') app.use(noop);
  const sdkGuard = createMiddleware(async (c, next) => {
    const e = await stigg!.getBooleanEntitlement({ customerId: CUSTOMER, featureId: FEATURE });
    if (!e.hasAccess) return c.json({ error: 'forbidden' }, 403);
    await next();
  });
  const guards = variant === 'tollgate' ? [ho.requireFeature(FEATURE)] : variant === 'stigg-sdk' ? [sdkGuard] : variant === 'noop' || variant === 'noop-client' ? [noop] : [];
  app.get('/api/analytics', ...(guards as []), (c) => c.json(body));
  listener = getRequestListener(app.fetch);
}

const server = createServer(listener);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
process.once('SIGTERM', () => {
  server.close();
  stigg?.close();
  void tollgate?.close().then(() => process.exit(0));
  if (!tollgate) process.exit(0);
});
