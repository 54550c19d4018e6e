/**
 * applySubscription, transfers and delegation, payment methods, promotional entitlement groups and the
 * payment-required checkout flow, through the official @stigg/node-server-sdk@3.95.0 (unchanged) against stigg-local.
 */
import { Stigg } from '@stigg/node-server-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { testCatalog } from './fixtures.js';
import { API_KEY, gqlOk, start, waitFor } from './helpers.js';

type Client = ReturnType<typeof Stigg.initialize>;

let server: StiggLocal;
let client: Client;

beforeEach(async () => {
  server = await start({ catalog: testCatalog() });
  client = Stigg.initialize({
    apiKey: API_KEY,
    baseUri: server.url,
    wsUrl: server.wsUrl,
    baseEdgeUri: server.url,
    enableEdge: false,
    logConfiguration: { logLevel: 'NONE' as never },
  } as never);
  await client.waitForInitialization();
});
afterEach(async () => {
  client?.close();
  await server?.close();
});

const hasAnalytics = async (customerId: string) =>
  (await client.getBooleanEntitlement({ customerId, featureId: 'feature-analytics' })).hasAccess;

describe('applySubscription', () => {
  it('provisions, then updates the same plan in place, and answers the entitlements', async () => {
    const first = await client.applySubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY' as never,
      paymentMethodId: 'pm_card_visa',
    } as never);
    expect(first.subscription).toMatchObject({ planId: 'plan-pro', status: 'ACTIVE', customerId: 'customer-nosub' });
    expect(first.subscription?.latestInvoice).toMatchObject({ status: 'PAID', total: 49, currency: 'USD' });
    expect(await hasAnalytics('customer-nosub')).toBe(true);
    const second = await client.applySubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY' as never,
      addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
    } as never);
    expect(second.subscription?.id).toBe(first.subscription?.id);
    expect(second.subscription?.addons).toEqual([{ addonId: 'addon-extra-seats', quantity: 1 }]);
    expect(second.subscription?.totalPrice).toMatchObject({ total: { amount: 59, currency: 'USD' } });
    expect((await client.getCustomer('customer-nosub')).hasPaymentMethod).toBe(true);
  });
});

describe('createSubscription (deprecated)', () => {
  it('creates the subscription', async () => {
    const sub = await client.createSubscription({ customerId: 'customer-nosub', planId: 'plan-free' });
    expect(sub).toMatchObject({ planId: 'plan-free', status: 'ACTIVE' });
  });
});

describe('transfers and delegation', () => {
  it('moves a subscription to another resource', async () => {
    const { subscription } = await client.provisionSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-site-basic',
      resourceId: 'site-1',
    });
    const moved = await client.transferSubscriptionToResource({
      subscriptionId: subscription!.id,
      destinationResourceId: 'site-2',
    } as never);
    expect(moved.resource?.id).toBe('site-2');
    const pages = (resourceId: string) =>
      client.getMeteredEntitlement({ customerId: 'customer-nosub', featureId: 'feature-pages', resourceId });
    await waitFor(async () => (await pages('site-2')).hasAccess && !(await pages('site-1')).hasAccess, 'moved');
    const back = await client.transferSubscription({
      customerId: 'customer-nosub',
      sourceResourceId: 'site-2',
      destinationResourceId: 'site-3',
    } as never);
    expect(back.resource?.id).toBe('site-3');
    await expect(
      client.transferSubscriptionToResource({ subscriptionId: 'sub-x', destinationResourceId: 'site-9' } as never),
    ).rejects.toMatchObject({ errorCode: 'SubscriptionNotFound' });
  });

  it('delegates a subscription to another customer, the first one paying', async () => {
    await client.provisionCustomer({ customerId: 'customer-member', subscriptionParams: null });
    const delegated = await client.delegateSubscriptionToCustomer({
      subscriptionId: 'subscription-customer-pro-plan-pro',
      destinationCustomerId: 'customer-member',
    } as never);
    expect(delegated.customerId).toBe('customer-member');
    await waitFor(
      async () => (await hasAnalytics('customer-member')) && !(await hasAnalytics('customer-pro')),
      'delegated',
    );
    const full = await client.getSubscription({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(full.payingCustomer?.id).toBe('customer-pro');
  });
});

describe('detachCustomerPaymentMethod', () => {
  it('removes the payment method', async () => {
    await client.applySubscription({
      customerId: 'customer-nosub',
      planId: 'plan-free',
      paymentMethodId: 'pm_card_visa',
    } as never);
    expect((await client.getCustomer('customer-nosub')).hasPaymentMethod).toBe(true);
    const customer = await client.detachCustomerPaymentMethod('customer-nosub');
    expect(customer.id).toBe('customer-nosub');
    expect((await client.getCustomer('customer-nosub')).hasPaymentMethod).toBe(false);
    await expect(client.detachCustomerPaymentMethod('nobody')).rejects.toMatchObject({ errorCode: 'CustomerNotFound' });
  });
});

