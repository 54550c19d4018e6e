// ESM: every package's ESM build, the Express and Hono guards against stigg-local started from its package,
// the import engine from @tollgate/cli, and the test double from @tollgate/core/testing.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { runImport } from '@tollgate/cli';
import { createTollgate, isTollgateError, Tollgate, TollgateError } from '@tollgate/core';
import { createTestTollgate } from '@tollgate/core/testing';
import * as ex from '@tollgate/express';
import * as ho from '@tollgate/hono';
import { tollgate as tollgateFastify } from '@tollgate/fastify';
import Fastify from 'fastify';
import { DEFAULT_API_KEY, startStiggLocal } from '@tollgate/stigg-local';
import express from 'express';
import { Hono } from 'hono';

const quiet = { warn: () => {}, error: () => {} };
const customers = { free: 'customer-free', pro: 'customer-pro', enterprise: 'customer-enterprise' };

const stigg = await startStiggLocal({ port: 0, log: () => {} });
const tollgate = createTollgate({ apiKey: DEFAULT_API_KEY, baseUrl: stigg.url, logger: quiet });
await tollgate.ready();

/** A feature's current usage as stigg-local holds it, over Stigg's GraphQL API. */
async function stiggUsage(customerId) {
  const res = await fetch(stigg.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': DEFAULT_API_KEY },
    body: JSON.stringify({
      query: `{ cachedEntitlements(query: {customerId: "${customerId}"}) { feature { refId } currentUsage } }`,
    }),
  });
  const { data } = await res.json();
  return data.cachedEntitlements.find((e) => e.feature.refId === 'feature-api-calls')?.currentUsage ?? 0;
}

