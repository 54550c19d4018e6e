// CommonJS: every package's CommonJS build, with require().
const assert = require('node:assert/strict');
const express = require('express');
const { createTollgate, isTollgateError, Tollgate, TollgateError } = require('@tollgate/core');
const { createTestTollgate } = require('@tollgate/core/testing');
const { entitlements, meteredGuard, requireFeature } = require('@tollgate/express');
const hono = require('@tollgate/hono');
const cli = require('@tollgate/cli');
const { DEFAULT_API_KEY, startStiggLocal } = require('@tollgate/stigg-local');

const quiet = { warn: () => {}, error: () => {} };

async function main() {
  assert.equal(typeof hono.meteredGuard, 'function');
  assert.equal(typeof cli.runImport, 'function');

  // stigg-local's CommonJS build finds its schema and demo catalog
  const stigg = await startStiggLocal({ port: 0, log: () => {} });
  const tollgate = createTollgate({ apiKey: DEFAULT_API_KEY, baseUrl: stigg.url, logger: quiet });
  await tollgate.ready();
  const app = express();
  app.use(entitlements({ client: tollgate, customerId: (req) => req.get('x-customer') }));
  app.get('/analytics', requireFeature('feature-analytics'), (_req, res) => res.json({ ok: true }));
  app.post('/reports', meteredGuard('feature-api-calls'), (_req, res) => res.json({ ok: true }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  assert.equal((await fetch(`${url}/analytics`, { headers: { 'x-customer': 'customer-pro' } })).status, 200);
  assert.equal((await fetch(`${url}/analytics`, { headers: { 'x-customer': 'customer-nosub' } })).status, 403);
  assert.equal(
    (await fetch(`${url}/reports`, { method: 'POST', headers: { 'x-customer': 'customer-enterprise' } })).status,
    200,
  );
  server.close();
  const report = await tollgate.close();
  assert.equal(report.dropped, 0);
  await stigg.close();
  console.log('cjs: express guards against stigg-local (require): 200, 403, metered 200, delivered on close');

  // One copy of core's classes in every CommonJS entry
  const double = createTestTollgate();
  assert.ok(double.tollgate instanceof Tollgate, 'the double is a Tollgate of @tollgate/core');
  const err = await double.tollgate.getCustomer('acme').catch((e) => e);
  assert.ok(err instanceof TollgateError, 'the double throws a TollgateError of @tollgate/core');
  assert.ok(isTollgateError(err));
  await double.close();
  console.log('cjs: @tollgate/core/testing shares Tollgate and TollgateError with @tollgate/core');
  console.log('cjs: ok');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
