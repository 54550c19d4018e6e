/**
 * The official @stigg/node-server-sdk@3.95.0, unchanged, against stigg-local over real HTTP and WebSocket,
 * with Edge on and off.
 */
import Stigg from '@stigg/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { API_KEY, start, waitFor } from './helpers.js';

type Client = ReturnType<typeof Stigg.initialize>;

// A plain-object logger is merged into the global console by the SDK, so only the level silences it.
const silent = { logLevel: 'NONE' as never };

function sdk(server: StiggLocal, enableEdge: boolean, apiKey = API_KEY): Client {
  return Stigg.initialize({
    apiKey,
    baseUri: server.url,
    wsUrl: server.wsUrl,
    baseEdgeUri: server.url,
    enableEdge,
    logConfiguration: silent,
  } as never);
}

describe.each([
  ['Edge on', true],
  ['Edge off', false],
])('official Stigg SDK against stigg-local (%s)', (_name, enableEdge) => {
  let server: StiggLocal;
  let client: Client;
  let other: Client;

  beforeAll(async () => {
    server = await start();
    client = sdk(server, enableEdge);
    other = sdk(server, enableEdge);
    await client.waitForInitialization();
    await other.waitForInitialization();
  });
  afterAll(async () => {
    client?.close();
    other?.close();
    await server?.close();
  });

  it('initializes through the SDK configuration endpoint', () => {
    const stats = server.admin.stats();
    expect(stats.calls.sdkConfiguration).toBeGreaterThanOrEqual(2);
    if (enableEdge) expect(stats.edge['server-sdk-configuration']).toBeGreaterThanOrEqual(2);
  });

  it('answers boolean decisions for the demo customers', async () => {
    const pro = await client.getBooleanEntitlement({ customerId: 'customer-pro', featureId: 'feature-analytics' });
    expect(pro).toMatchObject({ hasAccess: true, isFallback: false });
    const free = await client.getBooleanEntitlement({ customerId: 'customer-free', featureId: 'feature-analytics' });
    expect(free).toMatchObject({ hasAccess: false, accessDeniedReason: 'NoFeatureEntitlementInSubscription' });
    const nosub = await client.getBooleanEntitlement({ customerId: 'customer-nosub', featureId: 'feature-analytics' });
    expect(nosub).toMatchObject({ hasAccess: false, accessDeniedReason: 'CustomerNotFound' });
    const unknown = await client.getBooleanEntitlement({ customerId: 'customer-unknown', featureId: 'feature-analytics' });
    expect(unknown).toMatchObject({ hasAccess: false, accessDeniedReason: 'CustomerNotFound' });
  });

  it('answers numeric decisions, including unlimited', async () => {
    const free = await client.getNumericEntitlement({ customerId: 'customer-free', featureId: 'feature-max-projects' });
    expect(free).toMatchObject({ hasAccess: true, value: 3, isUnlimited: false });
    const pro = await client.getNumericEntitlement({ customerId: 'customer-pro', featureId: 'feature-max-projects' });
    expect(pro).toMatchObject({ hasAccess: true, value: 50 });
    const ent = await client.getNumericEntitlement({ customerId: 'customer-enterprise', featureId: 'feature-max-projects' });
    expect(ent).toMatchObject({ hasAccess: true, isUnlimited: true });
  });

  it('answers metered decisions with limits, usage and the reset period', async () => {
    const m = await client.getMeteredEntitlement({
      customerId: 'customer-free',
      featureId: 'feature-api-calls',
      options: { requestedUsage: 100 },
    });
    expect(m).toMatchObject({ hasAccess: true, usageLimit: 100, currentUsage: 0, resetPeriod: 'MONTH' });
    expect(m.usagePeriodEnd).toBeInstanceOf(Date);
    expect(m.usagePeriodEnd!.getTime()).toBeGreaterThan(Date.now());
    const over = await client.getMeteredEntitlement({
      customerId: 'customer-free',
      featureId: 'feature-api-calls',
      options: { requestedUsage: 101 },
    });
    expect(over).toMatchObject({ hasAccess: false, accessDeniedReason: 'RequestedUsageExceedingLimit' });
    const seats = await client.getMeteredEntitlement({ customerId: 'customer-enterprise', featureId: 'feature-seats' });
    expect(seats).toMatchObject({ hasAccess: true, isUnlimited: true });
  });

  it('answers enum decisions', async () => {
    const ok = await client.getEnumEntitlement({
      customerId: 'customer-pro',
      featureId: 'feature-export-formats',
      options: { requestedValues: ['csv', 'json'] },
    });
    expect(ok).toMatchObject({ hasAccess: true });
    expect([...ok.enumValues].sort()).toEqual(['csv', 'json']);
    const no = await client.getEnumEntitlement({
      customerId: 'customer-free',
      featureId: 'feature-export-formats',
      options: { requestedValues: ['parquet'] },
    });
    expect(no).toMatchObject({ hasAccess: false, accessDeniedReason: 'RequestedValuesMismatch' });
  });

  it('moves the next metered decision after reportUsage', async () => {
    const customerId = `usage-${enableEdge}`;
    await client.provisionCustomer({ customerId, subscriptionParams: { planId: 'plan-free' } });
    const before = await client.getMeteredEntitlement({ customerId, featureId: 'feature-api-calls' });
    expect(before.currentUsage).toBe(0);
    const ack = await client.reportUsage({ customerId, featureId: 'feature-api-calls', value: 7 });
    expect(ack.currentUsage).toBe(7);
    const after = await client.getMeteredEntitlement({ customerId, featureId: 'feature-api-calls', options: { requestedUsage: 94 } });
    expect(after).toMatchObject({ currentUsage: 7, hasAccess: false });
  });

  it('receives usageUpdated when another SDK instance reports usage', async () => {
    const customerId = `stream-usage-${enableEdge}`;
    await other.provisionCustomer({ customerId, subscriptionParams: { planId: 'plan-free' } });
    await client.getMeteredEntitlement({ customerId, featureId: 'feature-api-calls' }); // now cached in `client`
    const seen: unknown[] = [];
    client.addListener('usageUpdated', (u) => seen.push(u));
    await other.reportUsage({ customerId, featureId: 'feature-api-calls', value: 5 });
    await waitFor(() => seen.length > 0, 'usageUpdated');
    const m = await client.getMeteredEntitlement({ customerId, featureId: 'feature-api-calls' });
    expect(m.currentUsage).toBe(5);
  });

  it('receives entitlementsUpdated when the admin surface changes a plan', async () => {
    const customerId = `stream-plan-${enableEdge}`;
    await client.provisionCustomer({ customerId, subscriptionParams: { planId: 'plan-free' } });
    expect((await client.getBooleanEntitlement({ customerId, featureId: 'feature-analytics' })).hasAccess).toBe(false);
    const calls = server.admin.stats().calls.cachedEntitlements ?? 0;
    const pushed: string[] = [];
    client.addListener('entitlementsUpdated', (e) => pushed.push(e.customerId));
    server.admin.setPlan(customerId, 'plan-pro');
    await waitFor(() => pushed.includes(customerId), 'entitlementsUpdated');
    expect((await client.getBooleanEntitlement({ customerId, featureId: 'feature-analytics' })).hasAccess).toBe(true);
    expect(server.admin.stats().calls.cachedEntitlements ?? 0).toBe(calls); // served from the pushed list
  });

  it('round-trips provision customer and provision/update/cancel subscription', async () => {
    const customerId = `lifecycle-${enableEdge}`;
    const provisioned = await client.provisionCustomer({ customerId, name: 'Lifecycle', email: 'l@example.com' });
    expect(provisioned.customer).toMatchObject({ id: customerId, name: 'Lifecycle', email: 'l@example.com' });
    const result = await client.provisionSubscription({
      customerId,
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY' as never,
      addons: [{ addonId: 'addon-extra-seats', quantity: 2 }],
    });
    expect(result.provisionStatus).toBe('SUCCESS');
    const subscriptionId = result.subscription!.id;
    const seats = await client.getMeteredEntitlement({ customerId, featureId: 'feature-seats' });
    expect(seats.usageLimit).toBe(20); // 10 + 2 x 5
    const updated = await client.updateSubscription({ subscriptionId, addons: [{ addonId: 'addon-extra-seats', quantity: 3 }] });
    expect(updated.id).toBe(subscriptionId);
    expect((await client.getMeteredEntitlement({ customerId, featureId: 'feature-seats' })).usageLimit).toBe(25);
    const full = await client.getCustomer(customerId);
    expect(full.subscriptions.map((s) => s.id)).toContain(subscriptionId);
    const active = await client.getActiveSubscriptions({ customerId });
    expect(active.map((s) => s.plan.id)).toEqual(['plan-pro']);
    await client.cancelSubscription({ subscriptionId });
    expect((await client.getBooleanEntitlement({ customerId, featureId: 'feature-analytics' })).accessDeniedReason).toBe('CustomerNotFound');
  });

  it('lists paywall, products and coupons', async () => {
    const paywall = await client.getPaywall({ productId: 'product-tollgate-demo' });
    expect(paywall.plans.map((p) => p.id)).toEqual(['plan-free', 'plan-pro', 'plan-enterprise']);
    const products = await client.getProducts();
    expect(products.map((p) => p.id)).toEqual(['product-tollgate-demo']);
    const coupons = await client.getCoupons();
    expect(coupons.map((c) => c.id)).toEqual(['coupon-launch-20']);
  });

  it('rejects a bad key the way Stigg does', async () => {
    const bad = sdk(server, enableEdge, 'server-wrong-key');
    await expect(bad.waitForInitialization()).rejects.toThrow(/Authentication failed/);
    bad.close();
  });
});
