/** The read path against stigg-local over real HTTP and WebSocket: single flight, pushes, failure policy. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTollgate } from '@tollgate/core';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { until } from '../support/wait.js';
import { clientFactory, quiet } from '../support/stigg.js';

let server: StiggLocal;
const clients = clientFactory(() => server);
const client = clients.make;

beforeEach(async () => {
  server = await startStiggLocal({ log: () => {} });
});
afterEach(async () => {
  await clients.closeAll();
  await server.close();
});

describe('read path', () => {
  it('makes exactly one Stigg call for 1,000 concurrent checks of an uncached customer', async () => {
    const t = await client();
    server.admin.resetStats();
    const decisions = await Promise.all(
      Array.from({ length: 1000 }, () => t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' })),
    );
    expect(decisions.every((d) => d.hasAccess)).toBe(true);
    expect(server.admin.stats().calls.cachedEntitlements).toBe(1);
  });

  it('makes 100 calls for 1,000 checks over 100 customers', async () => {
    const t = await client();
    for (let i = 0; i < 100; i++)
      await t.provisionCustomer({ customerId: `many-${i}`, subscriptionParams: { planId: 'plan-free' } });
    server.admin.resetStats();
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        t.check({ customerId: `many-${i % 100}`, featureId: 'feature-seats', requestedUsage: 1 }),
      ),
    );
    expect(server.admin.stats().calls.cachedEntitlements).toBe(100);
  });

  it('answers a cache hit synchronously, without a promise', async () => {
    const t = await client();
    await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
    const d = t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
    expect(d).not.toBeInstanceOf(Promise);
    expect(d).toMatchObject({ hasAccess: true, isFallback: false, isStale: false });
  });

  it('changes the decision when Stigg pushes a plan change or a usage change', async () => {
    const t = await client();
    expect((await t.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess).toBe(false);
    server.admin.setPlan('customer-free', 'plan-pro');
    await until(
      async () => (await t.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess,
      'plan push',
    );
    server.admin.setUsage('customer-free', 'feature-api-calls', 9_999);
    await until(
      async () =>
        !(await t.check({ customerId: 'customer-free', featureId: 'feature-api-calls', requestedUsage: 2 })).hasAccess,
      'usage push',
    );
    expect(server.admin.stats().calls.cachedEntitlements).toBe(1);
  });

  it('drops what a management call through this client made outdated', async () => {
    const t = await client({ stream: false });
    expect((await t.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess).toBe(false);
    const { subscription } = await t.provisionSubscription({ customerId: 'customer-free', planId: 'plan-enterprise' });
    expect(subscription?.plan.refId).toBe('plan-enterprise');
    expect((await t.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess).toBe(true);
  });

  it('serves cached decisions marked stale when Stigg is unreachable, within max-stale', async () => {
    const t = await client({
      stream: false,
      cache: { freshForWhileDisconnectedMs: 100, maxStaleMs: 60_000 },
      maxAttempts: 1,
      timeoutMs: 300,
    });
    await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
    server.admin.injectFault({ status: 503 });
    await new Promise((r) => setTimeout(r, 150));
    const d = await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
    expect(d).toMatchObject({ hasAccess: true, isStale: true, isFallback: false });
    expect(d.ageMs).toBeGreaterThanOrEqual(100);
  });

  it('falls back per feature, then to onUnavailable, marked isFallback with reason Unknown', async () => {
    const deny = await client({
      stream: false,
      maxAttempts: 1,
      fallback: { 'feature-analytics': { hasAccess: true } },
    });
    const allow = await client({ stream: false, maxAttempts: 1, onUnavailable: 'allow' });
    server.admin.injectFault({ status: 503 });
    expect(await deny.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).toMatchObject({
      hasAccess: true,
      isFallback: true,
      reason: 'Unknown',
    });
    expect(await deny.check({ customerId: 'customer-free', featureId: 'feature-seats' })).toMatchObject({
      hasAccess: false,
      isFallback: true,
      reason: 'Unknown',
    });
    expect(await allow.check({ customerId: 'customer-free', featureId: 'feature-seats' })).toMatchObject({
      hasAccess: true,
      isFallback: true,
      reason: 'Unknown',
    });
    expect(deny.metrics().fallbacks).toBe(2);
  });

  it('answers offline mode from fallbacks only, with no network', async () => {
    const t = createTollgate({ offline: true, fallback: { 'feature-analytics': { hasAccess: true } }, logger: quiet });
    await t.ready();
    expect(t.check({ customerId: 'x', featureId: 'feature-analytics' })).toMatchObject({
      hasAccess: true,
      isFallback: true,
    });
    expect(server.admin.stats().calls).toEqual({});
    await t.close();
  });

  it('retries reads after 5xx and rate limits with backoff, and never repeats a write whose outcome is unknown', async () => {
    const t = await client({ stream: false, maxAttempts: 3 });
    server.admin.resetStats();
    server.admin.injectFault({ operations: ['cachedEntitlements'], status: 503, count: 2 });
    const d = await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
    expect(d).toMatchObject({ hasAccess: true, isFallback: false });
    expect(server.admin.stats().calls.cachedEntitlements).toBe(3);
    server.admin.injectFault({ operations: ['cachedEntitlements'], errorCode: 'RateLimitExceeded', count: 1 });
    expect(await t.check({ customerId: 'customer-free', featureId: 'feature-seats' })).toMatchObject({
      hasAccess: true,
      isFallback: false,
    });
    expect(server.admin.stats().calls.cachedEntitlements).toBe(5);
    server.admin.injectFault({ operations: ['provisionCustomer'], status: 503, count: 1 });
    await expect(t.provisionCustomer({ customerId: 'once' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      status: 503,
    });
    expect(server.admin.stats().calls.provisionCustomer).toBe(1);
  });

  it('rejects ready() for a key Stigg refuses', async () => {
    const t = clients.track(
      createTollgate({ apiKey: 'server-wrong', baseUrl: server.url, logger: quiet, stream: false }),
    );
    await expect(t.ready()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('passes management calls through with typed results and Stigg error codes', async () => {
    const t = await client({ stream: false });
    const { customer } = await t.provisionCustomer({
      customerId: 'mgmt',
      name: 'M',
      subscriptionParams: { planId: 'plan-free' },
    });
    expect(customer).toMatchObject({ customerId: 'mgmt', name: 'M' });
    expect((await t.getCustomer('mgmt'))?.subscriptions?.map((s) => s.plan.refId)).toEqual(['plan-free']);
    expect(await t.getCustomer('nobody')).toBeNull();
    const [active] = await t.getActiveSubscriptions('mgmt');
    await t.updateSubscription({ subscriptionId: active!.subscriptionId, additionalMetaData: { a: 1 } });
    expect((await t.getSubscription(active!.subscriptionId)).additionalMetaData).toEqual({ a: 1 });
    await t.cancelSubscription({ subscriptionId: active!.subscriptionId });
    expect((await t.getPaywall({ productId: 'product-tollgate-demo' })).plans.map((p) => p.refId)).toEqual([
      'plan-free',
      'plan-pro',
      'plan-enterprise',
    ]);
    expect((await t.getProducts()).map((p) => p.refId)).toEqual(['product-tollgate-demo']);
    expect((await t.getCoupons()).map((c) => c.refId)).toEqual(['coupon-launch-20']);
    await t.grantPromotionalEntitlements('mgmt', [{ featureId: 'feature-analytics', period: 'ONE_MONTH' }]);
    expect((await t.check({ customerId: 'mgmt', featureId: 'feature-analytics' })).hasAccess).toBe(true);
    await t.revokePromotionalEntitlement('mgmt', 'feature-analytics');
    await t.reportEvent([{ customerId: 'customer-pro', eventName: 'api-call', idempotencyKey: 'ev-1' }]);
    await t.updateCustomer({ customerId: 'mgmt', email: 'm@example.com' });
    await t.archiveCustomer('mgmt');
    expect((await t.unarchiveCustomer('mgmt')).customerId).toBe('mgmt');
    await expect(t.provisionSubscription({ customerId: 'mgmt', planId: 'plan-nope' })).rejects.toMatchObject({
      code: 'STIGG_ERROR',
      stiggCode: 'PlanNotFound',
    });
  });
});
