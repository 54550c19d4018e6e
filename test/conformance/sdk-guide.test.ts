/**
 * The Node SDK guide (`/work/shared/stigg-docs/node-sdk.txt`) as one script: every call of its examples, with the
 * guide's arguments adapted to the demo catalog's ids, plus the credit calls. The script runs three times, each
 * against a fresh stigg-local started the same way (same catalog, a clock the script moves the same way):
 *
 * 1. the official @stigg/node-server-sdk@3.95.0, unchanged, with Edge on;
 * 2. the same SDK with Edge off (`enableEdge: false`);
 * 3. `@tollgate/core/stigg`, the facade.
 *
 * Each step's answer is normalized (ids Stigg makes up, the server's address, times relative to the run's clock,
 * Apollo's `__typename`s) and compared: the two SDK runs must answer the same, field by field; the facade must answer
 * what the SDK answers on every field it gives, and the fields the SDK gives besides must be exactly those
 * docs/guide/coming-from-the-sdk.md lists ("Compared with the SDK, call by call"). A step the facade refuses by
 * design (none now: the guide's billing details are passed on) must be refused, and only such steps. A table is
 * printed at the end.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Stigg, type Logger } from '@tollgate/core/stigg';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { creditCatalog } from '../support/catalogs.js';
import { compare } from '../support/sdk-compare.js';
import { officialSdk, type StiggSdk } from '../support/stigg-sdk.js';
import { until } from '../support/wait.js';

const DAY = 86_400_000;
const silent: Logger = { log: () => {}, debug: () => {}, error: () => {} };

// ------------------------------------------------------------------------------------------------------------
// The script

type Client = StiggSdk | Stigg;
/** The script is written once, against the SDK's method names, for two clients whose argument types differ in detail. */
type Any = any;

interface Run {
  client: Client;
  server: StiggLocal;
  /** The server's clock. */
  now(): number;
  advance(ms: number): void;
  /** What earlier steps answered that later ones use (Stigg made up the subscription id, the grant id). */
  saved: Record<string, string>;
  events: { entitlementsUpdated: unknown[]; usageUpdated: unknown[] };
}

interface Step {
  name: string;
  run(r: Run): Promise<unknown>;
  /** Read again (up to 5 s) until the answer shows this: Stigg's pushes reach each client in its own time. */
  until?: (answer: Any) => boolean;
}

const C = 'customer-demo-01';
const sub = (r: Run) => r.saved.subscriptionId!;
const c = (r: Run) => r.client as Any;

