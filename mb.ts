import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { createTollgate } from '@tollgate/core';
import * as ho from '@tollgate/hono';
import { startStiggLocal } from '@tollgate/stigg-local';
const s = await startStiggLocal({ log: () => {} });
const t = createTollgate({ apiKey: 'server-tollgate-local', baseUrl: s.url, logger: { warn() {}, error() {} } });
await t.ready();
await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
const body = { a: 1 };
const auth = createMiddleware((c, next) => (c.set('orgId' as never, 'customer-pro' as never), next()));
const noop = createMiddleware((_c, next) => next());
const settings = ho.entitlements({ client: t, customerId: (c) => c.get('orgId' as never) });
const apps: Record<string, Hono> = {
  auth: new Hono().use(auth).get('/x', (c) => c.json(body)),
  auth2noop: new Hono().use(auth).use(noop).get('/x', noop, (c) => c.json(body)),
  tollgate: new Hono().use(auth).use(settings).get('/x', ho.requireFeature('feature-analytics'), (c) => c.json(body)),
};
const req = new Request('http://x/x');
const res: Record<string, number[]> = {};
for (let round = 0; round < 5; round++) {
  for (const [name, app] of Object.entries(apps)) {
    const N = 300_000;
    const st = performance.now();
    for (let i = 0; i < N; i++) await app.fetch(req);
    (res[name] ??= []).push(((performance.now() - st) / N) * 1000);
  }
}
for (const [k, v] of Object.entries(res)) console.log(k, v.map((x) => x.toFixed(2)).join(' '));
await t.close(); await s.close();
