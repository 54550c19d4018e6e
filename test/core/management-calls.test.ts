/**
 * Core's typed management calls (estimates, previews, promotional entitlement groups, subscription lists and customer
 * statistics, scheduled updates, migrations, applySubscription, transfers, delegation, payment methods, invoices,
 * credits, usage history, checkout) against a started stigg-local over real HTTP. The
 * server's clock is the test's (January 2024), so prorations follow from the catalog's prices: plan-pro $49 a month,
 * addon-extra-seats $10 a month, coupon LAUNCH20 20% off.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Tollgate } from '@tollgate/core';
import { startStiggLocal, type Catalog, type StiggLocal } from '@tollgate/stigg-local';
import { creditCatalog } from '../support/catalogs.js';
import { clientFactory } from '../support/stigg.js';
import { until } from '../support/wait.js';

const DAY = 86_400_000;
const JAN_1 = Date.parse('2024-01-01T00:00:00.000Z');
const FEB_1 = '2024-02-01T00:00:00.000Z';
const usd = (amount: number) => ({ amount, currency: 'USD' });
const cents = (x: number) => Math.round(x * 100) / 100;

/** The credit catalog plus a product with one subscription per resource (transfers between resources). */
function catalog(): Catalog {
  const credits = creditCatalog();
  return {
    ...credits,
    products: [...credits.products, { id: 'product-sites', displayName: 'Sites', multipleSubscriptions: true }],
    features: [
      ...credits.features,
      { id: 'feature-pages', displayName: 'Pages', type: 'NUMBER', meterType: 'Fluctuating' },
    ],
    plans: [
      ...credits.plans,
      {
        id: 'plan-site-basic',
        product: 'product-sites',
        displayName: 'Site basic',
        entitlements: [{ feature: 'feature-pages', limit: 5 }],
      },
    ],
  };
}

let clock = JAN_1;
let server: StiggLocal;
const clients = clientFactory(() => server);
/** Without the stream: whatever a check shows after a call, the call itself made the cache show it. */
let tollgate: Tollgate;

beforeEach(async () => {
  clock = JAN_1;
  server = await startStiggLocal({ log: () => {}, now: () => clock, catalog: catalog() });
  // Stigg's limit of writes per customer (Tollgate spaces a customer's usage reports by 60 s / this).
  tollgate = await clients.make({ stream: false, usage: { customerWritesPerMinute: 30 } });
});
afterEach(async () => {
  await clients.closeAll();
  await server?.close();
});

const PRO_SUB = 'subscription-customer-pro-plan-pro';
const granted = async (t: Tollgate, customerId: string, featureId = 'feature-analytics', resourceId?: string) =>
  (await t.check({ customerId, featureId, resourceId: resourceId ?? null })).hasAccess;

