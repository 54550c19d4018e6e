/** Entitlements computed the way Stigg computes them, read over real HTTP. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { entitlements, gql, gqlOk, start } from './helpers.js';
import { testCatalog } from './fixtures.js';

let server: StiggLocal;
let now = Date.parse('2026-03-10T08:30:00.000Z');
const clock = () => now;

beforeEach(async () => {
  now = Date.parse('2026-03-10T08:30:00.000Z');
  server = await start({ catalog: testCatalog(), now: clock });
});
afterEach(() => server.close());

const PROVISION = `mutation P($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) {
  subscription { subscriptionId } entitlements { feature { refId } } } }`;
const provision = (customerId: string, planId?: string, extra: Record<string, unknown> = {}) =>
  gqlOk(server, PROVISION, { input: { customerId, subscriptionParams: planId ? { planId, ...extra } : null } });
const report = (customerId: string, featureId: string, value: number, extra: Record<string, unknown> = {}) =>
  gqlOk(server, `mutation R($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }`, {
    input: { customerId, featureId, value, ...extra },
  });

describe('entitlements', () => {
  it('gives the demo plans their limits, values and reset periods', async () => {
    const free = await entitlements(server, 'customer-free');
    expect(Object.keys(free).sort()).toEqual([
      'feature-api-calls',
      'feature-export-formats',
      'feature-max-projects',
      'feature-seats',
    ]);
    expect(free['feature-api-calls']).toMatchObject({
      usageLimit: 100,
      currentUsage: 0,
      resetPeriod: 'MONTH',
      isGranted: true,
    });
    expect(free['feature-seats']).toMatchObject({ usageLimit: 2, resetPeriod: null, usagePeriodEnd: null });
    expect(free['feature-export-formats']?.enumValues).toEqual(['csv']);
    const ent = await entitlements(server, 'customer-enterprise');
    expect(ent['feature-seats']).toMatchObject({ hasUnlimitedUsage: true, usageLimit: null });
    expect(ent['feature-export-formats']?.enumValues).toEqual(['csv', 'json', 'parquet']);
  });

  it('answers [] for unknown customers and customers without a subscription', async () => {
    expect(await entitlements(server, 'customer-nosub')).toEqual({});
    expect(await entitlements(server, 'nobody')).toEqual({});
  });

  it('inherits base-plan features the plan does not override', async () => {
    await provision('team', 'plan-team');
    const team = await entitlements(server, 'team');
    expect(team['feature-seats']?.usageLimit).toBe(25); // own
    expect(team['feature-max-projects']?.usageLimit).toBe(50); // from plan-pro
    expect(team['feature-analytics']?.isGranted).toBe(true); // from plan-pro
    expect(team['feature-export-formats']?.enumValues).toEqual(['csv', 'json']); // plan-pro overrides plan-free
  });

  it('adds add-on quantities to limits', async () => {
    await provision('addons', 'plan-pro', {
      billingPeriod: 'MONTHLY',
      addons: [{ addonId: 'addon-extra-seats', quantity: 3 }],
    });
    expect((await entitlements(server, 'addons'))['feature-seats']?.usageLimit).toBe(25);
    const r = await gql(server, PROVISION, {
      input: {
        customerId: 'bad-addon',
        subscriptionParams: { planId: 'plan-free', addons: [{ addonId: 'addon-extra-seats' }] },
      },
    });
    expect(r.errors?.[0]?.extensions.code).toBe('IncompatibleSubscriptionAddon');
  });

  it('marks soft limits', async () => {
    await provision('soft', 'plan-periods');
    expect((await entitlements(server, 'soft'))['feature-api-calls']).toMatchObject({
      hasSoftLimit: true,
      usageLimit: 10,
    });
  });

  it('applies promotional entitlements on top of the plan, and removes them when revoked', async () => {
    const grant = `mutation G($input: GrantPromotionalEntitlementsInput!) { grantPromotionalEntitlements(input: $input) { featureId status usageLimit feature { refId } } }`;
    const granted = await gqlOk(server, grant, {
      input: {
        customerId: 'customer-free',
        promotionalEntitlements: [
          { featureId: 'feature-analytics', period: 'ONE_MONTH' },
          { featureId: 'feature-api-calls', usageLimit: 5000, period: 'LIFETIME' },
        ],
      },
    });
    expect(granted.grantPromotionalEntitlements).toHaveLength(2);
    let free = await entitlements(server, 'customer-free');
    expect(free['feature-analytics']?.isGranted).toBe(true);
    expect(free['feature-api-calls']?.usageLimit).toBe(5000);
    now += 40 * 86_400_000; // the ONE_MONTH promotion ends
    free = await entitlements(server, 'customer-free');
    expect(free['feature-analytics']).toBeUndefined();
    await gqlOk(
      server,
      `mutation { revokePromotionalEntitlement(input: {customerId: "customer-free", featureId: "feature-api-calls"}) { id } }`,
    );
    expect((await entitlements(server, 'customer-free'))['feature-api-calls']?.usageLimit).toBe(100);
    const none = await gql(
      server,
      `mutation { revokePromotionalEntitlement(input: {customerId: "customer-free", featureId: "feature-api-calls"}) { id } }`,
    );
    expect(none.errors?.[0]?.extensions.code).toBe('PromotionalEntitlementNotFoundError');
  });

  it('keeps several subscriptions per customer apart by resource', async () => {
    await provision('multi');
    const sub = `mutation S($input: ProvisionSubscriptionInput!) { provisionSubscription: provisionSubscriptionV2(input: $input) { status } }`;
    await gqlOk(server, sub, { input: { customerId: 'multi', planId: 'plan-site-basic', resourceId: 'site-1' } });
    await gqlOk(server, sub, { input: { customerId: 'multi', planId: 'plan-site-plus', resourceId: 'site-2' } });
    expect((await entitlements(server, 'multi', 'site-1'))['feature-pages']?.usageLimit).toBe(5);
    expect((await entitlements(server, 'multi', 'site-2'))['feature-pages']?.usageLimit).toBe(50);
    expect(await entitlements(server, 'multi', 'site-3')).toEqual({});
    const missing = await gql(server, sub, { input: { customerId: 'multi', planId: 'plan-site-basic' } });
    expect(missing.errors?.[0]?.extensions.code).toBe('BadUserInput');
    await report('multi', 'feature-pages', 4, { resourceId: 'site-1' });
    expect((await entitlements(server, 'multi', 'site-1'))['feature-pages']?.currentUsage).toBe(4);
    expect((await entitlements(server, 'multi', 'site-2'))['feature-pages']?.currentUsage).toBe(0);
  });

  it('denies archived customers with CustomerIsArchived and restores them when unarchived', async () => {
    await gqlOk(server, `mutation { archiveCustomer(input: {customerId: "customer-pro"}) { customerId } }`);
    const archived = await entitlements(server, 'customer-pro');
    expect(archived['feature-analytics']).toMatchObject({ isGranted: false, accessDeniedReason: 'CustomerIsArchived' });
    await gqlOk(server, `mutation { unarchiveCustomer(input: {customerId: "customer-pro"}) { customerId } }`);
    expect((await entitlements(server, 'customer-pro'))['feature-analytics']).toMatchObject({
      isGranted: true,
      accessDeniedReason: null,
    });
  });

  it('resets usage at each period boundary and fills in the period fields', async () => {
    await provision('periods', 'plan-periods');
    for (const f of [
      'feature-hourly',
      'feature-daily',
      'feature-weekly',
      'feature-yearly',
      'feature-calendar',
      'feature-api-calls',
    ]) {
      await report('periods', f, 3);
    }
    let e = await entitlements(server, 'periods');
    expect(e['feature-hourly']).toMatchObject({
      currentUsage: 3,
      usagePeriodStart: '2026-03-10T08:30:00.000Z',
      usagePeriodEnd: '2026-03-10T09:30:00.000Z',
    });
    expect(e['feature-weekly']).toMatchObject({
      usagePeriodAnchor: '2026-03-09T00:00:00.000Z',
      usagePeriodEnd: '2026-03-16T00:00:00.000Z',
    });
    expect(e['feature-calendar']).toMatchObject({
      usagePeriodStart: '2026-03-01T00:00:00.000Z',
      nextResetDate: '2026-04-01T00:00:00.000Z',
    });

    now = Date.parse('2026-03-10T10:00:00.000Z'); // next hour
    e = await entitlements(server, 'periods');
    expect(e['feature-hourly']?.currentUsage).toBe(0);
    expect(e['feature-daily']?.currentUsage).toBe(3);

    now = Date.parse('2026-03-16T00:00:01.000Z'); // past Monday midnight
    e = await entitlements(server, 'periods');
    expect(e['feature-daily']?.currentUsage).toBe(0);
    expect(e['feature-weekly']?.currentUsage).toBe(0);
    expect(e['feature-api-calls']?.currentUsage).toBe(3);

    now = Date.parse('2026-04-01T00:00:01.000Z');
    e = await entitlements(server, 'periods');
    expect(e['feature-calendar']?.currentUsage).toBe(0); // start of month
    expect(e['feature-api-calls']?.currentUsage).toBe(3); // by subscription start: resets on the 10th
    now = Date.parse('2026-04-10T08:30:00.000Z');
    e = await entitlements(server, 'periods');
    expect(e['feature-api-calls']).toMatchObject({ currentUsage: 0, usagePeriodStart: '2026-04-10T08:30:00.000Z' });
    expect(e['feature-yearly']?.currentUsage).toBe(3);
    // a report in the new period starts from 0
    expect((await report('periods', 'feature-hourly', 2)).reportUsage.currentUsage).toBe(2);
  });

  it('ends cancelled subscriptions at the end of the billing period or immediately', async () => {
    await provision('cancel', 'plan-pro', { billingPeriod: 'MONTHLY', subscriptionId: 'sub-cancel' });
    const cancel = `mutation C($input: SubscriptionCancellationInput!) { cancelSubscription(input: $input) { status effectiveEndDate } }`;
    const later = await gqlOk(server, cancel, {
      input: { subscriptionRefId: 'sub-cancel', subscriptionCancellationTime: 'END_OF_BILLING_PERIOD' },
    });
    expect(later.cancelSubscription).toMatchObject({ status: 'ACTIVE', effectiveEndDate: '2026-04-10T08:30:00.000Z' });
    expect((await entitlements(server, 'cancel'))['feature-analytics']?.isGranted).toBe(true);
    now = Date.parse('2026-04-10T08:30:00.001Z');
    expect(await entitlements(server, 'cancel')).toEqual({});
    const again = await gql(server, cancel, { input: { subscriptionRefId: 'sub-cancel' } });
    expect(again.errors?.[0]?.extensions.code).toBe('SubscriptionAlreadyCanceledOrExpired');
  });

  it('replaces the plan of the same product when a new subscription is provisioned', async () => {
    await gqlOk(
      server,
      `mutation { provisionSubscriptionV2(input: {customerId: "customer-free", planId: "plan-enterprise"}) { status } }`,
    );
    const active = await gqlOk(
      server,
      `{ getActiveSubscriptions(input: {customerId: "customer-free"}) { plan { refId } status } }`,
    );
    expect(active.getActiveSubscriptions).toEqual([{ plan: { refId: 'plan-enterprise' }, status: 'ACTIVE' }]);
  });

  it('names unknown plans, features and customers with Stigg error codes', async () => {
    const plan = await gql(
      server,
      `mutation { provisionSubscriptionV2(input: {customerId: "customer-free", planId: "plan-nope"}) { status } }`,
    );
    expect(plan.errors?.[0]).toMatchObject({ extensions: { code: 'PlanNotFound' } });
    expect(plan.errors?.[0]?.message).toContain('plan-nope');
    const customer = await gql(
      server,
      `mutation { provisionSubscriptionV2(input: {customerId: "nobody", planId: "plan-free"}) { status } }`,
    );
    expect(customer.errors?.[0]?.extensions.code).toBe('CustomerNotFound');
    const feature = await gql(
      server,
      `mutation { reportUsage(input: {customerId: "customer-free", featureId: "feature-nope", value: 1}) { id } }`,
    );
    expect(feature.errors?.[0]?.extensions.code).toBe('FeatureNotFound');
    expect(JSON.stringify([plan, customer, feature])).not.toMatch(/\bat .*\.ts:\d+/); // no stack traces
  });
});