const STEPS: Step[] = [
  // Provisioning customers (the guide's arguments; resourceId, billableFeatures, billingCountryCode and
  // billingInformation are left for the last step: the demo product has one subscription per customer and no
  // per-unit price)
  {
    name: 'provisionCustomer',
    run: (r) =>
      c(r).provisionCustomer({
        customerId: 'customer-test-id',
        name: 'My very first customer',
        email: 'owner@test.example',
        couponId: 'coupon-launch-20',
        subscriptionParams: {
          planId: 'plan-pro',
          billingPeriod: 'MONTHLY',
          addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
          promotionCode: 'LAUNCH20',
          metadata: { key: 'value' },
        },
      }),
  },
  {
    name: 'updateCustomer',
    run: (r) =>
      c(r).updateCustomer({
        customerId: 'customer-test-id',
        email: 'billing@test.example',
        couponId: 'coupon-launch-20',
        metadata: { key: 'value' },
      }),
  },
  { name: 'getCustomer', run: (r) => c(r).getCustomer('customer-test-id') },
  // Provisioning subscriptions
  {
    name: 'provisionCustomer (no subscription)',
    run: (r) => c(r).provisionCustomer({ customerId: C, name: 'Test Name', subscriptionParams: null }),
  },
  {
    name: 'provisionSubscription',
    run: async (r) => {
      const result = await c(r).provisionSubscription({
        customerId: C,
        planId: 'plan-pro',
        billingPeriod: 'MONTHLY',
        addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
        promotionCode: 'LAUNCH20',
      });
      r.saved.subscriptionId = result.subscription.id;
      return result;
    },
  },
  {
    name: 'updateSubscription',
    run: (r) =>
      c(r).updateSubscription({
        subscriptionId: sub(r),
        addons: [{ addonId: 'addon-extra-seats', quantity: 2 }],
        metadata: { key: 'newValue' },
        billingPeriod: 'MONTHLY',
      }),
  },
  { name: 'getActiveSubscriptionsList', run: (r) => c(r).getActiveSubscriptionsList({ customerId: C }) },
  { name: 'getSubscription', run: (r) => c(r).getSubscription({ subscriptionId: sub(r) }) },
  // Entitlements
  {
    name: 'getBooleanEntitlement',
    run: (r) => c(r).getBooleanEntitlement({ customerId: C, featureId: 'feature-analytics' }),
    until: (a) => a.hasAccess,
  },
  {
    name: 'getNumericEntitlement',
    run: (r) => c(r).getNumericEntitlement({ customerId: C, featureId: 'feature-max-projects' }),
    until: (a) => a.value === 50,
  },
  {
    name: 'getMeteredEntitlement',
    run: (r) => c(r).getMeteredEntitlement({ customerId: C, featureId: 'feature-seats' }),
    until: (a) => a.usageLimit === 20,
  },
  {
    name: 'getMeteredEntitlement requestedUsage 10',
    run: (r) =>
      c(r).getMeteredEntitlement({ customerId: C, featureId: 'feature-api-calls', options: { requestedUsage: 10 } }),
  },
  { name: 'getEntitlements', run: (r) => c(r).getEntitlements(C) },
  // Usage
  {
    name: 'reportUsage DELTA +10',
    run: (r) => c(r).reportUsage({ customerId: C, featureId: 'feature-seats', value: 10 }),
  },
  {
    name: 'reportUsage SET 10',
    run: (r) => c(r).reportUsage({ customerId: C, featureId: 'feature-seats', value: 10, updateBehavior: 'SET' }),
  },
  {
    name: 'reportUsage DELTA -3',
    run: (r) => c(r).reportUsage({ customerId: C, featureId: 'feature-seats', value: -3 }),
  },
  {
    name: 'reportEvent',
    run: (r) =>
      c(r).reportEvent({
        customerId: C,
        eventName: 'api-call',
        idempotencyKey: '227c1b73-883a-457b-b715-6ba5a2c69ce4',
        dimensions: { user_id: 'user-01', user_email: 'user@test.example' },
        timestamp: new Date(Date.parse('2022-10-26T15:01:55.768Z')),
      }),
  },
  {
    name: 'after usage: getMeteredEntitlement seats',
    run: (r) => c(r).getMeteredEntitlement({ customerId: C, featureId: 'feature-seats' }),
    until: (a) => a.currentUsage === 7,
  },
  {
    name: 'after the event: getMeteredEntitlement api-calls',
    run: (r) => c(r).getMeteredEntitlement({ customerId: C, featureId: 'feature-api-calls' }),
    until: (a) => a.currentUsage === 1,
  },
  // Promotional entitlements
  {
    name: 'grantPromotionalEntitlements',
    run: (r) =>
      c(r).grantPromotionalEntitlements({
        customerId: 'customer-free',
        promotionalEntitlements: [
          { featureId: 'feature-analytics', period: 'ONE_MONTH' },
          { featureId: 'feature-seats', period: 'LIFETIME', usageLimit: 50 },
        ],
      }),
  },
  {
    name: 'after grant: getBooleanEntitlement',
    run: (r) => c(r).getBooleanEntitlement({ customerId: 'customer-free', featureId: 'feature-analytics' }),
    until: (a) => a.hasAccess,
  },
  {
    name: 'revokePromotionalEntitlements',
    run: (r) => c(r).revokePromotionalEntitlements({ customerId: 'customer-free', featureId: 'feature-analytics' }),
  },
  {
    name: 'after revoke: getBooleanEntitlement',
    run: (r) => c(r).getBooleanEntitlement({ customerId: 'customer-free', featureId: 'feature-analytics' }),
    until: (a) => !a.hasAccess,
  },
  // Paywall, coupons, products
  { name: 'getPaywall', run: (r) => c(r).getPaywall() },
  { name: 'getCoupons', run: (r) => c(r).getCoupons() },
  { name: 'getProducts', run: (r) => c(r).getProducts() },
  // Estimates (ten days into the period: a change is prorated)
  {
    name: 'estimateSubscription',
    run: (r) =>
      c(r).estimateSubscription({
        customerId: 'customer-free',
        billingPeriod: 'MONTHLY',
        planId: 'plan-pro',
        addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
      }),
  },
  {
    name: 'estimateSubscriptionUpdate (day 10)',
    run: (r) => {
      r.advance(10 * DAY);
      return c(r).estimateSubscriptionUpdate({
        subscriptionId: sub(r),
        addons: [{ addonId: 'addon-extra-seats', quantity: 3 }],
        promotionCode: 'LAUNCH20',
      });
    },
  },
  { name: 'previewNextInvoice', run: (r) => c(r).previewNextInvoice({ subscriptionId: sub(r) }) },
  // Canceling scheduled updates
  {
    name: 'updateSubscription END_OF_BILLING_PERIOD',
    run: (r) =>
      c(r).updateSubscription({
        subscriptionId: sub(r),
        addons: [{ addonId: 'addon-extra-seats', quantity: 4 }],
        scheduleStrategy: 'END_OF_BILLING_PERIOD',
      }),
  },
  {
    name: 'cancelSubscriptionScheduledUpdates Scheduled',
    run: (r) => c(r).cancelSubscriptionScheduledUpdates({ subscriptionId: sub(r), status: 'Scheduled' }),
  },
  {
    name: 'cancelSubscriptionScheduledUpdates PendingPayment',
    run: (r) => c(r).cancelSubscriptionScheduledUpdates({ subscriptionId: sub(r), status: 'PendingPayment' }),
  },
  // Migrating to the latest plan version (the guide's `MigrateSubscriptionToLatest(id, time)` is the SDK's
  // `migrateSubscriptionToLatest({ subscriptionId, subscriptionMigrationTime })`)
  {
    name: 'publish plan-pro v2 (stigg-local admin)',
    run: async (r) => {
      const pro = r.server.admin.catalog().plans.find((p) => p.id === 'plan-pro')!;
      return r.server.admin.publishPackageVersion('Plan', 'plan-pro', {
        entitlements: pro.entitlements.map((e) => (e.feature === 'feature-max-projects' ? { ...e, limit: 80 } : e)),
      });
    },
  },
  {
    name: 'migrateSubscriptionToLatest END_OF_BILLING_PERIOD',
    run: (r) =>
      c(r).migrateSubscriptionToLatest({ subscriptionId: sub(r), subscriptionMigrationTime: 'END_OF_BILLING_PERIOD' }),
  },
  {
    name: 'migrateSubscriptionToLatest IMMEDIATE (customer-pro)',
    run: (r) => c(r).migrateSubscriptionToLatest({ subscriptionId: 'subscription-customer-pro-plan-pro' }),
  },
  {
    name: 'after migration: getNumericEntitlement customer-pro',
    run: (r) => c(r).getNumericEntitlement({ customerId: 'customer-pro', featureId: 'feature-max-projects' }),
    until: (a) => a.value === 80,
  },
  {
    name: 'migrateSubscriptionToLatest again (error)',
    run: (r) => c(r).migrateSubscriptionToLatest({ subscriptionId: 'subscription-customer-pro-plan-pro' }),
  },
  // Credits
  {
    name: 'provisionSubscription plan-ai',
    run: (r) => c(r).provisionSubscription({ customerId: 'customer-nosub', planId: 'plan-ai' }),
  },
  {
    name: 'grantCredits PROMOTIONAL',
    run: (r) =>
      c(r).grantCredits({
        customerId: 'customer-nosub',
        currencyId: 'credits-ai-tokens',
        amount: 100,
        displayName: 'Welcome credits',
        grantType: 'PROMOTIONAL',
        expireAt: new Date(r.now() + 30 * DAY),
      }),
  },
  {
    name: 'grantCredits PAID',
    run: async (r) => {
      const grant = await c(r).grantCredits({
        customerId: 'customer-nosub',
        currencyId: 'credits-ai-tokens',
        amount: 50,
        displayName: 'Top-up',
        grantType: 'PAID',
        cost: { amount: 5, currency: 'USD' },
      });
      r.saved.grantId = grant.grantId;
      return grant;
    },
  },
  { name: 'getCreditBalance', run: (r) => c(r).getCreditBalance({ customerId: 'customer-nosub' }) },
  {
    name: 'reportUsage ai-tokens +10',
    run: (r) => c(r).reportUsage({ customerId: 'customer-nosub', featureId: 'feature-ai-tokens', value: 10 }),
  },
  { name: 'getCreditGrants', run: (r) => c(r).getCreditGrants({ customerId: 'customer-nosub' }) },
  { name: 'voidCreditGrant', run: (r) => c(r).voidCreditGrant({ id: r.saved.grantId }) },
  {
    // The SDK reads balances cache-first (Apollo): another scope than before, so it asks Stigg.
    name: 'getCreditBalance after void',
    run: (r) => c(r).getCreditBalance({ customerId: 'customer-nosub', currencyId: 'credits-ai-tokens' }),
  },
  {
    name: 'getUsageHistoryV2',
    run: (r) =>
      c(r).getUsageHistoryV2({ customerId: C, featureId: 'feature-seats', startDate: new Date(Date.UTC(2000, 0, 1)) }),
  },
  // applySubscription, payment methods
  {
    name: 'applySubscription',
    run: (r) =>
      c(r).applySubscription({
        customerId: 'customer-free',
        planId: 'plan-pro',
        billingPeriod: 'MONTHLY',
        paymentMethodId: 'pm_card_visa',
      }),
  },
  { name: 'detachCustomerPaymentMethod', run: (r) => c(r).detachCustomerPaymentMethod('customer-free') },
  // Canceling, archiving
  { name: 'cancelSubscription', run: (r) => c(r).cancelSubscription({ subscriptionId: sub(r) }) },
  { name: 'archiveCustomer', run: (r) => c(r).archiveCustomer('customer-test-id') },
  { name: 'getCustomer archived (error)', run: (r) => c(r).getCustomer('customer-test-id') },
  // Events: what each client was told during the script
  {
    name: 'events: usageUpdated (customer-demo-01 seats)',
    run: async (r) => {
      const seats = () =>
        (r.events.usageUpdated as Any[]).filter(
          (e) => e.usage.customerId === C && e.usage.featureId === 'feature-seats',
        );
      // +10 (10), SET 10 (no change: not told again), -3 (7); anything told late would show as a third.
      await until(() => seats().length >= 2, 'two usageUpdated events').catch(() => {});
      await new Promise((res) => setTimeout(res, 300));
      return seats();
    },
  },
  {
    name: 'events: entitlementsUpdated (customer-pro, last)',
    run: async (r) => {
      const pro = () => (r.events.entitlementsUpdated as Any[]).filter((e) => e.customerId === 'customer-pro');
      await until(
        () =>
          pro().some((e) =>
            e.entitlements.some((x: Any) => x.feature.refId === 'feature-max-projects' && x.usageLimit === 80),
          ),
        'the migration pushed',
      ).catch(() => {});
      const last = pro().at(-1);
      return (
        last && {
          ...last,
          entitlements: [...last.entitlements].sort((a: Any, b: Any) => a.feature.refId.localeCompare(b.feature.refId)),
        }
      );
    },
  },
  // The guide's full provisioning, billing details included: passed on by the facade as the SDK sends them
  {
    name: "provisionCustomer with the guide's billingInformation",
    run: (r) =>
      c(r).provisionCustomer({
        customerId: 'customer-billing',
        subscriptionParams: {
          planId: 'plan-pro',
          billingPeriod: 'MONTHLY',
          billingCountryCode: 'DK',
          billingInformation: { taxPercentage: 17 },
        },
      }),
  },
];