describe('estimates', () => {
  it('estimateSubscription prices a new subscription: plan plus add-ons for the billing period', async () => {
    const e = await tollgate.estimateSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
      addons: [{ addonId: 'addon-extra-seats', quantity: 2 }],
    });
    expect(e.subTotal).toEqual(usd(69)); // 49 + 2 × 10
    expect(e.total).toEqual(usd(69));
    expect(e.totalExcludingTax).toEqual(usd(69));
    expect(e.billingPeriodRange).toEqual({ start: new Date(JAN_1).toISOString(), end: FEB_1 });
    expect(e.proration).toMatchObject({ credit: usd(0), debit: usd(69), netAmount: usd(69) });
    expect(e.isPlanDowngrade).toBe(false);
    expect(e.subscription).toEqual({ subTotal: usd(69), totalExcludingTax: usd(69), total: usd(69), tax: usd(0) });
    expect(e.taxDetails).toBeNull(); // the catalog has no tax
  });

  it('estimateSubscription takes the annual price, less a promotion code', async () => {
    const e = await tollgate.estimateSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'ANNUALLY',
      promotionCode: 'LAUNCH20',
    });
    expect(e.subTotal).toEqual(usd(490));
    expect(e.total).toEqual(usd(392)); // 20% off
    expect(e.discountAmount).toEqual(usd(98));
    expect(e.discount).toMatchObject({ type: 'PERCENTAGE', value: 20 });
    expect(e.billingPeriodRange.end).toBe('2025-01-01T00:00:00.000Z');
  });

  it('estimateSubscriptionUpdate prorates a change mid-period', async () => {
    clock = JAN_1 + 15 * DAY; // Jan 16: 16 of January's 31 days are left
    const e = await tollgate.estimateSubscriptionUpdate({
      subscriptionId: PRO_SUB,
      addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
    });
    const credit = -cents((49 * 16) / 31); // -25.29: the unused part of $49
    const debit = cents((59 * 16) / 31); // 30.45: $59 for the rest of the period
    expect(e.proration).toMatchObject({
      prorationDate: new Date(clock).toISOString(),
      credit: usd(credit),
      debit: usd(debit),
      netAmount: usd(cents(debit + credit)),
    });
    expect(e.total).toEqual(usd(5.16));
    expect(e.billingPeriodRange).toEqual({ start: new Date(JAN_1).toISOString(), end: FEB_1 });
  });

  it('answers Stigg errors as typed errors', async () => {
    await expect(
      tollgate.estimateSubscription({ customerId: 'nobody', planId: 'plan-pro', billingPeriod: 'MONTHLY' }),
    ).rejects.toMatchObject({ stiggCode: 'CustomerNotFound' });
    await expect(
      tollgate.estimateSubscriptionUpdate({ subscriptionId: 'sub-x', unitQuantity: 2 }),
    ).rejects.toMatchObject({ stiggCode: 'SubscriptionNotFound' });
  });
});

describe('previewSubscription', () => {
  it('previews a new subscription: the invoice now and each period after, from the plan and add-on prices', async () => {
    const p = await tollgate.previewSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
      addons: [{ addonId: 'addon-extra-seats', quantity: 2 }],
    });
    expect(p.immediateInvoice).toMatchObject({ subTotal: usd(69), total: usd(69), totalExcludingTax: usd(69) }); // 49 + 2 × 10
    expect(p.immediateInvoice.proration).toMatchObject({ credit: usd(0), debit: usd(69), netAmount: usd(69) });
    expect(p.recurringInvoice).toMatchObject({ subTotal: usd(69), total: usd(69) });
    expect(p.recurringInvoice!.taxDetails).toBeNull(); // the catalog has no tax
    expect(p.billingPeriodRange).toEqual({ start: new Date(JAN_1).toISOString(), end: FEB_1 });
    expect(p.isPlanDowngrade).toBe(false);
    expect(p.hasScheduledUpdates).toBe(false);
  });

  it('takes the annual price less a promotion code, the discount on both invoices', async () => {
    const p = await tollgate.previewSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'ANNUALLY',
      promotionCode: 'LAUNCH20',
    });
    for (const invoice of [p.immediateInvoice, p.recurringInvoice!]) {
      expect(invoice.subTotal).toEqual(usd(490));
      expect(invoice.total).toEqual(usd(392)); // 20% off
      expect(invoice.discount).toEqual(usd(98));
      expect(invoice.discountDetails).toMatchObject({ type: 'PERCENTAGE', value: 20 });
    }
    expect(p.billingPeriodRange.end).toBe('2025-01-01T00:00:00.000Z');
  });

  it("previews a change of the customer's plan mid-period: the unused part credited, the new period charged", async () => {
    clock = JAN_1 + 15 * DAY; // Jan 16: 16 of January's 31 days are left
    const p = await tollgate.previewSubscription({
      customerId: 'customer-pro',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
      addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
    });
    const credit = -cents((49 * 16) / 31); // -25.29: the unused part of $49
    expect(p.immediateInvoice.proration).toMatchObject({
      prorationDate: new Date(clock).toISOString(),
      credit: usd(credit),
      debit: usd(59),
      netAmount: usd(cents(59 + credit)),
    });
    expect(p.immediateInvoice.total).toEqual(usd(cents(59 + credit)));
    expect(p.recurringInvoice!.total).toEqual(usd(59));
    // Nothing changed: the preview is safe to repeat.
    expect((await tollgate.getSubscription(PRO_SUB)).addons).toEqual([]);
  });

  it('a downgrade scheduled for the end of the period: nothing now, a downgrade with scheduled updates', async () => {
    const p = await tollgate.previewSubscription({
      customerId: 'customer-pro',
      planId: 'plan-free',
      scheduleStrategy: 'END_OF_BILLING_PERIOD',
    });
    expect(p.immediateInvoice.total).toEqual(usd(0));
    expect(p.recurringInvoice).toBeNull(); // plan-free costs nothing
    expect(p.isPlanDowngrade).toBe(true);
    expect(p.hasScheduledUpdates).toBe(true);
    expect(p.billingPeriodRange).toEqual({ start: new Date(JAN_1).toISOString(), end: FEB_1 });
    await expect(
      tollgate.previewSubscription({ customerId: 'nobody', planId: 'plan-pro', billingPeriod: 'MONTHLY' }),
    ).rejects.toMatchObject({ stiggCode: 'CustomerNotFound' });
  });
});