/** Waits until the usage metered by the guards was delivered to stigg-local. */
async function delivered(customerId, expected) {
  for (let i = 0; i < 50; i++) {
    await tollgate.flushUsage();
    if ((await stiggUsage(customerId)) === expected) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${customerId}: usage ${expected} never reached stigg-local (${await stiggUsage(customerId)})`);
}

const listen = (server) =>
  new Promise((resolve) => server.once('listening', () => resolve(`http://127.0.0.1:${server.address().port}`)));

// Express
const app = express();
app.use(ex.entitlements({ client: tollgate, customerId: (req) => customers[req.get('x-token') ?? ''] }));
app.get('/analytics', ex.requireFeature('feature-analytics'), (req, res) =>
  res.json({ hasAccess: ex.getEntitlement(req)?.hasAccess }),
);
app.post('/reports', ex.meteredGuard('feature-api-calls', { usage: 1 }), (_req, res) => res.json({ ok: true }));
const expressServer = app.listen(0, '127.0.0.1');
const expressUrl = await listen(expressServer);

let res = await fetch(`${expressUrl}/analytics`, { headers: { 'x-token': 'pro' } });
assert.equal(res.status, 200);
assert.deepEqual(await res.json(), { hasAccess: true });
res = await fetch(`${expressUrl}/analytics`, { headers: { 'x-token': 'free' } });
assert.equal(res.status, 403);
assert.match(res.headers.get('content-type'), /application\/problem\+json/);
assert.equal((await res.json()).feature, 'feature-analytics');
assert.equal((await fetch(`${expressUrl}/analytics`)).status, 401);
assert.equal((await fetch(`${expressUrl}/reports`, { method: 'POST', headers: { 'x-token': 'free' } })).status, 200);
await delivered('customer-free', 1);
stigg.admin.setUsage('customer-free', 'feature-api-calls', 100); // pushed to the client on Stigg's stream
for (
  let i = 0;
  i < 50 &&
  (await tollgate.check({ customerId: 'customer-free', featureId: 'feature-api-calls' })).currentUsage !== 100;
  i++
) {
  await new Promise((r) => setTimeout(r, 100));
}
res = await fetch(`${expressUrl}/reports`, { method: 'POST', headers: { 'x-token': 'free' } });
assert.equal(res.status, 402);
assert.ok(res.headers.get('retry-after'));
console.log('esm: express guards: 200, 403, 401, metered 200 delivered to stigg-local, 402 at the limit');

// Hono on Node
const hono = new Hono();
hono.use(ho.entitlements({ client: tollgate, customerId: (c) => customers[c.req.header('x-token') ?? ''] }));
hono.get('/analytics', ho.requireFeature('feature-analytics'), (c) =>
  c.json({ hasAccess: c.get('entitlement')?.hasAccess }),
);
hono.post('/reports', ho.meteredGuard('feature-api-calls', { usage: 2 }), (c) => c.json({ ok: true }));
const honoServer = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' });
const honoUrl = await listen(honoServer);
res = await fetch(`${honoUrl}/analytics`, { headers: { 'x-token': 'enterprise' } });
assert.equal(res.status, 200);
assert.equal((await fetch(`${honoUrl}/analytics`, { headers: { 'x-token': 'free' } })).status, 403);
assert.equal((await fetch(`${honoUrl}/reports`, { method: 'POST', headers: { 'x-token': 'pro' } })).status, 200);
await delivered('customer-pro', 2);
console.log('esm: hono guards (serve from @hono/node-server): 200, 403, metered 200 delivered to stigg-local');

// Fastify
const fastify = Fastify();
await fastify.register(tollgateFastify, {
  client: tollgate,
  customerId: (req) => customers[req.headers['x-token'] ?? ''],
});
fastify.get('/analytics', { config: { entitlements: ['feature-analytics'] } }, async (req) => ({
  hasAccess: req.entitlement?.hasAccess,
}));
fastify.post('/reports', { config: { metered: { feature: 'feature-api-calls', usage: 3 } } }, async () => ({
  ok: true,
}));
const fastifyUrl = await fastify.listen({ port: 0, host: '127.0.0.1' });
res = await fetch(`${fastifyUrl}/analytics`, { headers: { 'x-token': 'enterprise' } });
assert.equal(res.status, 200);
assert.deepEqual(await res.json(), { hasAccess: true });
assert.equal((await fetch(`${fastifyUrl}/analytics`, { headers: { 'x-token': 'free' } })).status, 403);
assert.equal((await fetch(`${fastifyUrl}/reports`, { method: 'POST', headers: { 'x-token': 'pro' } })).status, 200);
await delivered('customer-pro', 5);
console.log('esm: fastify plugin: 200, 403, metered 200 delivered to stigg-local');

// The import engine, from code
const dir = await mkdtemp(join(tmpdir(), 'tollgate-consumer-import-'));
await writeFile(
  join(dir, 'customers.json'),
  JSON.stringify({ customers: [{ customerId: 'imported-1', name: 'Imported' }] }),
);
const summary = await runImport({
  apiKey: DEFAULT_API_KEY,
  baseUrl: stigg.url,
  files: { customers: [join(dir, 'customers.json')] },
  checkpointFile: join(dir, 'checkpoint.json'),
  errorsFile: join(dir, 'errors.jsonl'),
  requestsPerMinute: { customers: 10_000 },
});
assert.equal(summary.entities.customers.imported, 1);
assert.equal((await tollgate.getCustomer('imported-1'))?.customerId, 'imported-1');
await rm(dir, { recursive: true, force: true });
console.log('esm: runImport from @tollgate/cli imported a customer into stigg-local');

// The test double shares core's classes
const double = createTestTollgate();
assert.ok(double.tollgate instanceof Tollgate);
await double.grant('acme', 'feature-analytics');
assert.equal((await double.tollgate.check({ customerId: 'acme', featureId: 'feature-analytics' })).hasAccess, true);
const err = await double.tollgate.getCustomer('acme').catch((e) => e);
assert.ok(err instanceof TollgateError && isTollgateError(err), 'the double throws TollgateErrors of @tollgate/core');
await double.close();
console.log('esm: @tollgate/core/testing shares Tollgate and TollgateError with @tollgate/core');

expressServer.close();
honoServer.close();
await fastify.close();
await tollgate.close();
await stigg.close();
console.log('esm: ok');