// ------------------------------------------------------------------------------------------------------------
// Running it, normalizing, comparing

type Kind = 'sdkEdge' | 'sdk' | 'facade';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A time relative to the run's clock at its start: the same in every run when the answers agree. */
function relative(ms: number, t0: number): string {
  const d = ms - t0;
  if (d === 0) return 't0';
  const sign = d < 0 ? '-' : '+';
  const a = Math.abs(d);
  return a % DAY === 0 ? `t0${sign}${a / DAY}d` : `t0${sign}${a}ms`;
}

/**
 * An answer as compared: Dates marked as Dates (an ISO string where the SDK gives a Date is a difference), times
 * relative to the run's start, ids Stigg makes up and the server's address replaced, `__typename`, undefined and
 * functions dropped, keys sorted.
 */
function normalize(v: unknown, t0: number, url: string): unknown {
  if (v instanceof Date) return { $date: relative(v.getTime(), t0) };
  if (typeof v === 'string') {
    if (ISO.test(v)) return relative(Date.parse(v), t0);
    if (UUID.test(v)) return '<uuid>';
    return v
      .replace(url, '<server>')
      .replace(/^(subscription-.+)-[0-9a-f]{8}$/, '$1-<generated>')
      .replace(/[0-9a-f]{32}$/, '<token>')
      .replace(/^(in_local_|credit-grant-)[0-9a-f]+$/, '$1<generated>');
  }
  if (typeof v === 'number' && v > 1_500_000_000_000 && v < 4_000_000_000_000) return relative(v, t0);
  if (Array.isArray(v)) return v.map((x) => normalize(x, t0, url));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (k === '__typename' || x === undefined || typeof x === 'function') continue;
      // stigg-local stamps a catalog's entitlements with the time it started (its own clock, not the script's).
      out[k] = k === 'entitlementUpdatedAt' && x !== null ? '<started>' : normalize(x, t0, url);
    }
    return out;
  }
  return v;
}