describe('promotional entitlement groups', () => {
  const projects = async () =>
    (await tollgate.check({ customerId: 'customer-free', featureId: 'feature-max-projects' })).usageLimit;

  it('a granted group changes the next check at once; revoking it takes it back', async () => {
    expect(await granted(tollgate, 'customer-free')).toBe(false); // cached now
    expect(await projects()).toBe(3);
    const group = await tollgate.grantPromotionalEntitlementsGroup({
      customerId: 'customer-free',
      featureGroupId: 'fg-growth',
      promotionalEntitlements: [
        { featureId: 'feature-analytics', period: 'ONE_MONTH' },
        { featureId: 'feature-max-projects', period: 'LIFETIME', usageLimit: 20 },
      ],
    });
    expect(group.map((p) => [p.feature.refId, p.status, p.usageLimit])).toEqual([
      ['feature-analytics', 'Active', null],
      ['feature-max-projects', 'Active', 20],
    ]);
    // No stream: the call itself dropped the cached entry.
    expect(await granted(tollgate, 'customer-free')).toBe(true);
    expect(await projects()).toBe(20);

    const revoked = await tollgate.revokePromotionalEntitlementsGroup({
      customerId: 'customer-free',
      featureGroupId: 'fg-growth',
    });
    expect(revoked.map((p) => [p.feature.refId, p.status])).toEqual([
      ['feature-analytics', 'Expired'],
      ['feature-max-projects', 'Expired'],
    ]);
    expect(await granted(tollgate, 'customer-free')).toBe(false);
    expect(await projects()).toBe(3);
    expect((await tollgate.getCustomer('customer-free'))!.promotionalEntitlements).toEqual([]);
  });

  it('unlinking keeps the entitlements, no longer as a group: revoked one by one after', async () => {
    await tollgate.grantPromotionalEntitlementsGroup({
      customerId: 'customer-free',
      featureGroupId: 'fg-2',
      promotionalEntitlements: [{ featureId: 'feature-analytics', period: 'ONE_MONTH' }],
    });
    const unlinked = await tollgate.unlinkPromotionalEntitlementsGroup({
      customerId: 'customer-free',
      featureGroupId: 'fg-2',
    });
    expect(unlinked.map((p) => [p.feature.refId, p.status])).toEqual([['feature-analytics', 'Active']]);
    expect(await granted(tollgate, 'customer-free')).toBe(true);
    await expect(
      tollgate.revokePromotionalEntitlementsGroup({ customerId: 'customer-free', featureGroupId: 'fg-2' }),
    ).rejects.toMatchObject({ stiggCode: 'FeatureGroupNotFoundError' });
    expect(await granted(tollgate, 'customer-free')).toBe(true);
    await tollgate.revokePromotionalEntitlement('customer-free', 'feature-analytics');
    expect(await granted(tollgate, 'customer-free')).toBe(false);
    await expect(
      tollgate.grantPromotionalEntitlementsGroup({
        customerId: 'nobody',
        featureGroupId: 'fg-3',
        promotionalEntitlements: [{ featureId: 'feature-analytics', period: 'ONE_MONTH' }],
      }),
    ).rejects.toMatchObject({ stiggCode: 'CustomerNotFound' });
  });
});

