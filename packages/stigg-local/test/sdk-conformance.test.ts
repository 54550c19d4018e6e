/**
 * The official @stigg/node-server-sdk@3.95.0, unchanged, against stigg-local over real HTTP and WebSocket,
 * with Edge on and off.
 */
import { Stigg } from '@stigg/node-server-sdk';
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
    const unknown = await client.getBooleanEntitlement({
      customerId: 'customer-unknown',
      featureId: 'feature-analytics',
    });
    expect(unknown).toMatchObject({ hasAccess: false, accessDeniedReason: 'CustomerNotFound' });
  });

  it('answers numeric decisions, including unlimited', async () => {
    const free = await client.getNumericEntitlement({ customerId: 'customer-free', featureId: 'feature-max-projects' });
    expect(free).toMatchObject({ hasAccess: true, value: 3, isUnlimited: false });
    const pro = await client.getNumericEntitlement({ customerId: 'customer-pro', featureId: 'feature-max-projects' });
    expect(pro).toMatchObject({ hasAccess: true, value: 50 });
    const ent = await client.getNumericEntitlement({
      customerId: 'customer-enterprise',
      featureId: 'feature-max-projects',
    });
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
    const after = await client.getMeteredEntitlement({
      customerId,
      featureId: 'feature-api-calls',
      options: { requestedUsage: 94 },
    });
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
    const provisioned = await client.provisionCustomer({
      customerId,
      name: 'Lifecycle',
      email: 'l@example.com',
      subscriptionParams: null,
    });
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
    const updated = await client.updateSubscription({
      subscriptionId,
      addons: [{ addonId: 'addon-extra-seats', quantity: 3 }],
    });
    expect(updated.id).toBe(subscriptionId);
    expect((await client.getMeteredEntitlement({ customerId, featureId: 'feature-seats' })).usageLimit).toBe(25);
    const full = await client.getCustomer(customerId);
    expect(full.subscriptions.map((s) => s.id)).toContain(subscriptionId);
    const active = await client.getActiveSubscriptions({ customerId });
    expect(active.map((s) => s.plan.id)).toEqual(['plan-pro']);
    await client.cancelSubscription({ subscriptionId });
    expect(
      (await client.getBooleanEntitlement({ customerId, featureId: 'feature-analytics' })).accessDeniedReason,
    ).toBe('CustomerNotFound');
  });

  it('lists paywall, products and coupons', async () => {
    const paywall = await client.getPaywall({ productId: 'product-tollgate-demo' });
    expect(paywall.plans.map((p) => p.id)).toEqual(['plan-free', 'plan-pro', 'plan-enterprise']);
    const products = await client.getProducts();
    expect(products.map((p) => p.id)).toEqual(['product-tollgate-demo']);
    const coupons = await client.getCoupons();
    expect(coupons.map((c) => c.id)).toEqual(['coupon-launch-20']);
  });

  it('updates, imports, archives and reads customers', async () => {
    const customerId = `customer-ops-${enableEdge}`;
    await client.importCustomer({ customerId, name: 'Imported', email: 'i@example.com' });
    const updated = await client.updateCustomer({ customerId, name: 'Renamed', metadata: { plan: 'gold' } });
    expect(updated).toMatchObject({ id: customerId, name: 'Renamed', metadata: { plan: 'gold' } });
    await client.importCustomerBulk({ customers: [{ customerId: `${customerId}-bulk`, name: 'Bulk' }] });
    expect((await client.getCustomer(`${customerId}-bulk`)).name).toBe('Bulk');
    expect(await client.archiveCustomer(customerId)).toBe(customerId);
    // Archived: hidden like an unknown customer, its PII erased, its id not available to a new customer.
    await expect(client.getCustomer(customerId)).rejects.toMatchObject({ errorCode: 'CustomerNotFound' });
    await expect(
      client.provisionCustomer({ customerId, name: 'Again', subscriptionParams: null }),
    ).rejects.toMatchObject({
      errorCode: 'DuplicatedEntityNotAllowed',
    });
    const unarchived = await client.unarchiveCustomer(customerId);
    expect(unarchived.id).toBe(customerId);
    expect([unarchived.name, unarchived.email]).toEqual([undefined, undefined]);
    await expect(client.getCustomer('nobody-at-all')).rejects.toMatchObject({
      errorCode: 'CustomerNotFound',
      message: expect.stringMatching(/not found/i),
    });
  });

  it('reads subscriptions by id, by filter with paging, and the active list', async () => {
    const subscription = await client.getSubscription({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(subscription).toMatchObject({
      id: 'subscription-customer-pro-plan-pro',
      status: 'ACTIVE',
      plan: { id: 'plan-pro' },
    });
    const page1 = await client.getSubscriptions({ status: 'ACTIVE' as never, pagination: { limit: 2 } });
    expect(page1.data).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await client.getSubscriptions({
      status: 'ACTIVE' as never,
      pagination: { limit: 2, startingAfter: page1.pageInfo.endCursor! },
    });
    expect(page2.data[0]?.subscriptionId).not.toBe(page1.data[1]?.subscriptionId);
    const back = await client.getSubscriptions({
      status: 'ACTIVE' as never,
      pagination: { limit: 2, endingBefore: page2.pageInfo.startCursor! },
    });
    expect(back.data.map((s) => s.subscriptionId)).toEqual(page1.data.map((s) => s.subscriptionId));
    const mine = await client.getSubscriptions({ customerId: 'customer-enterprise' });
    expect(mine.data.map((s) => s.plan.planId)).toEqual(['plan-enterprise']);
    const list = await client.getActiveSubscriptionsList({ customerId: 'customer-pro' });
    expect(list.map((s) => s.plan.planId)).toEqual(['plan-pro']);
  });

  it('grants and revokes promotional entitlements', async () => {
    const ok = await client.grantPromotionalEntitlements({
      customerId: 'customer-free',
      promotionalEntitlements: [{ featureId: 'feature-analytics', period: 'ONE_WEEK' as never }],
    } as never);
    expect(ok.map((p) => p.feature.refId)).toEqual(['feature-analytics']);
    await waitFor(
      async () =>
        (await client.getBooleanEntitlement({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess,
      'promotion',
    );
    await client.revokePromotionalEntitlements({ customerId: 'customer-free', featureId: 'feature-analytics' });
    await waitFor(
      async () =>
        !(await client.getBooleanEntitlement({ customerId: 'customer-free', featureId: 'feature-analytics' }))
          .hasAccess,
      'revoke',
    );
  });

  it('reads plan and subscription prices, and plan entitlements by feature id', async () => {
    const paywall = await client.getPaywall({ productId: 'product-tollgate-demo' });
    const pro = paywall.plans.find((p) => p.id === 'plan-pro')!;
    expect(pro.pricePoints.map((p) => [p.pricingModel, p.billingPeriod, p.amount, p.currency])).toEqual([
      ['FLAT_FEE', 'MONTHLY', 49, 'USD'],
      ['FLAT_FEE', 'ANNUALLY', 490, 'USD'],
    ]);
    expect(pro.entitlements.map((e) => e.feature.id).sort()).toEqual([
      'feature-analytics',
      'feature-api-calls',
      'feature-export-formats',
      'feature-max-projects',
      'feature-seats',
    ]);
    const subscription = await client.getSubscription({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(subscription.price).toMatchObject({
      pricingModel: 'FLAT_FEE',
      billingPeriod: 'MONTHLY',
      amount: 49,
      grossAmount: 49,
      currency: 'USD',
    });
    expect(subscription.prices.map((p) => [p.billingPeriod, p.amount])).toEqual([['MONTHLY', 49]]);
  });

  it('refuses a promotion code Stigg does not know', async () => {
    const customerId = `promotion-${enableEdge}`;
    await client.provisionCustomer({ customerId, subscriptionParams: null });
    await expect(
      client.provisionSubscription({
        customerId,
        planId: 'plan-pro',
        billingPeriod: 'MONTHLY' as never,
        promotionCode: 'NOT-A-CODE',
      }),
    ).rejects.toMatchObject({ errorCode: 'PromotionCodeNotFound' });
    expect(await client.getActiveSubscriptions({ customerId })).toEqual([]);
  });

  it('shows a customer paywall with its active subscription', async () => {
    const paywall = await client.getPaywall({ productId: 'product-tollgate-demo', customerId: 'customer-pro' });
    expect(paywall.activeSubscriptions?.map((s) => s.plan.id)).toEqual(['plan-pro']);
    expect(paywall.customer?.id).toBe('customer-pro');
  });

  it('rejects a bad key the way Stigg does', async () => {
    const bad = sdk(server, enableEdge, 'server-wrong-key');
    let invalidKeyEvents = 0;
    bad.addListener('apiKeyInvalid', () => (invalidKeyEvents += 1));
    const err = await bad.waitForInitialization().then(
      () => null,
      (e: Error & { errorCode?: string }) => e,
    );
    expect(err?.message).toMatch(/Authentication failed\. Double check your API key\./);
    // GraphQL answers extensions.code Unauthenticated; Edge answers HTTP 401, which the SDK maps without a code.
    if (!enableEdge) expect(err?.errorCode).toBe('Unauthenticated');
    expect(invalidKeyEvents).toBe(1);
    bad.close();
  });
});
