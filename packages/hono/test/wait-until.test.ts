/**
 * On Cloudflare Workers a metered request hands the usage it committed to its `executionCtx.waitUntil()`, so the
 * runtime lets the delivery finish after the response. (`#runtime` is mocked to the edge description here, as the
 * `workerd` condition picks it; test/runtimes/hono-workerd.test.ts runs the example app on workerd itself.)
 */
import { createTestTollgate, type TestTollgate } from '@tollgate/core/testing';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { entitlements, meteredGuard, requireFeature } from '../src/index.js';

const edge = vi.hoisted(() => ({ requestScoped: true }));
vi.mock('../../core/src/runtime/node.ts', async (original) => {
  const { runtime } = await original<typeof import('../../core/src/runtime/node.js')>();
  const { runtime: edgeRuntime } = await import('../../core/src/runtime/edge.js');
  return {
    runtime: new Proxy(runtime, { get: (node, key) => (edge.requestScoped ? edgeRuntime : node)[key as 'files'] }),
  };
});

const doubles: TestTollgate[] = [];
afterEach(async () => {
  for (const d of doubles.splice(0)) await d.close();
});

async function appWith() {
  const double = createTestTollgate();
  doubles.push(double);
  await double.grant('customer-1', 'feature-reports', { limit: 10 });
  await double.grant('customer-1', 'feature-analytics');
  const app = new Hono();
  app.use(entitlements({ client: double.tollgate, customerId: () => 'customer-1' }));
  app.get('/analytics', requireFeature('feature-analytics'), (c) => c.text('ok'));
  app.post('/reports', meteredGuard('feature-reports'), (c) => c.text('made'));
  app.post('/broken', meteredGuard('feature-reports'), (c) => c.text('failed', 500));
  return { app, double };
}

/** An execution context as Workers give one: what is handed to waitUntil is kept. */
const executionContext = () => {
  const handed: Promise<unknown>[] = [];
  return {
    handed,
    ctx: { waitUntil: (p: Promise<unknown>) => void handed.push(p), passThroughOnException: () => {}, props: {} },
  };
};

describe('@tollgate/hono and waitUntil', () => {
  it('hands the usage a metered request committed to waitUntil; it reaches Stigg when that work is done', async () => {
    edge.requestScoped = true;
    const { app, double } = await appWith();
    const { handed, ctx } = executionContext();
    expect((await app.request('/analytics', {}, {}, ctx)).status).toBe(200);
    expect(handed).toHaveLength(0); // a check leaves nothing behind
    expect((await app.request('/reports', { method: 'POST' }, {}, ctx)).status).toBe(200);
    expect(handed).toHaveLength(1);
    expect(double.tollgate.metrics().usage.unitsDelivered).toBe(0);
    await Promise.all(handed);
    expect(double.tollgate.metrics().usage.unitsDelivered).toBe(1);
    expect((await app.request('/broken', { method: 'POST' }, {}, ctx)).status).toBe(500);
    expect(handed).toHaveLength(1); // released, not committed: nothing to deliver
    expect(await double.reportedUnits('customer-1', 'feature-reports')).toBe(1);
  });

  it('looks for no execution context where usage goes on an interval (Node, Bun, Deno), nor fails without one', async () => {
    edge.requestScoped = false;
    const { app } = await appWith();
    const { handed, ctx } = executionContext();
    expect((await app.request('/reports', { method: 'POST' }, {}, ctx)).status).toBe(200);
    expect((await app.request('/reports', { method: 'POST' })).status).toBe(200);
    expect(handed).toHaveLength(0);
  });
});