describe('getSubscriptions, getCustomerStatistics', () => {
  it('lists subscriptions by customer, status and product, a page at a time', async () => {
    const pro = await tollgate.getSubscriptions({ customerId: 'customer-pro' });
    expect(pro.subscriptions).toMatchObject([
      {
        subscriptionId: PRO_SUB,
        status: 'ACTIVE',
        pricingType: 'PAID',
        customer: { customerId: 'customer-pro' },
        plan: { refId: 'plan-pro' },
        resource: null,
      },
    ]);
    expect(pro.pageInfo.hasNextPage).toBe(false);

    await tollgate.provisionSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-site-basic',
      resourceId: 'site-1',
    });
    const sites = await tollgate.getSubscriptions({ productId: 'product-sites', resourceId: ['site-1', 'site-2'] });
    expect(sites.subscriptions.map((s) => [s.customer.customerId, s.resource?.resourceId])).toEqual([
      ['customer-nosub', 'site-1'],
    ]);

    // Four active subscriptions (three demo customers and the site), two a page.
    const first = await tollgate.getSubscriptions({ status: 'ACTIVE', paging: { first: 2 } });
    expect(first.subscriptions).toHaveLength(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await tollgate.getSubscriptions({
      status: ['ACTIVE', 'IN_TRIAL'],
      paging: { first: 2, after: first.pageInfo.endCursor! },
    });
    expect(second.subscriptions).toHaveLength(2);
    const ids = [...first.subscriptions, ...second.subscriptions].map((s) => s.subscriptionId);
    expect(new Set(ids).size).toBe(4);
    expect(ids).toContain(PRO_SUB);

    await tollgate.cancelSubscription({ subscriptionId: PRO_SUB, subscriptionCancellationTime: 'IMMEDIATE' });
    expect((await tollgate.getSubscriptions({ customerId: 'customer-pro', status: 'ACTIVE' })).subscriptions).toEqual(
      [],
    );
  });

  it("counts a customer's active subscriptions by pricing type", async () => {
    expect(await tollgate.getCustomerStatistics('customer-pro')).toEqual({
      activeSubscriptionsByPricingType: [{ pricingType: 'PAID', totalCount: 1 }],
    });
    await tollgate.provisionSubscription({
      customerId: 'customer-pro',
      planId: 'plan-site-basic',
      resourceId: 'site-1',
    });
    const stats = await tollgate.getCustomerStatistics('customer-pro');
    expect(stats.activeSubscriptionsByPricingType).toEqual(
      expect.arrayContaining([
        { pricingType: 'PAID', totalCount: 1 },
        { pricingType: 'FREE', totalCount: 1 },
      ]),
    );
    expect(stats.activeSubscriptionsByPricingType).toHaveLength(2);
    expect(await tollgate.getCustomerStatistics('customer-nosub')).toEqual({ activeSubscriptionsByPricingType: [] });
    await expect(tollgate.getCustomerStatistics('nobody')).rejects.toMatchObject({ stiggCode: 'CustomerNotFound' });
  });
});