/** A call's answer, or what it rejected with (Stigg's error code, else Tollgate's). */
async function answerOf(step: Step, r: Run): Promise<unknown> {
  const once = () =>
    step.run(r).catch((e: { errorCode?: string; code?: string }) => ({ rejected: e.errorCode ?? e.code ?? 'Error' }));
  let answer = await once();
  const end = Date.now() + 5_000;
  while (step.until && !step.until(answer) && Date.now() < end) {
    await new Promise((res) => setTimeout(res, 50));
    answer = await once();
  }
  return answer;
}

async function runScript(kind: Kind): Promise<unknown[]> {
  let clock = Math.floor(Date.now() / 1000) * 1000;
  const t0 = clock;
  const server = await startStiggLocal({ log: () => {}, now: () => clock, catalog: creditCatalog() });
  const client: Client =
    kind === 'facade'
      ? Stigg.initialize({
          apiKey: 'server-tollgate-local',
          baseUri: server.url,
          logConfiguration: { logger: silent, logLevel: 'NONE' },
          // Stigg's limit of writes per customer: Tollgate spaces one customer's usage reports by 2 s.
          tollgate: { usage: { customerWritesPerMinute: 30 } },
        })
      : officialSdk(server, { enableEdge: kind === 'sdkEdge' });
  const events: Run['events'] = { entitlementsUpdated: [], usageUpdated: [] };
  const r: Run = {
    client,
    server,
    now: () => clock,
    advance: (ms) => {
      clock += ms;
    },
    saved: {},
    events,
  };
  try {
    await client.waitForInitialization();
    (client as Any).addListener('entitlementsUpdated', (e: unknown) => events.entitlementsUpdated.push(e));
    (client as Any).addListener('usageUpdated', (e: unknown) => events.usageUpdated.push(e));
    const answers: unknown[] = [];
    for (const step of STEPS) answers.push(normalize(await answerOf(step, r), t0, server.url));
    return answers;
  } finally {
    await client.close();
    await server.close();
  }
}

