/**
 * Our decisions equal the official @stigg/node-server-sdk@3.95.0's for the demo customers and for generated
 * cases (limits, usage, requested usage, unlimited, soft limits, enums, archived customers, ended periods),
 * both clients reading the same stigg-local over real HTTP. Every case also goes through the SDK facade
 * (`@tollgate/core/stigg`), whose typed getters must answer what the SDK's answer, field by field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate, type Decision, type Tollgate } from '@tollgate/core';
import { Stigg } from '@tollgate/core/stigg';
import { loadDemoCatalog, startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { officialSdk, type StiggSdk } from '../support/stigg-sdk.js';

const DEMO = loadDemoCatalog();
const FEATURES = DEMO.features;
/** The demo catalog plus a custom plan whose subscriptions carry generated entitlements. */
const CATALOG = {
  ...DEMO,
  plans: [
    ...DEMO.plans,
    {
      id: 'plan-custom',
      product: 'product-tollgate-demo',
      displayName: 'Custom',
      pricingType: 'CUSTOM' as const,
      entitlements: [],
    },
  ],
};
const quiet = { warn: () => {}, error: () => {} };

/** A small deterministic PRNG, so a failing case can be reproduced. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Case {
  customerId: string;
  featureId: string;
  requestedUsage?: number;
  requestedValues?: string[];
}

/** The answer of the typed getter for the feature's type: the SDK's, or the facade's (same names, same arguments). */
function getter(client: StiggSdk | Stigg, c: Case) {
  const f = FEATURES.find((x) => x.id === c.featureId)!;
  const base = { customerId: c.customerId, featureId: c.featureId };
  if (f.type === 'BOOLEAN') return client.getBooleanEntitlement(base);
  if (f.type === 'ENUM')
    return client.getEnumEntitlement({ ...base, options: { requestedValues: c.requestedValues ?? [] } });
  if (f.meterType === 'None' || !f.meterType) return client.getNumericEntitlement(base);
  return client.getMeteredEntitlement({ ...base, options: { requestedUsage: c.requestedUsage ?? 0 } });
}