describe('scheduled updates, the next invoice, migrations', () => {
  it('previewNextInvoice lists the next period, line by line', async () => {
    await tollgate.updateSubscription({
      subscriptionId: PRO_SUB,
      addons: [{ addonId: 'addon-extra-seats', quantity: 3 }],
    });
    const invoice = await tollgate.previewNextInvoice(PRO_SUB);
    expect(invoice.total).toEqual(usd(79));
    expect(invoice.amountDue).toEqual(usd(79));
    expect(invoice.lines.map((l) => [l.type, l.amount.amount, l.quantity])).toEqual([
      ['BaseCharge', 49, 1],
      ['AddonCharge', 30, 3],
    ]);
    expect(invoice.lines[0]!.period).toEqual({ start: FEB_1, end: '2024-03-01T00:00:00.000Z' });
  });

  it('a downgrade scheduled for the end of the period waits; cancelSubscriptionUpdates cancels it', async () => {
    const scheduled = await tollgate.provisionSubscription({
      customerId: 'customer-pro',
      planId: 'plan-free',
      scheduleStrategy: 'END_OF_BILLING_PERIOD',
    });
    expect(scheduled.status).toBe('SUCCESS');
    expect(scheduled.subscription).toMatchObject({ subscriptionId: PRO_SUB, plan: { refId: 'plan-pro' } });
    expect(await granted(tollgate, 'customer-pro')).toBe(true);
    // The next invoice already has the downgrade: plan-free costs nothing.
    expect((await tollgate.previewNextInvoice(PRO_SUB)).total).toEqual(usd(0));
    const estimate = await tollgate.estimateSubscriptionUpdate({ subscriptionId: PRO_SUB, unitQuantity: 1 });
    expect(estimate.hasScheduledUpdates).toBe(true);

    expect(await tollgate.cancelSubscriptionUpdates({ subscriptionId: PRO_SUB, status: 'Scheduled' })).toEqual({
      subscriptionId: PRO_SUB,
    });
    expect((await tollgate.previewNextInvoice(PRO_SUB)).total).toEqual(usd(49));
    clock = Date.parse(FEB_1) + DAY; // past the period: nothing was left to apply
    expect((await tollgate.getSubscription(PRO_SUB)).plan.refId).toBe('plan-pro');
    await expect(tollgate.cancelSubscriptionUpdates({ subscriptionId: 'sub-x' })).rejects.toMatchObject({
      stiggCode: 'SubscriptionNotFound',
    });
  });

  it('migrateSubscriptionToLatest moves a subscription to a published plan version, and the cache follows', async () => {
    const projects = async () =>
      (await tollgate.check({ customerId: 'customer-pro', featureId: 'feature-max-projects' })).usageLimit;
    expect(await projects()).toBe(50);
    const pro = server.admin.catalog().plans.find((p) => p.id === 'plan-pro')!;
    server.admin.publishPackageVersion('Plan', 'plan-pro', {
      entitlements: pro.entitlements.map((e) => (e.feature === 'feature-max-projects' ? { ...e, limit: 80 } : e)),
    });
    // Existing subscriptions keep their version until migrated.
    await tollgate.forgetCustomer('customer-pro');
    expect(await projects()).toBe(50);

    expect(await tollgate.migrateSubscriptionToLatest({ subscriptionId: PRO_SUB })).toEqual({
      subscriptionId: PRO_SUB,
    });
    expect(await projects()).toBe(80); // no stream: the call dropped the cached entry
    await expect(tollgate.migrateSubscriptionToLatest({ subscriptionId: PRO_SUB })).rejects.toMatchObject({
      stiggCode: 'SubscriptionAlreadyOnLatestPlanError',
    });
  });
});

describe('applySubscription, transfers, delegation, payment methods', () => {
  it('applySubscription provisions, then updates the same plan in place', async () => {
    expect(await granted(tollgate, 'customer-nosub')).toBe(false);
    const first = await tollgate.applySubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
    });
    expect(first).toMatchObject({
      status: 'ACTIVE',
      plan: { refId: 'plan-pro' },
      customer: { customerId: 'customer-nosub' },
    });
    expect(await granted(tollgate, 'customer-nosub')).toBe(true);
    const second = await tollgate.applySubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
      addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
    });
    expect(second!.subscriptionId).toBe(first!.subscriptionId);
    expect(second!.addons).toEqual([{ quantity: 1, addon: { refId: 'addon-extra-seats' } }]);
    expect((await tollgate.check({ customerId: 'customer-nosub', featureId: 'feature-seats' })).usageLimit).toBe(15);
  });

  it('transferSubscriptionToResource moves a subscription to another resource', async () => {
    const { subscription } = await tollgate.provisionSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-site-basic',
      resourceId: 'site-1',
    });
    expect(await granted(tollgate, 'customer-nosub', 'feature-pages', 'site-1')).toBe(true);
    const moved = await tollgate.transferSubscriptionToResource({
      subscriptionId: subscription!.subscriptionId,
      destinationResourceId: 'site-2',
    });
    expect(moved.resource).toEqual({ resourceId: 'site-2' });
    expect(await granted(tollgate, 'customer-nosub', 'feature-pages', 'site-2')).toBe(true);
    expect(await granted(tollgate, 'customer-nosub', 'feature-pages', 'site-1')).toBe(false);
  });

  it('delegateSubscriptionToCustomer gives the subscription to another customer, both caches follow', async () => {
    await tollgate.provisionCustomer({ customerId: 'customer-member' });
    expect(await granted(tollgate, 'customer-pro')).toBe(true);
    expect(await granted(tollgate, 'customer-member')).toBe(false);
    const delegated = await tollgate.delegateSubscriptionToCustomer({
      subscriptionId: PRO_SUB,
      destinationCustomerId: 'customer-member',
    });
    expect(delegated.customer.customerId).toBe('customer-member');
    expect(await granted(tollgate, 'customer-member')).toBe(true);
    expect(await granted(tollgate, 'customer-pro')).toBe(false);
  });

  it('detachCustomerPaymentMethod removes the payment method: the next paid plan needs a checkout', async () => {
    server.admin.setPaymentRequired('customer-nosub', true);
    // Paying a checkout gives the customer a payment method.
    const first = await tollgate.provisionSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
    });
    expect(first.status).toBe('PAYMENT_REQUIRED');
    server.admin.completeCheckout('customer-nosub');
    const again = await tollgate.provisionSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'ANNUALLY',
    });
    expect(again.status).toBe('SUCCESS');

    expect((await tollgate.getCustomer('customer-nosub'))?.hasPaymentMethod).toBe(true);
    const customer = await tollgate.detachCustomerPaymentMethod('customer-nosub');
    expect(customer.customerId).toBe('customer-nosub');
    expect((await tollgate.getCustomer('customer-nosub'))?.hasPaymentMethod).toBe(false);
    const third = await tollgate.provisionSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
    });
    expect(third.status).toBe('PAYMENT_REQUIRED');
    await expect(tollgate.detachCustomerPaymentMethod('nobody')).rejects.toMatchObject({
      stiggCode: 'CustomerNotFound',
    });
  });
});