describe('promotional entitlement groups', () => {
  it('grants a group, unlinks it, and revokes what is still linked', async () => {
    const granted = await client.grantPromotionalEntitlementsGroup({
      customerId: 'customer-free',
      featureGroupId: 'fg-growth',
      promotionalEntitlements: [
        { featureId: 'feature-analytics', period: 'ONE_MONTH' },
        { featureId: 'feature-max-projects', usageLimit: 20, period: 'LIFETIME' },
      ],
    } as never);
    expect(granted.map((p: { feature: { refId: string } }) => p.feature.refId)).toEqual([
      'feature-analytics',
      'feature-max-projects',
    ]);
    await waitFor(() => hasAnalytics('customer-free'), 'group granted');
    const revoked = await client.revokePromotionalEntitlementsGroup({
      customerId: 'customer-free',
      featureGroupId: 'fg-growth',
    } as never);
    expect(revoked.map((p: { status: string }) => p.status)).toEqual(['Expired', 'Expired']);
    await waitFor(async () => !(await hasAnalytics('customer-free')), 'group revoked');

    await client.grantPromotionalEntitlementsGroup({
      customerId: 'customer-free',
      featureGroupId: 'fg-2',
      promotionalEntitlements: [{ featureId: 'feature-analytics', period: 'ONE_MONTH' }],
    } as never);
    const unlinked = await client.unlinkPromotionalEntitlementsGroup({
      customerId: 'customer-free',
      featureGroupId: 'fg-2',
    } as never);
    expect(unlinked).toHaveLength(1);
    // Unlinked entitlements stay, but no longer belong to the group.
    await expect(
      client.revokePromotionalEntitlementsGroup({ customerId: 'customer-free', featureGroupId: 'fg-2' } as never),
    ).rejects.toMatchObject({ errorCode: 'FeatureGroupNotFoundError' });
    expect(await hasAnalytics('customer-free')).toBe(true);
  });
});

describe('payment required', () => {
  it('answers PAYMENT_REQUIRED with a checkout URL; visiting it pays and activates the subscription', async () => {
    server.admin.setPaymentRequired('customer-free', true);
    const result = await client.provisionSubscription({
      customerId: 'customer-free',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY' as never,
    });
    expect(result.provisionStatus).toBe('PAYMENT_REQUIRED');
    expect(result.subscription).toBeUndefined();
    expect(result.checkoutUrl).toMatch(new RegExp(`^${server.url}/_checkout/[0-9a-f]{32}$`));
    expect(await hasAnalytics('customer-free')).toBe(false);
    expect(server.admin.checkouts()).toMatchObject([{ customerId: 'customer-free', planId: 'plan-pro' }]);

    const page = await fetch(result.checkoutUrl!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Payment received');
    // The subscription is created and its entitlements pushed to the SDK's cache.
    await waitFor(() => hasAnalytics('customer-free'), 'entitlements pushed after checkout');
    const [active] = await client.getActiveSubscriptions({ customerId: 'customer-free' });
    expect(active).toMatchObject({ plan: { id: 'plan-pro' }, paymentCollection: 'NOT_REQUIRED' });
    expect(active!.latestInvoice).toMatchObject({ status: 'PAID', billingReason: 'SUBSCRIPTION_CREATION', total: 49 });
    expect((await client.getCustomer('customer-free')).hasPaymentMethod).toBe(true);
    expect((await fetch(result.checkoutUrl!)).status).toBe(404);
  });

  it('follows the plan flag and completes over the admin API', async () => {
    const catalog = server.admin.catalog();
    server.admin.publishCatalog({
      ...catalog,
      plans: catalog.plans.map((p) => (p.id === 'plan-pro' ? { ...p, requiresPayment: true } : p)),
    });
    const result = await client.provisionSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY' as never,
      checkoutOptions: { successUrl: 'https://app.example/paid', cancelUrl: 'https://app.example/cancel' },
    } as never);
    expect(result.provisionStatus).toBe('PAYMENT_REQUIRED');
    // A free plan needs no payment.
    const free = await client.provisionSubscription({ customerId: 'customer-free', planId: 'plan-free' });
    expect(free.provisionStatus).toBe('SUCCESS');

    const res = await fetch(`${server.url}/_admin/checkouts/customer-nosub/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(await res.json()).toMatchObject({ customerId: 'customer-nosub' });
    await waitFor(() => hasAnalytics('customer-nosub'), 'activated');
    // With a payment method now, the next paid provisioning needs no checkout.
    const again = await client.provisionSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'ANNUALLY' as never,
    });
    expect(again.provisionStatus).toBe('SUCCESS');
  });

  it('is switched for everyone over HTTP admin', async () => {
    const put = await fetch(`${server.url}/_admin/payment-required`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ required: true }),
    });
    expect(put.status).toBe(200);
    const data = await gqlOk(
      server,
      `mutation { provisionSubscriptionV2(input: {customerId: "customer-free", planId: "plan-pro", billingPeriod: MONTHLY}) {
        status checkoutUrl checkoutBillingId subscription { subscriptionId } entitlements { isGranted } } }`,
    );
    expect(data.provisionSubscriptionV2).toMatchObject({
      status: 'PAYMENT_REQUIRED',
      subscription: null,
      entitlements: null,
    });
    expect(data.provisionSubscriptionV2.checkoutBillingId).toMatch(/^cs_local_/);
  });
});
