/**
 * Estimates, previews, scheduled updates and package versions, called through the official
 * @stigg/node-server-sdk@3.95.0, unchanged, against stigg-local, with the server's clock moved by the test.
 */
import { Stigg } from '@stigg/node-server-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { API_KEY, start, waitFor } from './helpers.js';

type Client = ReturnType<typeof Stigg.initialize>;
const DAY = 86_400_000;
const JAN_1 = Date.parse('2024-01-01T00:00:00.000Z');
const FEB_1 = '2024-02-01T00:00:00.000Z';

let clock = JAN_1;
let server: StiggLocal;
let client: Client;

// A plain-object logger is merged into the global console by the SDK, so only the level silences it.
function sdk(s: StiggLocal): Client {
  return Stigg.initialize({
    apiKey: API_KEY,
    baseUri: s.url,
    wsUrl: s.wsUrl,
    baseEdgeUri: s.url,
    enableEdge: false,
    logConfiguration: { logLevel: 'NONE' as never },
  } as never);
}

beforeEach(async () => {
  clock = JAN_1;
  server = await start({ now: () => clock });
  client = sdk(server);
  await client.waitForInitialization();
});
afterEach(async () => {
  client?.close();
  await server?.close();
});

const usd = (amount: number) => ({ amount, currency: 'USD' });

describe('estimateSubscription', () => {
  it('prices a new subscription from the catalog: plan and add-ons for the billing period', async () => {
    const preview = await client.estimateSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY' as never,
      addons: [{ addonId: 'addon-extra-seats', quantity: 2 }],
    });
    expect(preview.subTotal).toEqual(usd(69));
    expect(preview.total).toEqual(usd(69));
    expect(preview.subscription).toMatchObject({ subTotal: usd(69), total: usd(69), tax: usd(0) });
    expect(preview.billingPeriodRange).toEqual({ start: new Date(JAN_1), end: new Date(FEB_1) });
    expect(preview.proration).toMatchObject({ credit: usd(0), debit: usd(69), netAmount: usd(69) });
  });

  it('takes the annual price, and a promotion code discounts it', async () => {
    const preview = await client.estimateSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'ANNUALLY' as never,
      promotionCode: 'LAUNCH20',
    });
    expect(preview.subTotal).toEqual(usd(490));
    expect(preview.total).toEqual(usd(392));
    expect(preview.discount).toMatchObject({ type: 'PERCENTAGE', value: 20 });
    expect(preview.billingPeriodRange.end).toEqual(new Date('2025-01-01T00:00:00.000Z'));
  });

  it('answers Stigg errors for unknown customers and plans', async () => {
    await expect(
      client.estimateSubscription({ customerId: 'nobody', planId: 'plan-pro', billingPeriod: 'MONTHLY' as never }),
    ).rejects.toMatchObject({ errorCode: 'CustomerNotFound' });
    await expect(
      client.estimateSubscription({
        customerId: 'customer-nosub',
        planId: 'plan-x',
        billingPeriod: 'MONTHLY' as never,
      }),
    ).rejects.toMatchObject({ errorCode: 'PlanNotFound' });
  });
});

describe('estimateSubscriptionUpdate', () => {
  it('prorates a change mid-period: credit for the unused part, debit for the new price for the rest', async () => {
    clock = JAN_1 + 15 * DAY; // Jan 16: 16 of January's 31 days are left
    const preview = await client.estimateSubscriptionUpdate({
      subscriptionId: 'subscription-customer-pro-plan-pro',
      addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
    });
    const credit = -Math.round(((49 * 16) / 31) * 100) / 100; // -25.29
    const debit = Math.round(((59 * 16) / 31) * 100) / 100; // 30.45
    expect(preview.proration).toMatchObject({
      credit: usd(credit),
      debit: usd(debit),
      netAmount: usd(Math.round((debit + credit) * 100) / 100),
      prorationDate: new Date(clock),
    });
    expect(preview.total).toEqual(usd(5.16));
    expect(preview.subscription?.total).toEqual(usd(59));
    expect(preview.billingPeriodRange).toEqual({ start: new Date(JAN_1), end: new Date(FEB_1) });
  });

  it('answers SubscriptionNotFound for an unknown subscription', async () => {
    await expect(client.estimateSubscriptionUpdate({ subscriptionId: 'sub-x', unitQuantity: 2 })).rejects.toMatchObject(
      { errorCode: 'SubscriptionNotFound' },
    );
  });
});