describe('PAYMENT_REQUIRED', () => {
  it('answers a checkout URL and no subscription; paying it activates the subscription', async () => {
    const streamed = await clients.make(); // the stream tells it when the checkout is paid
    server.admin.setPaymentRequired('customer-free', true);
    const result = await tollgate.provisionSubscription({
      customerId: 'customer-free',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
    });
    expect(result.status).toBe('PAYMENT_REQUIRED');
    expect(result.subscription).toBeNull();
    expect(result.checkoutUrl).toMatch(new RegExp(`^${server.url}/_checkout/[0-9a-f]{32}$`));
    expect(await granted(streamed, 'customer-free')).toBe(false);

    const page = await fetch(result.checkoutUrl!);
    expect(page.status).toBe(200);
    await page.text();
    await until(() => granted(streamed, 'customer-free'), 'entitlements pushed after the checkout');
    const [active] = await tollgate.getActiveSubscriptions('customer-free');
    expect(active).toMatchObject({
      plan: { refId: 'plan-pro' },
      status: 'ACTIVE',
      paymentCollection: 'NOT_REQUIRED',
      latestInvoice: { status: 'PAID', billingReason: 'SUBSCRIPTION_CREATION', total: 49, currency: 'USD' },
      totalPrice: { subTotal: usd(49), total: usd(49) },
    });
    expect(active!.prices).toMatchObject([
      { price: { billingModel: 'FLAT_FEE', billingPeriod: 'MONTHLY', price: usd(49) } },
    ]);
  });

  it('with checkoutOptions, paying the checkout sends the browser to successUrl and activates the subscription', async () => {
    server.admin.setPaymentRequired('customer-free', true);
    const result = await tollgate.provisionSubscription({
      customerId: 'customer-free',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
      checkoutOptions: {
        successUrl: 'https://app.example/billing/done?plan=pro',
        cancelUrl: 'https://app.example/billing',
        allowPromoCodes: true,
        collectBillingAddress: true,
      },
      billingInformation: { taxPercentage: 17, billingAddress: { line1: '1 Main St', country: 'DK' } },
      paymentCollectionMethod: 'CHARGE',
      billingCountryCode: 'DK',
    });
    expect(result).toMatchObject({ status: 'PAYMENT_REQUIRED', subscription: null });
    expect(result.checkoutUrl).toMatch(new RegExp(`^${server.url}/_checkout/[0-9a-f]{32}$`));
    expect(await tollgate.getActiveSubscriptions('customer-free')).toMatchObject([{ plan: { refId: 'plan-free' } }]);

    const page = await fetch(result.checkoutUrl!, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('https://app.example/billing/done?plan=pro');
    await page.arrayBuffer();
    const [active] = await tollgate.getActiveSubscriptions('customer-free');
    expect(active).toMatchObject({ plan: { refId: 'plan-pro' }, status: 'ACTIVE', latestInvoice: { status: 'PAID' } });
    expect(await granted(tollgate, 'customer-free')).toBe(true);
    expect((await tollgate.getCustomer('customer-free'))?.hasPaymentMethod).toBe(true);
  });

  it('follows a plan that requires payment', async () => {
    const c = server.admin.catalog();
    server.admin.publishCatalog({
      ...c,
      plans: c.plans.map((p) => (p.id === 'plan-pro' ? { ...p, requiresPayment: true } : p)),
    });
    const paid = await tollgate.provisionSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
    });
    expect(paid).toMatchObject({ status: 'PAYMENT_REQUIRED', subscription: null });
    expect(paid.checkoutUrl).toContain('/_checkout/');
    const free = await tollgate.provisionSubscription({ customerId: 'customer-nosub', planId: 'plan-free' });
    expect(free).toMatchObject({
      status: 'SUCCESS',
      checkoutUrl: null,
      subscription: { plan: { refId: 'plan-free' } },
    });
  });
});