/** An answer as compared field by field: Dates as Dates (an ISO string where the SDK gives a Date differs), undefined dropped. */
function canon(v: unknown): unknown {
  if (v instanceof Date) return { $date: v.toISOString() };
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** The SDK's answer in our terms, through the typed getter for the feature's type. */
function sdkDecision(answer: Awaited<ReturnType<typeof getter>>, c: Case) {
  const f = FEATURES.find((x) => x.id === c.featureId)!;
  if (f.type === 'BOOLEAN') {
    const r = answer as Awaited<ReturnType<StiggSdk['getBooleanEntitlement']>>;
    return { hasAccess: r.hasAccess, reason: r.accessDeniedReason ?? null };
  }
  if (f.type === 'ENUM') {
    const r = answer as Awaited<ReturnType<StiggSdk['getEnumEntitlement']>>;
    return {
      hasAccess: r.hasAccess,
      reason: r.accessDeniedReason ?? null,
      enumValues: r.hasAccess || r.accessDeniedReason === 'RequestedValuesMismatch' ? [...r.enumValues].sort() : null,
    };
  }
  if (f.meterType === 'None' || !f.meterType) {
    const r = answer as Awaited<ReturnType<StiggSdk['getNumericEntitlement']>>;
    return {
      hasAccess: r.hasAccess,
      reason: r.accessDeniedReason ?? null,
      isUnlimited: r.isUnlimited,
      usageLimit: r.hasAccess && !r.isUnlimited ? (r.value ?? null) : null,
    };
  }
  const r = answer as Awaited<ReturnType<StiggSdk['getMeteredEntitlement']>>;
  const known =
    r.accessDeniedReason !== 'CustomerNotFound' && r.accessDeniedReason !== 'NoFeatureEntitlementInSubscription';
  return {
    hasAccess: r.hasAccess,
    reason: r.accessDeniedReason ?? null,
    isUnlimited: known ? r.isUnlimited : false,
    usageLimit: known && !r.isUnlimited ? (r.usageLimit ?? null) : null,
    currentUsage: known ? r.currentUsage : null,
    resetsAt: known ? (r.usagePeriodEnd?.toISOString() ?? null) : null,
  };
}

/** Ours, projected onto the same fields. */
function ours(d: Decision, c: Case) {
  const f = FEATURES.find((x) => x.id === c.featureId)!;
  if (f.type === 'BOOLEAN') return { hasAccess: d.hasAccess, reason: d.reason };
  if (f.type === 'ENUM') {
    const shown = d.hasAccess || d.reason === 'RequestedValuesMismatch';
    return {
      hasAccess: d.hasAccess,
      reason: d.reason,
      enumValues: shown && d.enumValues ? [...d.enumValues].sort() : null,
    };
  }
  if (f.meterType === 'None' || !f.meterType)
    return {
      hasAccess: d.hasAccess,
      reason: d.reason,
      isUnlimited: d.isUnlimited,
      usageLimit: d.hasAccess && !d.isUnlimited ? d.usageLimit : null,
    };
  return {
    hasAccess: d.hasAccess,
    reason: d.reason,
    isUnlimited: d.isUnlimited,
    usageLimit: d.usageLimit,
    currentUsage: d.currentUsage,
    resetsAt: d.resetsAt?.toISOString() ?? null,
  };
}

/** Each case through the SDK, Tollgate's `check` and the facade; what differs, and how many went through the facade. */
async function compareAll(tollgate: Tollgate, sdk: StiggSdk, facade: Stigg, cases: Case[]) {
  const mismatches: string[] = [];
  let throughFacade = 0;
  for (const c of cases) {
    const answer = await getter(sdk, c);
    const theirs = sdkDecision(answer, c);
    const mine = ours(await tollgate.check(c), c);
    if (JSON.stringify(theirs) !== JSON.stringify(mine))
      mismatches.push(`${JSON.stringify(c)}\n  sdk:  ${JSON.stringify(theirs)}\n  ours: ${JSON.stringify(mine)}`);
    const sdkAnswer = JSON.stringify(canon(answer));
    const facadeAnswer = JSON.stringify(canon(await getter(facade, c)));
    throughFacade += 1;
    if (sdkAnswer !== facadeAnswer)
      mismatches.push(`${JSON.stringify(c)}\n  sdk:    ${sdkAnswer}\n  facade: ${facadeAnswer}`);
  }
  return { mismatches, throughFacade };
}

/** Customers on a custom plan with generated entitlements and usage; returns the cases to check. */
async function generate(server: StiggLocal, tollgate: Tollgate, seed: number, customers: number): Promise<Case[]> {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const formats = ['csv', 'json', 'parquet'];
  const subset = () => formats.filter(() => rnd() < 0.5);
  const ids = Array.from({ length: customers }, (_, i) => `gen-${seed}-${i}`);
  for (const id of ids) await tollgate.provisionCustomer({ customerId: id });
  const post = (query: string, variables: unknown) =>
    fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' },
      body: JSON.stringify({ query, variables }),
    }).then((r) => r.json());
  const subscriptions = ids.map((customerId) => {
    const limit = (kind: number) =>
      kind < 0.12 ? { hasUnlimitedUsage: true } : { usageLimit: Math.floor(rnd() * 20) };
    const apiCalls = rnd();
    return {
      customerId,
      planId: 'plan-custom',
      entitlements: [
        { feature: { featureId: 'feature-api-calls', ...limit(apiCalls), hasSoftLimit: apiCalls > 0.88 } },
        { feature: { featureId: 'feature-seats', ...limit(rnd()) } },
        ...(rnd() < 0.85 ? [{ feature: { featureId: 'feature-max-projects', ...limit(rnd()) } }] : []),
        ...(rnd() < 0.85 ? [{ feature: { featureId: 'feature-export-formats', enumValues: subset() } }] : []),
      ],
    };
  });
  const task = (await post(
    `mutation S($input: ImportSubscriptionsBulkInput!) { importSubscriptionsBulk(input: $input) }`,
    { input: { subscriptions } },
  )) as any;
  for (;;) {
    const t = (await post(
      `query T($id: UUID!) { importIntegrationTasks(filter: {id: {eq: $id}}) { edges { node { status importErrors { error } } } } }`,
      { id: task.data.importSubscriptionsBulk },
    )) as any;
    const node = t.data.importIntegrationTasks.edges[0].node;
    if (node.status === 'COMPLETED') break;
    if (node.status !== 'IN_PROGRESS' && node.status !== 'PENDING')
      throw new Error(`import failed: ${JSON.stringify(node.importErrors)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const usages = ids.flatMap((customerId) => [
    { customerId, featureId: 'feature-api-calls', value: Math.floor(rnd() * 25), updateBehavior: 'SET' },
    { customerId, featureId: 'feature-seats', value: Math.floor(rnd() * 25), updateBehavior: 'SET' },
  ]);
  for (let i = 0; i < usages.length; i += 100) {
    await post(`mutation U($input: ReportUsageBulkInput!) { reportUsageBulk(input: $input) { id } }`, {
      input: { usages: usages.slice(i, i + 100) },
    });
  }
  const archived = ids.filter(() => rnd() < 0.08);
  for (const id of archived) await tollgate.archiveCustomer(id);
  return ids.flatMap((customerId) => [
    { customerId, featureId: 'feature-api-calls', requestedUsage: Math.floor(rnd() * 12) },
    { customerId, featureId: 'feature-seats', requestedUsage: Math.floor(rnd() * 6) },
    { customerId, featureId: 'feature-max-projects' },
    { customerId, featureId: 'feature-export-formats', requestedValues: subset() },
    { customerId, featureId: pick(['feature-analytics', 'feature-api-calls']), requestedUsage: 1 },
  ]);
}

describe.each([
  ['current periods', 0],
  ['usage periods that ended', 45 * 86_400_000],
])('decisions equal the official SDK (%s)', (_name, clockOffsetMs) => {
  let server: StiggLocal;
  let sdk: StiggSdk;
  let tollgate: Tollgate;
  let facade: Stigg;

  beforeAll(async () => {
    // With the clock offset, stigg-local answers as of 45 days ago: every monthly period it reports has ended.
    server = await startStiggLocal({ log: () => {}, catalog: CATALOG, now: () => Date.now() - clockOffsetMs });
    sdk = officialSdk(server);
    await sdk.waitForInitialization();
    tollgate = createTollgate({ apiKey: 'server-tollgate-local', baseUrl: server.url, logger: quiet });
    facade = Stigg.initialize({
      apiKey: 'server-tollgate-local',
      baseUri: server.url,
      logConfiguration: { logger: { log: () => {}, debug: () => {}, error: () => {} }, logLevel: 'NONE' },
    });
    await Promise.all([tollgate.ready(), facade.waitForInitialization()]);
  });
  afterAll(async () => {
    sdk?.close();
    await facade?.close();
    await tollgate?.close();
    await server?.close();
  });

  it('for every demo customer and feature', async () => {
    const customers = ['customer-free', 'customer-pro', 'customer-enterprise', 'customer-nosub', 'customer-unknown'];
    await server.admin.setUsage('customer-free', 'feature-api-calls', 97);
    await server.admin.setUsage('customer-pro', 'feature-seats', 10);
    const cases: Case[] = customers.flatMap((customerId) =>
      FEATURES.flatMap((f): Case[] =>
        f.type === 'ENUM'
          ? [
              { customerId, featureId: f.id, requestedValues: ['csv'] },
              { customerId, featureId: f.id, requestedValues: ['parquet'] },
            ]
          : [
              { customerId, featureId: f.id, requestedUsage: 0 },
              { customerId, featureId: f.id, requestedUsage: 3 },
            ],
      ),
    );
    expect(cases.length).toBe(50);
    const { mismatches, throughFacade } = await compareAll(tollgate, sdk, facade, cases);
    expect(mismatches).toEqual([]);
    expect(throughFacade).toBe(50);
  });

  it('for generated cases', async () => {
    const cases = await generate(server, tollgate, 20261122 + clockOffsetMs, clockOffsetMs ? 12 : 48);
    expect(cases.length).toBeGreaterThanOrEqual(clockOffsetMs ? 60 : 240);
    const { mismatches, throughFacade } = await compareAll(tollgate, sdk, facade, cases);
    expect(mismatches.slice(0, 5).join('\n')).toBe('');
    expect(throughFacade).toBe(cases.length);
    // The generator must exercise both outcomes and several reasons, or the comparison proves little.
    const decisions = await Promise.all(cases.map((c) => tollgate.check(c)));
    const reasons = new Set(decisions.map((d) => d.reason));
    expect(decisions.some((d) => d.hasAccess)).toBe(true);
    expect([...reasons]).toEqual(
      expect.arrayContaining([
        'RequestedUsageExceedingLimit',
        'CustomerIsArchived',
        'NoFeatureEntitlementInSubscription',
      ]),
    );
  }, 60_000);
});