describe('previewSubscription and previewNextInvoice', () => {
  it('previews the immediate and recurring invoices of an upgrade', async () => {
    clock = JAN_1 + 10 * DAY;
    const preview = await client.previewSubscription({
      customerId: 'customer-free',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY' as never,
    });
    expect(preview.immediateInvoice.total).toEqual(usd(49));
    expect(preview.recurringInvoice?.total).toEqual(usd(49));
    expect(preview.isPlanDowngrade).toBe(false);
  });

  it('previews the next invoice, line by line', async () => {
    await client.updateSubscription({
      subscriptionId: 'subscription-customer-pro-plan-pro',
      addons: [{ addonId: 'addon-extra-seats', quantity: 3 }],
    });
    const invoice = await client.previewNextInvoice({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(invoice.total).toMatchObject(usd(79));
    expect(invoice.lines.map((l) => [l.type, l.amount.amount, l.quantity])).toEqual([
      ['BaseCharge', 49, 1],
      ['AddonCharge', 30, 3],
    ]);
    expect(invoice.lines[0]!.period).toMatchObject({ start: FEB_1, end: '2024-03-01T00:00:00.000Z' });
  });
});

describe('scheduled updates', () => {
  it('schedules a downgrade at the end of the billing period and applies it then, with a push', async () => {
    const result = await client.provisionSubscription({
      customerId: 'customer-pro',
      planId: 'plan-free',
      scheduleStrategy: 'END_OF_BILLING_PERIOD' as never,
    });
    expect(result.provisionStatus).toBe('SUCCESS');
    expect(result.subscription?.planId).toBe('plan-pro');
    const sub = await client.getSubscription({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(sub.futureUpdates).toMatchObject([
      {
        subscriptionScheduleType: 'Downgrade',
        scheduleStatus: 'Scheduled',
        scheduledExecutionTime: FEB_1,
        targetPackage: { refId: 'plan-free' },
        scheduleVariables: { __typename: 'DowngradeChangeVariables', downgradePlanRefId: 'plan-free' },
      },
    ]);
    const before = await client.getBooleanEntitlement({ customerId: 'customer-pro', featureId: 'feature-analytics' });
    expect(before.hasAccess).toBe(true);
    // The next invoice already shows the downgrade.
    const invoice = await client.previewNextInvoice({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(invoice.total.amount).toBe(0);

    clock = Date.parse(FEB_1) + 1000; // the settle timer (every second) applies it and pushes the entitlements
    await waitFor(
      async () =>
        !(await client.getBooleanEntitlement({ customerId: 'customer-pro', featureId: 'feature-analytics' })).hasAccess,
      'the downgrade pushed',
    );
    const after = await client.getSubscription({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(after.plan.id).toBe('plan-free');
    expect(after.futureUpdates).toEqual([]);
  });

  it('schedules add-on changes of updateSubscription, and cancelSubscriptionScheduledUpdates cancels them', async () => {
    await client.updateSubscription({
      subscriptionId: 'subscription-customer-pro-plan-pro',
      addons: [{ addonId: 'addon-extra-seats', quantity: 2 }],
      scheduleStrategy: 'END_OF_BILLING_PERIOD' as never,
    });
    let sub = await client.getSubscription({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(sub.addons).toEqual([]);
    expect(sub.futureUpdates).toMatchObject([
      {
        subscriptionScheduleType: 'Addon',
        scheduleStatus: 'Scheduled',
        scheduleVariables: { addonRefId: 'addon-extra-seats', newQuantity: 2 },
      },
    ]);
    const cancelled = await client.cancelSubscriptionScheduledUpdates({
      subscriptionId: 'subscription-customer-pro-plan-pro',
      status: 'Scheduled' as never,
    });
    expect(cancelled).toEqual({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    sub = await client.getSubscription({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(sub.futureUpdates).toEqual([]);
    clock = Date.parse(FEB_1) + DAY;
    sub = await client.getSubscription({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(sub.addons).toEqual([]);
    await expect(client.cancelSubscriptionScheduledUpdates({ subscriptionId: 'sub-x' })).rejects.toMatchObject({
      errorCode: 'SubscriptionNotFound',
    });
  });
});

describe('package versions and migrateSubscriptionToLatest', () => {
  const projects = async (customerId: string) =>
    (await client.getNumericEntitlement({ customerId, featureId: 'feature-max-projects' })).value;

  it('keeps existing subscriptions on their version until migrated, immediately', async () => {
    const pro = server.admin.catalog().plans.find((p) => p.id === 'plan-pro')!;
    const result = server.admin.publishPackageVersion('Plan', 'plan-pro', {
      entitlements: pro.entitlements.map((e) => (e.feature === 'feature-max-projects' ? { ...e, limit: 80 } : e)),
    });
    expect(result).toMatchObject({ version: 2, migrationType: 'NEW_CUSTOMERS' });
    // Existing customers keep version 1; new subscriptions get version 2.
    expect(await projects('customer-pro')).toBe(50);
    await client.provisionSubscription({
      customerId: 'customer-nosub',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY' as never,
    });
    expect(await projects('customer-nosub')).toBe(80);
    const mine = await client.getSubscription({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(mine.plan).toMatchObject({ id: 'plan-pro' });

    const migrated = await client.migrateSubscriptionToLatest({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(migrated).toEqual({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    await waitFor(async () => (await projects('customer-pro')) === 80, 'migrated entitlements');
    await expect(
      client.migrateSubscriptionToLatest({ subscriptionId: 'subscription-customer-pro-plan-pro' }),
    ).rejects.toMatchObject({ errorCode: 'SubscriptionAlreadyOnLatestPlanError' });
  });

  it('migrates at the end of the billing period when asked, announced over HTTP admin too', async () => {
    const pro = server.admin.catalog().plans.find((p) => p.id === 'plan-pro')!;
    const res = await fetch(`${server.url}/_admin/packages/Plan/plan-pro`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        entitlements: pro.entitlements.map((e) => (e.feature === 'feature-max-projects' ? { ...e, limit: 70 } : e)),
      }),
    });
    expect(await res.json()).toMatchObject({ packageType: 'Plan', refId: 'plan-pro', version: 2 });
    await client.migrateSubscriptionToLatest({
      subscriptionId: 'subscription-customer-pro-plan-pro',
      subscriptionMigrationTime: 'END_OF_BILLING_PERIOD' as never,
    });
    const sub = await client.getSubscription({ subscriptionId: 'subscription-customer-pro-plan-pro' });
    expect(sub.futureUpdates).toMatchObject([
      { subscriptionScheduleType: 'MigrateToLatest', scheduledExecutionTime: FEB_1 },
    ]);
    expect(await projects('customer-pro')).toBe(50);
    clock = Date.parse(FEB_1);
    await waitFor(async () => (await projects('customer-pro')) === 70, 'migration at period end');
  });
});