describe('billing details', () => {
  it('provisionCustomer takes billingInformation, and its first subscription billing details too', async () => {
    const { customer, subscription } = await tollgate.provisionCustomer({
      customerId: 'customer-billing',
      name: 'Billing Co',
      billingInformation: {
        currency: 'EUR',
        customerName: 'Billing Co ApS',
        billingAddress: { addressLine1: 'Nørregade 1', city: 'København', country: 'DK', postalCode: '1165' },
        taxIds: [{ type: 'eu_vat', value: 'DK12345678' }],
        language: 'da',
        timezone: 'Europe/Copenhagen',
        invoiceCustomFields: { po: '42' },
      },
      salesforceId: 'sf-001',
      excludeFromExperiment: true,
      subscriptionParams: {
        planId: 'plan-pro',
        billingPeriod: 'MONTHLY',
        billingCountryCode: 'DK',
        billingInformation: { taxPercentage: 17, invoiceDaysUntilDue: 14 },
        appliedCoupon: { couponId: 'coupon-launch-20' },
        trialOverrideConfiguration: { isTrial: false },
        paymentCollectionMethod: 'INVOICE',
      },
    });
    expect(customer).toMatchObject({ customerId: 'customer-billing', name: 'Billing Co' });
    expect(subscription).toMatchObject({ plan: { refId: 'plan-pro' }, status: 'ACTIVE' });
    expect(await granted(tollgate, 'customer-billing')).toBe(true);

    const updated = await tollgate.updateCustomer({
      customerId: 'customer-billing',
      billingInformation: { language: 'en' },
      shouldWaitSync: false,
    });
    expect(updated.customerId).toBe('customer-billing');
    const sub = await tollgate.updateSubscription({
      subscriptionId: subscription!.subscriptionId,
      billingInformation: { isInvoicePaid: true },
      billableFeatures: [],
      awaitPaymentConfirmation: false,
    });
    expect(sub.subscriptionId).toBe(subscription!.subscriptionId);
    const canceled = await tollgate.cancelSubscription({
      subscriptionId: subscription!.subscriptionId,
      subscriptionCancellationTime: 'IMMEDIATE',
      subscriptionCancellationAction: 'REVOKE_ENTITLEMENTS',
      prorate: true,
    });
    expect(canceled.status).toBe('CANCELED');
  });
});