/**
 * Fields the SDK answers that the facade does not give, per step: by design, each listed in
 * docs/guide/coming-from-the-sdk.md. The facade must give every other field, the same.
 */
const SUBSCRIPTION_DETAILS = [
  'addons[].addon.dependencies',
  'addons[].addon.description',
  'addons[].addon.displayName',
  'addons[].addon.entitlements',
  'addons[].addon.pricePoints',
  'addons[].addon.pricingType',
  'futureUpdates',
  'plan.basePlan',
  'plan.compatibleAddons',
  'plan.compatiblePackageGroups',
  'plan.entitlements',
  'plan.inheritedEntitlements',
  'plan.order',
  'plan.pricePoints',
  'plan.pricingType',
  'plan.product',
];
const SDK_ONLY: Record<string, string[]> = {
  getCustomer: [
    'alreadyTrialPlans',
    'coupon',
    'experimentInfo',
    ...SUBSCRIPTION_DETAILS.map((f) => `subscriptions[].${f}`),
  ].sort(),
  getSubscription: SUBSCRIPTION_DETAILS,
  grantPromotionalEntitlements: [
    '[].feature.displayName',
    '[].feature.featureType',
    '[].feature.featureUnits',
    '[].feature.featureUnitsPlural',
    '[].feature.meterType',
    '[].featureId',
    '[].hasSoftLimit',
    '[].isVisible',
  ],
  revokePromotionalEntitlements: ['id'],
  getPaywall: [
    'plans[].basePlan',
    'plans[].compatibleAddons',
    'plans[].compatiblePackageGroups',
    'plans[].entitlements[].feature.description',
    'plans[].entitlements[].feature.displayName',
    'plans[].entitlements[].feature.featureType',
    'plans[].entitlements[].feature.isMetered',
    'plans[].entitlements[].feature.meterType',
    'plans[].entitlements[].feature.units',
    'plans[].entitlements[].feature.unitsPlural',
    'plans[].entitlements[].hasSoftLimit',
    'plans[].entitlements[].hiddenFromWidgets',
    'plans[].entitlements[].isGranted',
    'plans[].pricePoints[].billingCadence',
    'plans[].pricePoints[].pricingModel',
    'plans[].product.description',
    'plans[].product.downgradePlan',
  ],
  getProducts: ['[].downgradePlan'],
  previewNextInvoice: [
    'discount',
    'discountDetails',
    'lines[].costDescription',
    'lines[].price',
    'lines[].unitPrice',
    'minimumSpendAdjustment',
    'subTotalExcludingTax',
  ],
  getCreditGrants: ['pageInfo'],
  'events: usageUpdated (customer-demo-01 seats)': [
    '[].entitlement.entitlementUpdatedAt',
    '[].entitlement.feature.displayName',
    '[].entitlement.isGranted',
    '[].entitlement.usageUpdatedAt',
  ],
  'events: entitlementsUpdated (customer-pro, last)': [
    'entitlements[].entitlementUpdatedAt',
    'entitlements[].feature.displayName',
    'entitlements[].isGranted',
    'entitlements[].resetPeriodConfiguration',
    'entitlements[].usageUpdatedAt',
  ],
};

