// TypeScript, compiled with `module`/`moduleResolution: nodenext` (tsconfig.nodenext.json) and type-checked with
// `moduleResolution: bundler` (tsconfig.bundler.json); run against the stigg-local of `tollgate local` (STIGG_URL).
import assert from 'node:assert/strict';
import { runImport, type ImportSummary } from '@tollgate/cli';
import {
  createTollgate,
  isTollgateError,
  type Decision,
  type Denial,
  type Options,
  type Tollgate,
} from '@tollgate/core';
import { createTestTollgate, type TestTollgate } from '@tollgate/core/testing';
import { entitlements, getEntitlement, meteredGuard, requireFeature } from '@tollgate/express';
import * as ho from '@tollgate/hono';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import express, { type Request } from 'express';
import { Hono } from 'hono';

const baseUrl = process.env.STIGG_URL;
assert.ok(baseUrl, 'STIGG_URL: the stigg-local to run against');
const options: Options = { apiKey: 'server-tollgate-local', baseUrl, logger: { warn() {}, error() {} } };
const tollgate: Tollgate = createTollgate(options);
await tollgate.ready();

const hono = new Hono();
hono.use(ho.entitlements({ client: tollgate, customerId: (c) => c.req.header('x-customer') }));
hono.get('/analytics', ho.requireFeature('feature-analytics'), (c) => {
  const decision: Decision | undefined = c.get('entitlement'); // typed through Hono's ContextVariableMap
  return c.json({ hasAccess: decision?.hasAccess ?? false });
});
const allowed = await hono.request('/analytics', { headers: { 'x-customer': 'customer-pro' } });
assert.equal(allowed.status, 200);
assert.deepEqual(await allowed.json(), { hasAccess: true });
const denied = await hono.request('/analytics', { headers: { 'x-customer': 'customer-free' } });
assert.equal(denied.status, 403);

const app = express();
app.use(entitlements({ client: tollgate, customerId: (req: Request) => req.get('x-customer') }));
app.get('/analytics', requireFeature('feature-analytics'), (req, res) => {
  res.json({ hasAccess: getEntitlement(req)?.hasAccess ?? false });
});
app.post(
  '/reports',
  meteredGuard('feature-api-calls', { usage: (req) => Number(req.query.units ?? 1) }),
  (_req, res) => {
    res.json({ ok: true });
  },
);
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as { port: number };
assert.equal(
  (await fetch(`http://127.0.0.1:${port}/analytics`, { headers: { 'x-customer': 'customer-enterprise' } })).status,
  200,
);
server.close();

// Types of the other entries, checked by the compiler
const typesOnly = (local: StiggLocal, summary: ImportSummary, denial: Denial, double: TestTollgate) =>
  [local.url, summary.entities.customers.imported, denial.status, double.tollgate] as const;
void typesOnly;
assert.equal(typeof runImport, 'function');
assert.equal(typeof startStiggLocal, 'function');
const double = createTestTollgate();
assert.ok(isTollgateError(await double.tollgate.getCustomer('x').catch((e: unknown) => e)));
await double.close();

await tollgate.close();
console.log('ts: hono (app.request) and express guards against `tollgate local`: 200, 403; the double: ok');