describe('credits', () => {
  it('grants, reads the balance and the grants, consumes with usage, voids', async () => {
    await tollgate.provisionSubscription({ customerId: 'customer-nosub', planId: 'plan-ai' });
    const welcome = await tollgate.grantCredits({
      customerId: 'customer-nosub',
      currencyId: 'credits-ai-tokens',
      amount: 100,
      displayName: 'Welcome credits',
      grantType: 'PROMOTIONAL',
      expireAt: new Date(JAN_1 + 30 * DAY).toISOString(),
    });
    expect(welcome).toMatchObject({
      customerId: 'customer-nosub',
      currencyId: 'credits-ai-tokens',
      amount: 100,
      consumedAmount: 0,
      grantType: 'PROMOTIONAL',
      expireAt: new Date(JAN_1 + 30 * DAY).toISOString(),
    });
    const topUp = await tollgate.grantCredits({
      customerId: 'customer-nosub',
      currencyId: 'credits-ai-tokens',
      amount: 50,
      displayName: 'Top-up',
      grantType: 'PAID',
      cost: usd(5),
    });
    expect(topUp.cost).toEqual(usd(5));

    expect(await tollgate.getCreditBalance({ customerId: 'customer-nosub' })).toEqual([
      {
        customerId: 'customer-nosub',
        resourceId: null,
        currentBalance: 150,
        totalConsumed: 0,
        totalGranted: 150,
        validUntil: null, // the top-up never expires
        currency: {
          currencyId: 'credits-ai-tokens',
          displayName: 'AI tokens',
          symbol: null,
          units: { singular: 'token', plural: 'tokens' },
        },
      },
    ]);

    // 10 tokens at 2 credits each: the grant expiring first pays.
    await tollgate.reportUsage({ customerId: 'customer-nosub', featureId: 'feature-ai-tokens', value: 10 });
    const grants = await tollgate.getCreditGrants({ customerId: 'customer-nosub' });
    expect(grants.map((g) => [g.displayName, g.amount, g.consumedAmount])).toEqual([
      ['Welcome credits', 100, 20],
      ['Top-up', 50, 0],
    ]);

    const voided = await tollgate.voidCreditGrant(topUp.grantId);
    expect(voided.grantId).toBe(topUp.grantId);
    const [balance] = await tollgate.getCreditBalance({
      customerId: 'customer-nosub',
      currencyId: 'credits-ai-tokens',
    });
    expect(balance).toMatchObject({ currentBalance: 80, totalGranted: 100, totalConsumed: 20 });
    expect((await tollgate.getCreditGrants({ customerId: 'customer-nosub' })).map((g) => g.grantId)).toEqual([
      welcome.grantId,
    ]);
    await expect(tollgate.voidCreditGrant(topUp.grantId)).rejects.toMatchObject({
      stiggCode: 'CreditGrantAlreadyVoided',
    });
  });

  it('answers CustomCurrencyNotFound for an unknown currency', async () => {
    await expect(
      tollgate.grantCredits({
        customerId: 'customer-nosub',
        currencyId: 'credits-x',
        amount: 1,
        displayName: 'x',
        grantType: 'PAID',
      }),
    ).rejects.toMatchObject({ stiggCode: 'CustomCurrencyNotFound' });
  });
});

describe('usage history', () => {
  it('answers the reported values as points, with a reset point and marker where a period starts', async () => {
    for (const [day, value, updateBehavior] of [
      [2, 10, 'DELTA'],
      [5, 20, 'SET'],
      [40, 7, 'DELTA'], // February 10: a new monthly period began on February 1
    ] as const) {
      clock = JAN_1 + day * DAY;
      await tollgate.reportUsage({
        customerId: 'customer-free',
        featureId: 'feature-api-calls',
        value,
        updateBehavior,
      });
    }
    clock = JAN_1 + 45 * DAY;
    const history = await tollgate.getUsageHistory({
      customerId: 'customer-free',
      featureId: 'feature-api-calls',
      startDate: new Date(JAN_1 + 3 * DAY).toISOString(),
    });
    expect(history.series).toHaveLength(1);
    expect(history.series[0]!.points).toEqual([
      { timestamp: new Date(JAN_1 + 5 * DAY).toISOString(), value: 20, isResetPoint: false },
      { timestamp: new Date(JAN_1 + 40 * DAY).toISOString(), value: 7, isResetPoint: true },
    ]);
    expect(history.markers).toEqual([{ timestamp: FEB_1, type: 'PERIODIC_RESET' }]);
    await expect(
      tollgate.getUsageHistory({ customerId: 'customer-free', featureId: 'feature-x', startDate: FEB_1 }),
    ).rejects.toMatchObject({ stiggCode: 'FeatureNotFound' });
  });
});