/** Where the SDK's own two runs (Edge on, Edge off) may differ, and how: nowhere. */
const EDGE_DIFFERENCES: Record<string, string[]> = {};

/** Steps the facade refuses by design (documented): the SDK answers, the facade rejects with INVALID_REQUEST. */
const REFUSED = new Set<string>();

// ------------------------------------------------------------------------------------------------------------

describe('the Node SDK guide, run by the SDK (Edge on, Edge off) and by the facade', () => {
  const answers = {} as Record<Kind, unknown[]>;
  const rows: string[][] = [];
  const extra: string[] = [];

  afterAll(() => {
    const head = ['step', 'SDK edge on', 'SDK edge off', 'facade', 'same?'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((x, i) => x.padEnd(w[i]!)).join(' | ')} |`;
    console.log(
      [
        `The Node SDK guide as one script: ${rows.length} steps, ${rows.filter((r) => r[4]!.startsWith('yes')).length} the same`,
        line(head),
        line(w.map((n) => '-'.repeat(n))),
        ...rows.map(line),
        '',
        'Fields the SDK answers that the facade does not give (docs/guide/coming-from-the-sdk.md):',
        ...extra,
      ].join('\n'),
    );
  });

  it('runs the script three times, each against its own stigg-local', async () => {
    for (const kind of ['sdkEdge', 'sdk', 'facade'] as const) answers[kind] = await runScript(kind);
    expect(answers.facade).toHaveLength(STEPS.length);
  }, 120_000);

  it('every step answers the same', () => {
    const brief = (v: unknown) => {
      const s = JSON.stringify(v) ?? 'undefined';
      return s.length > 44 ? `${s.slice(0, 41)}...` : s;
    };
    const problems: string[] = [];
    for (const [i, step] of STEPS.entries()) {
      const [edge, sdk, facade] = [answers.sdkEdge[i], answers.sdk[i], answers.facade[i]];
      let same: string;
      if (REFUSED.has(step.name)) {
        const refused =
          JSON.stringify(facade) === JSON.stringify({ rejected: 'INVALID_REQUEST' }) &&
          !(sdk as { rejected?: string }).rejected;
        same = refused ? 'no: refused by design (documented)' : 'NO';
        if (!refused) problems.push(`${step.name}: expected the facade to refuse it, got ${JSON.stringify(facade)}`);
      } else {
        const { diffs, sdkOnly } = compare(sdk, facade);
        const expected = SDK_ONLY[step.name] ?? [];
        const ok = diffs.length === 0 && JSON.stringify(sdkOnly) === JSON.stringify(expected);
        if (diffs.length) problems.push(`${step.name}: ${diffs.join('; ')}`);
        if (JSON.stringify(sdkOnly) !== JSON.stringify(expected))
          problems.push(
            `${step.name}: SDK-only fields ${JSON.stringify(sdkOnly)}, documented ${JSON.stringify(expected)}`,
          );
        if (sdkOnly.length) extra.push(`  ${step.name}: ${sdkOnly.join(', ')}`);
        same = !ok ? 'NO' : sdkOnly.length ? `yes, on the facade's fields (+${sdkOnly.length} SDK-only)` : 'yes';
      }
      const there = compare(sdk, edge);
      const back = compare(edge, sdk);
      const edgeDiffs = [
        ...there.diffs,
        ...there.sdkOnly.map((f) => `${f} only with Edge off`),
        ...back.sdkOnly.map((f) => `${f} only with Edge on`),
      ].sort();
      const knownEdge = EDGE_DIFFERENCES[step.name] ?? [];
      if (JSON.stringify(edgeDiffs) !== JSON.stringify(knownEdge)) {
        same = `NO (Edge on/off differ) ${same}`;
        problems.push(`${step.name}: Edge on and off differ: ${edgeDiffs.join('; ') || '(not as known)'}`);
      }
      rows.push([step.name, brief(edge), brief(sdk), brief(facade), same]);
    }
    expect(problems).toEqual([]);
  });
});
