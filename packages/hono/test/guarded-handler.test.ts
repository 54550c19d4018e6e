/**
 * `requireFeature(featureId, handler)`: the route's handler guarded, as the route's only handler (Hono's fast path)
 * or after other middleware (Hono's chain). The scenario table (test/adapters) runs `/analytics` this way on Hono
 * against stigg-local; this covers what it does not: a denial answered by `onDenied`, and the chain.
 */
import type { Tollgate } from '@tollgate/core';
import { createTestTollgate, type TestTollgate } from '@tollgate/core/testing';
import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { afterEach, describe, expect, it } from 'vitest';
import { entitlements, requireFeature, tollgateHono } from '../src/index.js';

const doubles: TestTollgate[] = [];
afterEach(async () => {
  for (const d of doubles.splice(0)) await d.close();
});

async function double() {
  const d = createTestTollgate();
  doubles.push(d);
  await d.grant('customer-pro', 'feature-analytics');
  return d;
}

const customerFrom = (c: Context) => c.req.header('x-customer-id');
const get = (app: Hono, customer?: string) =>
  app.request('/analytics', { headers: customer ? { 'x-customer-id': customer } : {} });

describe('requireFeature with the handler', () => {
  it('runs the handler with the decision when granted, and denies with the problem response otherwise', async () => {
    const d = await double();
    const gate = tollgateHono({ client: d.tollgate, customerId: customerFrom });
    let runs = 0;
    const app = new Hono();
    app.get(
      '/analytics',
      gate.requireFeature('feature-analytics', (c: Context) => {
        runs += 1;
        return c.json({ hasAccess: c.get('entitlement').hasAccess, ids: Object.keys(c.get('entitlements')) });
      }),
    );
    const granted = await get(app, 'customer-pro');
    expect(granted.status).toBe(200);
    expect(await granted.json()).toEqual({ hasAccess: true, ids: ['feature-analytics'] });
    const denied = await get(app, 'customer-free');
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toContain('application/problem+json');
    expect((await get(app)).status).toBe(401);
    expect(runs).toBe(1);
  });

  it('leaves the answer to onDenied when it answers, and to app.onError for the HTTPException otherwise', async () => {
    const d = await double();
    const answered = tollgateHono({
      client: d.tollgate,
      customerId: customerFrom,
      onDenied: (denial, c) => {
        c.res = c.json({ upgrade: denial.body.type }, 402);
        return true;
      },
    });
    const thrown = tollgateHono({ client: d.tollgate, customerId: customerFrom });
    const app = new Hono();
    app.get(
      '/analytics',
      answered.requireFeature('feature-analytics', (c: Context) => c.text('ran')),
    );
    app.get(
      '/other',
      thrown.requireFeature('feature-analytics', (c: Context) => c.text('ran')),
    );
    const seen: unknown[] = [];
    app.onError((err, c) => {
      seen.push(err);
      return c.text('handled', 418);
    });
    const res = await get(app, 'customer-free');
    expect(res.status).toBe(402);
    expect(await res.json()).toHaveProperty('upgrade');
    const other = await app.request('/other', { headers: { 'x-customer-id': 'customer-free' } });
    expect(other.status).toBe(418);
    expect(seen).toHaveLength(1);
  });

  it('works after other middleware, with the settings from entitlements(), on a miss and on a hit', async () => {
    const d = await double();
    const app = new Hono();
    const order: string[] = [];
    app.use(
      createMiddleware(async (_c, next) => {
        order.push('before');
        await next();
        order.push('after');
      }),
    );
    app.use(entitlements({ client: d.tollgate, customerId: customerFrom }));
    app.get(
      '/analytics',
      requireFeature('feature-analytics', (c: Context) => {
        order.push('handler');
        return c.text('ok');
      }),
    );
    for (let i = 0; i < 2; i++) expect((await get(app, 'customer-pro')).status).toBe(200); // a miss, then a hit
    expect(order).toEqual(['before', 'handler', 'after', 'before', 'handler', 'after']);
    expect((await get(app, 'customer-free')).status).toBe(403);
  });

  it("asks a client that is only an object with check (a test double of the user's) with check", async () => {
    const asked: unknown[] = [];
    const client = {
      check: (query: unknown) => {
        asked.push(query);
        return { hasAccess: true, featureId: 'feature-analytics' };
      },
    } as unknown as Tollgate;
    const app = new Hono();
    app.get(
      '/analytics',
      tollgateHono({ client, customerId: customerFrom }).requireFeature('feature-analytics', (c: Context) =>
        c.text('ok'),
      ),
    );
    expect((await get(app, 'customer-pro')).status).toBe(200);
    expect(asked).toEqual([expect.objectContaining({ customerId: 'customer-pro', featureId: 'feature-analytics' })]);
  });
});
