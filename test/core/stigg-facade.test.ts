/**
 * `@tollgate/core/stigg` against the official @stigg/node-server-sdk@3.95.0: each call made through both with the
 * same arguments, over real HTTP and WebSocket to stigg-local, gives the same answer. Reads share one stigg-local
 * (answers equal field by field, dates included). Writes go to two stigg-locals started alike, the SDK's to one and
 * the facade's to the other, so each sees the same state; ids Stigg makes up and timestamps are normalized there,
 * and Stigg's state after the facade's writes is read back with the SDK and compared with the state after the SDK's.
 * Management results are compared on the fields the facade gives; the SDK's other fields are listed.
 * A table of every comparison is printed at the end.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { Stigg as OfficialStigg } from '@stigg/node-server-sdk';
import {
  Stigg,
  StiggFacadeError,
  type ClientConfiguration,
  type EntitlementsUpdatedPayload,
  type EntitlementUsageUpdatedFragment,
  type Logger,
} from '@tollgate/core/stigg';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { officialSdk, type StiggSdk } from '../support/stigg-sdk.js';
import { compare } from '../support/sdk-compare.js';
import { until } from '../support/wait.js';

const API_KEY = 'server-tollgate-local';
const silent: Logger = { log: () => {}, debug: () => {}, error: () => {} };
type SdkStigg = OfficialStigg;

/**
 * The official SDK with a configuration of its own, silent. No `logger` is given to it: the SDK merges a plain-object
 * logger into the global `console` (test/support/stigg-sdk.ts).
 */
function sdkWith(config: Record<string, unknown>): StiggSdk {
  return OfficialStigg.initialize({
    apiKey: API_KEY,
    enableEdge: false,
    logConfiguration: { logLevel: 'NONE' },
    ...config,
  } as never);
}

function facadeOn(server: { url: string } | string, extra: Partial<ClientConfiguration> = {}): Stigg {
  return Stigg.initialize({
    apiKey: API_KEY,
    baseUri: typeof server === 'string' ? server : server.url,
    logConfiguration: { logger: silent, logLevel: 'NONE' },
    ...extra,
  });
}

// ------------------------------------------------------------------------------------------------------------
// Comparing, and the table

/** A value as compared: Dates marked as Dates (an ISO string where the SDK gives a Date is a difference), undefined and functions dropped. */
function canon(v: unknown): unknown {
  if (v instanceof Date) return { $date: v.toISOString() };
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined && typeof x !== 'function') out[k] = canon(x);
    }
    return out;
  }
  return v;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Ids Stigg makes up (a subscription id without one given: `subscription-<plan>-<8 hex>`; internal UUIDs) and timestamps. */
function scrub(v: unknown): unknown {
  if (typeof v === 'string') {
    if (ISO.test(v)) return '<time>';
    if (UUID.test(v)) return '<uuid>';
    // `subscription-<plan>-<8 hex>`, an invoice's `in_local_<16 hex>`
    return v.replace(/^(subscription-.+)-[0-9a-f]{8}$/, '$1-<generated>').replace(/_[0-9a-f]{16}$/, '_<generated>');
  }
  if (typeof v === 'number' && v > 1_500_000_000_000 && v < 4_000_000_000_000) return '<time>';
  if (Array.isArray(v)) return v.map(scrub);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
  return v;
}

const rows: { call: string; sdk: string; facade: string; same: string }[] = [];
/** Per call compared on the facade's fields: what the SDK answers besides. */
const sdkOnlyFields: { call: string; fields: string[] }[] = [];
const brief = (v: unknown) => {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
};

/**
 * Records one call made through both. `exact`: the facade must give every field the SDK gives; otherwise the SDK's
 * other fields are listed (management results). `scrubbed`: generated ids and timestamps normalized (writes, whose
 * two sides ran on two servers).
 */
function same(call: string, sdk: unknown, facade: unknown, how: { exact?: boolean; scrubbed?: boolean } = {}) {
  const a = how.scrubbed ? scrub(canon(sdk)) : canon(sdk);
  const b = how.scrubbed ? scrub(canon(facade)) : canon(facade);
  const { diffs, sdkOnly } = compare(a, b);
  const ok = diffs.length === 0 && (!how.exact || sdkOnly.length === 0);
  if (!how.exact && sdkOnly.length) sdkOnlyFields.push({ call, fields: sdkOnly });
  rows.push({
    call,
    sdk: brief(a),
    facade: brief(b),
    same: !ok
      ? 'NO'
      : how.exact || !sdkOnly.length
        ? 'yes'
        : `yes, on the facade's fields (+${sdkOnly.length} SDK-only)`,
  });
  expect(diffs, call).toEqual([]);
  if (how.exact) expect(sdkOnly, `${call}: fields the facade does not give`).toEqual([]);
  return { sdkOnly };
}

function printTable() {
  const w = (k: 'call' | 'sdk' | 'facade') => Math.max(k.length, ...rows.map((r) => r[k].length));
  const line = (c: string, s: string, f: string, y: string) =>
    `| ${c.padEnd(w('call'))} | ${s.padEnd(w('sdk'))} | ${f.padEnd(w('facade'))} | ${y} |`;
  console.log(
    [
      `@stigg/node-server-sdk vs @tollgate/core/stigg: ${rows.length} calls, ${rows.filter((r) => r.same.startsWith('yes')).length} the same`,
      line('call', 'SDK', 'facade', 'same?'),
      line('-'.repeat(w('call')), '-'.repeat(w('sdk')), '-'.repeat(w('facade')), '-----'),
      ...rows.map((r) => line(r.call, r.sdk, r.facade, r.same)),
      '',
      "Fields the SDK answers that the facade does not (Tollgate's documents do not select them):",
      ...sdkOnlyFields.map(({ call, fields }) => `  ${call}: ${fields.join(', ')}`),
    ].join('\n'),
  );
}

// ------------------------------------------------------------------------------------------------------------

describe('@tollgate/core/stigg answers as @stigg/node-server-sdk does', () => {
  /** Reads and events: one server for both clients. */
  let server: StiggLocal;
  let sdk: StiggSdk;
  let facade: Stigg;
  /** Writes: the SDK's server and the facade's, started alike. */
  let sdkServer: StiggLocal;
  let facadeServer: StiggLocal;
  let sdkW: StiggSdk;
  let facadeW: Stigg;
  /** The SDK reading the facade's server: Stigg's state after the facade's writes. */
  let sdkOnFacadeServer: StiggSdk;

  beforeAll(async () => {
    [server, sdkServer, facadeServer] = await Promise.all([
      startStiggLocal({ log: () => {} }),
      startStiggLocal({ log: () => {} }),
      startStiggLocal({ log: () => {} }),
    ]);
    sdk = officialSdk(server);
    facade = facadeOn(server);
    sdkW = officialSdk(sdkServer);
    facadeW = facadeOn(facadeServer, { tollgate: { usage: { customerWritesPerMinute: 30 } } });
    sdkOnFacadeServer = officialSdk(facadeServer);
    await Promise.all([sdk, facade, sdkW, facadeW, sdkOnFacadeServer].map((c) => c.waitForInitialization()));
    await server.admin.setUsage('customer-free', 'feature-api-calls', 97);
    await server.admin.setUsage('customer-pro', 'feature-seats', 4);
  });

  afterAll(async () => {
    printTable();
    for (const c of [sdk, sdkW, sdkOnFacadeServer]) c?.close();
    await Promise.all([facade?.close(), facadeW?.close()]);
    await Promise.all([server?.close(), sdkServer?.close(), facadeServer?.close()]);
  });

  it('the typed getters, for granted, denied, unknown and mismatched features', async () => {
    const calls: [string, (c: StiggSdk | Stigg) => Promise<unknown>][] = [
      [
        'getBooleanEntitlement pro analytics',
        (c) => c.getBooleanEntitlement({ customerId: 'customer-pro', featureId: 'feature-analytics' }),
      ],
      [
        'getBooleanEntitlement free analytics',
        (c) => c.getBooleanEntitlement({ customerId: 'customer-free', featureId: 'feature-analytics' }),
      ],
      [
        'getBooleanEntitlement unknown customer',
        (c) => c.getBooleanEntitlement({ customerId: 'customer-unknown', featureId: 'feature-analytics' }),
      ],
      [
        'getBooleanEntitlement on a metered feature',
        (c) => c.getBooleanEntitlement({ customerId: 'customer-pro', featureId: 'feature-seats' }),
      ],
      [
        'getNumericEntitlement pro projects',
        (c) => c.getNumericEntitlement({ customerId: 'customer-pro', featureId: 'feature-max-projects' }),
      ],
      [
        'getNumericEntitlement enterprise projects',
        (c) => c.getNumericEntitlement({ customerId: 'customer-enterprise', featureId: 'feature-max-projects' }),
      ],
      [
        'getNumericEntitlement no subscription',
        (c) => c.getNumericEntitlement({ customerId: 'customer-nosub', featureId: 'feature-max-projects' }),
      ],
      [
        'getMeteredEntitlement free api-calls +3',
        (c) =>
          c.getMeteredEntitlement({
            customerId: 'customer-free',
            featureId: 'feature-api-calls',
            options: { requestedUsage: 3 },
          }),
      ],
      [
        'getMeteredEntitlement free api-calls +2',
        (c) =>
          c.getMeteredEntitlement({
            customerId: 'customer-free',
            featureId: 'feature-api-calls',
            options: { requestedUsage: 2 },
          }),
      ],
      [
        'getMeteredEntitlement pro seats',
        (c) => c.getMeteredEntitlement({ customerId: 'customer-pro', featureId: 'feature-seats' }),
      ],
      [
        'getMeteredEntitlement enterprise api-calls',
        (c) =>
          c.getMeteredEntitlement({
            customerId: 'customer-enterprise',
            featureId: 'feature-api-calls',
            options: { requestedUsage: 1e9 },
          }),
      ],
      [
        'getMeteredEntitlement unknown customer',
        (c) =>
          c.getMeteredEntitlement({
            customerId: 'customer-unknown',
            featureId: 'feature-api-calls',
            options: { requestedUsage: 1 },
          }),
      ],
      [
        'getMeteredEntitlement on a numeric feature',
        (c) => c.getMeteredEntitlement({ customerId: 'customer-pro', featureId: 'feature-max-projects' }),
      ],
      [
        'getEnumEntitlement pro formats [csv]',
        (c) =>
          c.getEnumEntitlement({
            customerId: 'customer-pro',
            featureId: 'feature-export-formats',
            options: { requestedValues: ['csv'] },
          }),
      ],
      [
        'getEnumEntitlement pro formats [parquet]',
        (c) =>
          c.getEnumEntitlement({
            customerId: 'customer-pro',
            featureId: 'feature-export-formats',
            options: { requestedValues: ['parquet'] },
          }),
      ],
      [
        'getEnumEntitlement nosub formats',
        (c) => c.getEnumEntitlement({ customerId: 'customer-nosub', featureId: 'feature-export-formats' }),
      ],
      [
        'getEntitlement pro api-calls',
        (c) =>
          c.getEntitlement({
            customerId: 'customer-pro',
            featureId: 'feature-api-calls',
            options: { requestedUsage: 5 },
          }),
      ],
      [
        'getEntitlement pro formats',
        (c) =>
          c.getEntitlement({
            customerId: 'customer-pro',
            featureId: 'feature-export-formats',
            options: { requestedValues: ['json'] },
          }),
      ],
      [
        'getEntitlement free analytics (not granted)',
        (c) => c.getEntitlement({ customerId: 'customer-free', featureId: 'feature-analytics' }),
      ],
    ];
    for (const [call, run] of calls) same(call, await run(sdk), await run(facade), { exact: true });
  });

  it('getEntitlements: the SDK array, in Stigg order', async () => {
    for (const customerId of ['customer-pro', 'customer-enterprise', 'customer-free', 'customer-unknown']) {
      const theirs = await sdk.getEntitlements(customerId);
      const ours = await facade.getEntitlements(customerId);
      expect(Array.isArray(ours)).toBe(true);
      same(`getEntitlements ${customerId}`, theirs, ours, { exact: true });
    }
  });

  it('answers from the cache without asking Stigg, as a promise (the SDK methods are async)', async () => {
    await facade.getBooleanEntitlement({ customerId: 'customer-pro', featureId: 'feature-analytics' });
    const before = facade.tollgate.metrics().fetches;
    const answer = facade.getMeteredEntitlement({ customerId: 'customer-pro', featureId: 'feature-api-calls' });
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).hasAccess).toBe(true);
    expect(facade.tollgate.metrics().fetches).toBe(before);
  });

  it('cacheMiss then cacheHit, as the SDK tells them', async () => {
    const seen: Record<'sdk' | 'facade', string[]> = { sdk: [], facade: [] };
    for (const [name, client] of [
      ['sdk', sdk],
      ['facade', facade],
    ] as const) {
      client.addListener(
        'cacheHit',
        (e) => e.customerId === 'customer-probe' && seen[name].push(`hit ${JSON.stringify(e)}`),
      );
      client.addListener(
        'cacheMiss',
        (e) => e.customerId === 'customer-probe' && seen[name].push(`miss ${JSON.stringify(e)}`),
      );
      await client.getBooleanEntitlement({ customerId: 'customer-probe', featureId: 'feature-analytics' });
      await client.getNumericEntitlement({ customerId: 'customer-probe', featureId: 'feature-seats' });
    }
    same('addListener cacheMiss/cacheHit', seen.sdk, seen.facade, { exact: true });
  });

  it('fallbacks written the SDK way keep their values, when Stigg cannot be reached', async () => {
    const entitlementsFallback = {
      'feature-max-projects': { hasAccess: true, value: 5 },
      'feature-api-calls': { hasAccess: true, usageLimit: 100, isUnlimited: false },
      'feature-export-formats': { hasAccess: true, enumValues: ['csv'] },
      'feature-analytics': { hasAccess: true },
    };
    const down = 'http://127.0.0.1:9'; // nothing listens on the discard port
    const sdkDown = sdkWith({ baseUri: down, entitlementsFallback, realtimeUpdatesEnabled: false });
    const facadeDown = facadeOn(down, {
      entitlementsFallback,
      realtimeUpdatesEnabled: false,
      tollgate: { readyTimeoutMs: 500, maxAttempts: 1 },
    });
    try {
      const ask = {
        numeric: (c: StiggSdk | Stigg) =>
          c.getNumericEntitlement({ customerId: 'customer-pro', featureId: 'feature-max-projects' }),
        numericCall: (c: StiggSdk | Stigg) =>
          c.getNumericEntitlement({
            customerId: 'customer-pro',
            featureId: 'feature-seats',
            options: { fallback: { hasAccess: true, value: 7 } },
          }),
        metered: (c: StiggSdk | Stigg) =>
          c.getMeteredEntitlement({
            customerId: 'customer-pro',
            featureId: 'feature-api-calls',
            options: { requestedUsage: 2 },
          }),
        enumeration: (c: StiggSdk | Stigg) =>
          c.getEnumEntitlement({ customerId: 'customer-pro', featureId: 'feature-export-formats' }),
        boolean: (c: StiggSdk | Stigg) =>
          c.getBooleanEntitlement({ customerId: 'customer-pro', featureId: 'feature-analytics' }),
        none: (c: StiggSdk | Stigg) =>
          c.getBooleanEntitlement({ customerId: 'customer-pro', featureId: 'feature-unknown' }),
        generic: (c: StiggSdk | Stigg) =>
          c.getEntitlement({
            customerId: 'customer-pro',
            featureId: 'feature-seats',
            options: { fallback: { hasAccess: true, value: 3 } },
          }),
        list: (c: StiggSdk | Stigg) => c.getEntitlements('customer-pro'),
      };
      // The SDK retries a refused connection for about two seconds per call: its calls run together.
      const theirs = await Promise.all(Object.values(ask).map((run) => run(sdkDown)));
      for (const [i, [name, run]] of Object.entries(ask).entries())
        same(`fallback: ${name}`, theirs[i], await run(facadeDown), { exact: true });
      expect(await ask.numeric(facadeDown)).toMatchObject({ isFallback: true, hasAccess: true, value: 5 });
      expect(await ask.numericCall(facadeDown)).toMatchObject({ isFallback: true, value: 7 });
      expect(await ask.enumeration(facadeDown)).toMatchObject({ isFallback: true, enumValues: ['csv'] });
    } finally {
      sdkDown.close();
      await facadeDown.close();
    }
  });

  it('offline: every answer from the fallbacks', async () => {
    const entitlementsFallback = { 'feature-max-projects': { hasAccess: true, value: 9 } };
    const config = { apiKey: 'local', offline: true, entitlementsFallback };
    const sdkOffline = sdkWith(config);
    const facadeOffline = Stigg.initialize({ ...config, logConfiguration: { logger: silent, logLevel: 'NONE' } });
    for (const [call, run] of [
      [
        'offline getNumericEntitlement',
        (c: StiggSdk | Stigg) => c.getNumericEntitlement({ customerId: 'c', featureId: 'feature-max-projects' }),
      ],
      [
        'offline getMeteredEntitlement',
        (c: StiggSdk | Stigg) => c.getMeteredEntitlement({ customerId: 'c', featureId: 'feature-api-calls' }),
      ],
      ['offline getEntitlements', (c: StiggSdk | Stigg) => c.getEntitlements('c')],
    ] as const)
      same(call, await run(sdkOffline), await run(facadeOffline), { exact: true });
    sdkOffline.close();
    await facadeOffline.close();
  });

  it('addListener(entitlementsUpdated): the payload of a plan change', async () => {
    await sdk.provisionCustomer({ customerId: 'evt-customer', subscriptionParams: { planId: 'plan-free' } });
    const got: Record<'sdk' | 'facade', EntitlementsUpdatedPayload[]> = { sdk: [], facade: [] };
    sdk.addListener('entitlementsUpdated', (p) => p.customerId === 'evt-customer' && got.sdk.push(p as never));
    facade.addListener('entitlementsUpdated', (p) => p.customerId === 'evt-customer' && got.facade.push(p));
    server.admin.setPlan('evt-customer', 'plan-pro');
    const analytics = (p: EntitlementsUpdatedPayload) =>
      p.entitlements.some((e) => e.feature.refId === 'feature-analytics');
    await until(() => got.sdk.some(analytics) && got.facade.some(analytics), 'both entitlementsUpdated payloads');
    const { sdkOnly } = same(
      'addListener entitlementsUpdated (setPlan)',
      got.sdk.find(analytics),
      got.facade.find(analytics),
    );
    expect(sdkOnly.sort()).toEqual(
      [
        'entitlements[].isGranted',
        'entitlements[].entitlementUpdatedAt',
        'entitlements[].usageUpdatedAt',
        'entitlements[].resetPeriodConfiguration',
        'entitlements[].feature.displayName',
      ].sort(),
    );
  });

  it('addListener(usageUpdated): the payload of a usage change', async () => {
    await sdk.provisionCustomer({ customerId: 'evt-usage', subscriptionParams: { planId: 'plan-free' } });
    const seats = { customerId: 'evt-usage', featureId: 'feature-seats' };
    // Both hold the customer (the SDK tells usage changes of customers it holds).
    await sdk.getMeteredEntitlement(seats);
    await facade.getMeteredEntitlement(seats);
    const got: Record<'sdk' | 'facade', EntitlementUsageUpdatedFragment[]> = { sdk: [], facade: [] };
    sdk.addListener('usageUpdated', (p) => p.usage.customerId === 'evt-usage' && got.sdk.push(p as never));
    facade.addListener('usageUpdated', (p) => p.usage.customerId === 'evt-usage' && got.facade.push(p));
    server.admin.setUsage('evt-usage', 'feature-seats', 2);
    await until(() => got.sdk.length > 0 && got.facade.length > 0, 'both usageUpdated payloads');
    expect(got.facade[0]!.usage).toMatchObject({ featureId: 'feature-seats', currentUsage: 2 });
    expect(got.facade[0]!.entitlement).toMatchObject({ currentUsage: 2, usageLimit: 2 });
    const { sdkOnly } = same('addListener usageUpdated (setUsage)', got.sdk[0], got.facade[0], { scrubbed: true });
    expect(sdkOnly.sort()).toEqual(
      [
        'entitlement.isGranted',
        'entitlement.entitlementUpdatedAt',
        'entitlement.usageUpdatedAt',
        'entitlement.feature.displayName',
      ].sort(),
    );
  });

  it('initializeSuccessfully and apiKeyInvalid', async () => {
    const told: string[] = [];
    const ok = facadeOn(server);
    ok.addListener('initializeSuccessfully', () => told.push('initializeSuccessfully'));
    await ok.waitForInitialization();
    const bad = facadeOn(server, { apiKey: 'server-wrong' });
    bad.addListener('apiKeyInvalid', () => told.push('apiKeyInvalid'));
    bad.addListener('initializeFailed', () => told.push('initializeFailed'));
    await expect(bad.waitForInitialization()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(told[0]).toBe('initializeSuccessfully');
    // As the SDK, every refusal of the key is told (the check at start, the stream's); initializeFailed after one.
    expect(told.indexOf('apiKeyInvalid')).toBeGreaterThan(0);
    expect(told.indexOf('initializeFailed')).toBeGreaterThan(told.indexOf('apiKeyInvalid'));
    await Promise.all([ok.close(), bad.close()]);
  });

  it('customers: your id as `id`, metadata and coupons the SDK way, Stigg left in the same state', async () => {
    const args = {
      customerId: 'acme',
      name: 'Acme',
      email: 'owner@acme.example',
      couponId: 'coupon-launch-20',
      metadata: { crm: 'hs-1' },
      subscriptionParams: { planId: 'plan-pro', billingPeriod: 'MONTHLY' as never, metadata: { seats: 'sales' } },
    };
    const theirs = await sdkW.provisionCustomer(args);
    const ours = await facadeW.provisionCustomer(args);
    same('provisionCustomer', theirs, ours, { scrubbed: true });
    expect(ours.customer.id).toBe('acme');
    expect(ours.subscription?.customerId).toBe('acme');
    // The subscription id a user sees (Stigg made it up here: none was given), not Stigg's internal UUID.
    expect(ours.subscription?.id).toMatch(/^subscription-plan-pro-/);
    same('getCustomer', await sdkW.getCustomer('acme'), await facadeW.getCustomer('acme'), { scrubbed: true });
    const update = { customerId: 'acme', name: 'Acme Inc', metadata: { crm: 'hs-2' } };
    same('updateCustomer', await sdkW.updateCustomer(update), await facadeW.updateCustomer(update), { scrubbed: true });
    // What Stigg holds after each client's writes, read with the SDK on both sides: every field, coupon included.
    same(
      'Stigg after provision+update (SDK reads)',
      await sdkW.getCustomer('acme'),
      await sdkOnFacadeServer.getCustomer('acme'),
      {
        exact: true,
        scrubbed: true,
      },
    );
    same('archiveCustomer', await sdkW.archiveCustomer('acme'), await facadeW.archiveCustomer('acme'), { exact: true });
    const notFound = async (c: StiggSdk | Stigg) =>
      c.getCustomer('acme').catch((e: { errorCode?: string }) => ({ errorCode: e.errorCode }));
    same('getCustomer archived (error)', await notFound(sdkW), await notFound(facadeW), { exact: true });
    await expect(facadeW.getCustomer('acme')).rejects.toBeInstanceOf(StiggFacadeError);
    same('unarchiveCustomer', await sdkW.unarchiveCustomer('acme'), await facadeW.unarchiveCustomer('acme'), {
      scrubbed: true,
    });
  });

  it('subscriptions: your subscription id as `id`, add-ons, cancellation', async () => {
    const args = {
      customerId: 'globex',
      subscriptionParams: null,
    };
    await sdkW.provisionCustomer(args);
    await facadeW.provisionCustomer(args);
    const provision = {
      customerId: 'globex',
      planId: 'plan-pro',
      id: 'sub-globex',
      billingPeriod: 'ANNUALLY' as never,
      addons: [{ addonId: 'addon-extra-seats', quantity: 2 }],
      metadata: { po: '42' },
    };
    const theirs = await sdkW.provisionSubscription(provision);
    const ours = await facadeW.provisionSubscription(provision);
    same('provisionSubscription', theirs, ours, { scrubbed: true });
    expect(ours.subscription?.id).toBe('sub-globex');
    const update = {
      subscriptionId: 'sub-globex',
      addons: [{ addonId: 'addon-extra-seats', quantity: 3 }],
      metadata: { po: '43' },
    };
    same('updateSubscription', await sdkW.updateSubscription(update), await facadeW.updateSubscription(update), {
      scrubbed: true,
    });
    const sub = { subscriptionId: 'sub-globex' };
    same('getSubscription', await sdkW.getSubscription(sub), await facadeW.getSubscription(sub), { scrubbed: true });
    const active = { customerId: 'globex' };
    same(
      'getActiveSubscriptions',
      await sdkW.getActiveSubscriptions(active),
      await facadeW.getActiveSubscriptions(active),
      { scrubbed: true },
    );
    same(
      'getActiveSubscriptionsList',
      await sdkW.getActiveSubscriptionsList(active),
      await facadeW.getActiveSubscriptionsList(active),
      {
        scrubbed: true,
      },
    );
    same(
      'Stigg after subscription writes (SDK reads)',
      await sdkW.getCustomer('globex'),
      await sdkOnFacadeServer.getCustomer('globex'),
      {
        exact: true,
        scrubbed: true,
      },
    );
    const cancel = { subscriptionId: 'sub-globex', subscriptionCancellationTime: 'IMMEDIATE' as never };
    same('cancelSubscription', await sdkW.cancelSubscription(cancel), await facadeW.cancelSubscription(cancel), {
      scrubbed: true,
    });
  });

  it('catalog reads: paywall, products, coupons', async () => {
    const paywall = { productId: 'product-tollgate-demo' };
    same('getPaywall', await sdkW.getPaywall(paywall), await facadeW.getPaywall(paywall), { scrubbed: true });
    same('getProducts', await sdkW.getProducts(), await facadeW.getProducts(), { scrubbed: true });
    same('getCoupons', await sdkW.getCoupons(), await facadeW.getCoupons(), { scrubbed: true });
  });

  it('promotional entitlements: grant, and revoke by the SDK name', async () => {
    for (const c of [sdkW, facadeW])
      await c.provisionCustomer({ customerId: 'initech', subscriptionParams: { planId: 'plan-free' } });
    const grant = {
      customerId: 'initech',
      promotionalEntitlements: [{ featureId: 'feature-seats', period: 'ONE_MONTH' as never, usageLimit: 50 }],
    };
    same(
      'grantPromotionalEntitlements',
      await sdkW.grantPromotionalEntitlements(grant),
      await facadeW.grantPromotionalEntitlements(grant),
      {
        scrubbed: true,
      },
    );
    const seats = { customerId: 'initech', featureId: 'feature-seats' };
    same(
      'after grant: getMeteredEntitlement',
      await sdkW.getMeteredEntitlement(seats),
      await facadeW.getMeteredEntitlement(seats),
      {
        exact: true,
        scrubbed: true,
      },
    );
    same(
      'revokePromotionalEntitlements',
      await sdkW.revokePromotionalEntitlements(seats),
      await facadeW.revokePromotionalEntitlements(seats),
      {
        scrubbed: true,
      },
    );
    same(
      'after revoke: getMeteredEntitlement',
      await sdkW.getMeteredEntitlement(seats),
      await facadeW.getMeteredEntitlement(seats),
      {
        exact: true,
        scrubbed: true,
      },
    );
  });

  it('previewSubscription: a new subscription, a promotion code, a change mid-period, a scheduled downgrade', async () => {
    const previews: [string, Parameters<Stigg['previewSubscription']>[0], { scrubbed?: boolean }][] = [
      [
        'previewSubscription new, add-ons',
        {
          customerId: 'customer-nosub',
          planId: 'plan-pro',
          billingPeriod: 'MONTHLY' as never,
          addons: [{ addonId: 'addon-extra-seats', quantity: 2 }],
        },
        // The proration date is the moment of each call.
        { scrubbed: true },
      ],
      [
        'previewSubscription annual, promotion code',
        {
          customerId: 'customer-nosub',
          planId: 'plan-pro',
          billingPeriod: 'ANNUALLY' as never,
          promotionCode: 'LAUNCH20',
        },
        { scrubbed: true },
      ],
      [
        'previewSubscription upgrade',
        {
          customerId: 'customer-pro',
          planId: 'plan-pro',
          billingPeriod: 'MONTHLY' as never,
          addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
        },
        { scrubbed: true },
      ],
      [
        'previewSubscription scheduled downgrade',
        { customerId: 'customer-pro', planId: 'plan-free', scheduleStrategy: 'END_OF_BILLING_PERIOD' as never },
        {},
      ],
    ];
    for (const [call, args, how] of previews) {
      const ours = await facade.previewSubscription(args);
      same(call, await sdk.previewSubscription(args as never), ours, { exact: true, ...how });
      expect(ours.billingPeriodRange.start).toBeInstanceOf(Date);
    }
    const annual = await facade.previewSubscription(previews[1]![1]);
    expect(annual.recurringInvoice?.total).toEqual({ amount: 392, currency: 'USD' }); // $490 less 20%
    expect(annual.immediateInvoice.discountDetails).toMatchObject({ type: 'PERCENTAGE', value: 20 });
    const unknown = { customerId: 'nobody', planId: 'plan-pro' };
    const failed = async (c: StiggSdk | Stigg) =>
      c.previewSubscription(unknown).catch((e: { errorCode?: string }) => ({ errorCode: e.errorCode }));
    same('previewSubscription unknown customer (error)', await failed(sdk), await failed(facade), { exact: true });
  });

  it('promotional entitlement groups: grant, revoke, unlink', async () => {
    for (const c of [sdkW, facadeW])
      await c.provisionCustomer({ customerId: 'umbrella', subscriptionParams: { planId: 'plan-free' } });
    const analytics = { customerId: 'umbrella', featureId: 'feature-analytics' };
    const projects = { customerId: 'umbrella', featureId: 'feature-max-projects' };
    expect((await facadeW.getBooleanEntitlement(analytics)).hasAccess).toBe(false);
    expect((await sdkW.getBooleanEntitlement(analytics)).hasAccess).toBe(false);
    const grant = {
      customerId: 'umbrella',
      featureGroupId: 'fg-growth',
      promotionalEntitlements: [
        { featureId: 'feature-analytics', period: 'ONE_MONTH' as never },
        { featureId: 'feature-max-projects', period: 'LIFETIME' as never, usageLimit: 20 },
      ],
    };
    same(
      'grantPromotionalEntitlementsGroup',
      await sdkW.grantPromotionalEntitlementsGroup(grant as never),
      await facadeW.grantPromotionalEntitlementsGroup(grant),
      { scrubbed: true },
    );
    // The facade's next read has the group at once (the grant dropped the cached entry); the SDK's, once pushed.
    expect((await facadeW.getBooleanEntitlement(analytics)).hasAccess).toBe(true);
    await until(async () => (await sdkW.getBooleanEntitlement(analytics)).hasAccess, 'the SDK told of the group');
    await until(async () => (await sdkW.getNumericEntitlement(projects)).value === 20, 'the SDK told of the limit');
    same(
      'after group grant: getNumericEntitlement',
      await sdkW.getNumericEntitlement(projects),
      await facadeW.getNumericEntitlement(projects),
      { exact: true, scrubbed: true },
    );
    const group = { customerId: 'umbrella', featureGroupId: 'fg-growth' };
    same(
      'revokePromotionalEntitlementsGroup',
      await sdkW.revokePromotionalEntitlementsGroup(group as never),
      await facadeW.revokePromotionalEntitlementsGroup(group),
      { scrubbed: true },
    );
    expect((await facadeW.getBooleanEntitlement(analytics)).hasAccess).toBe(false);
    await until(async () => !(await sdkW.getBooleanEntitlement(analytics)).hasAccess, 'the SDK told of the revoke');

    const second = { ...grant, featureGroupId: 'fg-2', promotionalEntitlements: [grant.promotionalEntitlements[0]!] };
    for (const c of [sdkW, facadeW]) await c.grantPromotionalEntitlementsGroup(second as never);
    const unlink = { customerId: 'umbrella', featureGroupId: 'fg-2' };
    same(
      'unlinkPromotionalEntitlementsGroup',
      await sdkW.unlinkPromotionalEntitlementsGroup(unlink as never),
      await facadeW.unlinkPromotionalEntitlementsGroup(unlink),
      { scrubbed: true },
    );
    const failed = async (c: StiggSdk | Stigg) =>
      c
        .revokePromotionalEntitlementsGroup(unlink as never)
        .catch((e: { errorCode?: string }) => ({ errorCode: e.errorCode }));
    same('revokePromotionalEntitlementsGroup unlinked (error)', await failed(sdkW), await failed(facadeW), {
      exact: true,
    });
    expect((await facadeW.getBooleanEntitlement(analytics)).hasAccess).toBe(true);
    same(
      'Stigg after group writes (SDK reads)',
      await sdkW.getCustomer('umbrella'),
      await sdkOnFacadeServer.getCustomer('umbrella'),
      { exact: true, scrubbed: true },
    );
    await expect(facadeW.unlinkPromotionalEntitlementsGroup({ ...unlink, environmentId: 'env' })).rejects.toThrow(
      /environmentId/,
    );
  });

  it('getSubscriptions (filters, pages) and getCustomerStatistics', async () => {
    const lists: [string, Parameters<Stigg['getSubscriptions']>[0]][] = [
      ['getSubscriptions by customer', { customerId: 'customer-pro' }],
      ['getSubscriptions by status, product', { status: ['ACTIVE' as never], productId: 'product-tollgate-demo' }],
      ['getSubscriptions first page', { pagination: { limit: 2 } }],
      ['getSubscriptions no params', undefined],
    ];
    for (const [call, params] of lists)
      same(call, await sdk.getSubscriptions(params as never), await facade.getSubscriptions(params));
    const first = await facade.getSubscriptions({ pagination: { limit: 2 } });
    expect(first.data).toHaveLength(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = { pagination: { limit: 2, startingAfter: first.pageInfo.endCursor! } };
    same('getSubscriptions next page', await sdk.getSubscriptions(next), await facade.getSubscriptions(next));
    const before = { pagination: { limit: 1, endingBefore: first.pageInfo.endCursor! } };
    same('getSubscriptions page before', await sdk.getSubscriptions(before), await facade.getSubscriptions(before));
    expect((await facade.getSubscriptions({ customerId: 'customer-pro' })).data).toMatchObject([
      { subscriptionId: 'subscription-customer-pro-plan-pro', plan: { planId: 'plan-pro' }, pricingType: 'PAID' },
    ]);

    for (const customerId of ['customer-pro', 'customer-free', 'customer-nosub'])
      same(
        `getCustomerStatistics ${customerId}`,
        await sdk.getCustomerStatistics(customerId),
        await facade.getCustomerStatistics(customerId),
        { exact: true },
      );
    expect(await facade.getCustomerStatistics('customer-pro')).toEqual({
      statistics: { activeSubscriptionsByPricingType: [{ pricingType: 'PAID', totalCount: 1 }] },
    });
    const failed = async (c: StiggSdk | Stigg) =>
      c.getCustomerStatistics('nobody').catch((e: { errorCode?: string }) => ({ errorCode: e.errorCode }));
    same('getCustomerStatistics unknown (error)', await failed(sdk), await failed(facade), { exact: true });
  });

  it('reportEvent, reportUsage and reportUsageBulk', async () => {
    for (const c of [sdkW, facadeW])
      await c.provisionCustomer({
        customerId: 'hooli',
        subscriptionParams: { planId: 'plan-pro', billingPeriod: 'MONTHLY' as never },
      });
    const event = { customerId: 'hooli', eventName: 'api-call', idempotencyKey: 'evt-1', timestamp: new Date() };
    same('reportEvent', await sdkW.reportEvent([event]), await facadeW.reportEvent([event]), { exact: true });
    const usage = { customerId: 'hooli', featureId: 'feature-seats', value: 5 };
    same('reportUsage +5', await sdkW.reportUsage(usage), await facadeW.reportUsage(usage), {
      exact: true,
      scrubbed: true,
    });
    const bulk = {
      usages: [
        { customerId: 'hooli', featureId: 'feature-seats', value: -2 },
        { customerId: 'hooli', featureId: 'feature-api-calls', value: 4, updateBehavior: 'SET' as never },
      ],
    };
    same('reportUsageBulk', await sdkW.reportUsageBulk(bulk), await facadeW.reportUsageBulk(bulk), {
      exact: true,
      scrubbed: true,
    });
    for (const featureId of ['feature-seats', 'feature-api-calls']) {
      const read = { customerId: 'hooli', featureId };
      // The facade's own answer follows its report at once (Tollgate puts Stigg's acknowledgement into its cache).
      same(
        `after reports: getMeteredEntitlement ${featureId}`,
        await sdkW.getMeteredEntitlement(read),
        await facadeW.getMeteredEntitlement(read),
        {
          exact: true,
          scrubbed: true,
        },
      );
    }
  }, 30_000);

  it('billing details, trials, coupons, cancellation options and paywall countries: passed on as the SDK sends them', async () => {
    const args = {
      customerId: 'initech',
      name: 'Initech',
      billingInfo: {
        currency: 'USD' as never,
        customerName: 'Initech LLC',
        billingAddress: { addressLine1: '1 Main St', city: 'Austin', country: 'US', postalCode: '73301' },
        taxIds: [{ type: 'us_ein', value: '12-3456789' }],
        timezone: 'America/Chicago',
      },
      salesforceId: 'sf-initech',
      excludeFromExperiment: true,
      subscriptionParams: {
        planId: 'plan-pro',
        billingPeriod: 'MONTHLY' as never,
        billingInformation: { taxPercentage: 17, billingAddress: { line1: '1 Main St', country: 'US' } },
        appliedCoupon: { couponId: 'coupon-launch-20' },
        trialOverrideConfiguration: { isTrial: false },
        awaitPaymentConfirmation: false,
      },
    };
    const [theirs, ours] = [await sdkW.provisionCustomer(args), await facadeW.provisionCustomer(args)];
    same('provisionCustomer with billingInfo', theirs, ours, { scrubbed: true });
    // Stigg made up each side's subscription id (the SDK sends a subscriptionParams `id` as is: Stigg refuses it).
    const update = (subscriptionId: string) => ({
      subscriptionId,
      billingInformation: { isInvoicePaid: true },
      appliedCoupon: { couponId: 'coupon-launch-20' },
      awaitPaymentConfirmation: false,
    });
    same(
      'updateSubscription with billingInformation',
      await sdkW.updateSubscription(update(theirs.subscription!.id)),
      await facadeW.updateSubscription(update(ours.subscription!.id)),
      { scrubbed: true },
    );
    same(
      'Stigg after billing writes (SDK reads)',
      await sdkW.getCustomer('initech'),
      await sdkOnFacadeServer.getCustomer('initech'),
      { exact: true, scrubbed: true },
    );
    const cancel = (subscriptionId: string) => ({
      subscriptionId,
      subscriptionCancellationTime: 'IMMEDIATE' as never,
      subscriptionCancellationAction: 'REVOKE_ENTITLEMENTS' as never,
      prorate: true,
    });
    same(
      'cancelSubscription with action, prorate',
      await sdkW.cancelSubscription(cancel(theirs.subscription!.id)),
      await facadeW.cancelSubscription(cancel(ours.subscription!.id)),
      { scrubbed: true },
    );
    const paywall = {
      productId: 'product-tollgate-demo',
      billingCountryCode: 'DK',
      includeHiddenPlans: true,
      fetchAllCountriesPrices: true,
    };
    same('getPaywall with countries', await sdkW.getPaywall(paywall), await facadeW.getPaywall(paywall), {
      scrubbed: true,
    });
  });

  it("refuses what has no counterpart in Stigg's API rather than dropping it", async () => {
    const refused = await facadeW
      .updateCustomer({ customerId: 'initech', integrationId: 'stripe-eu' })
      .catch((e: StiggFacadeError) => e);
    expect(refused).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('integrationId') });
    await expect(
      facadeW.provisionCustomer({ customerId: 'x', subscriptionParams: { planId: 'plan-pro', skipTrial: true } }),
    ).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('trialOverrideConfiguration'),
    });
    await expect(
      facadeW.reportUsage({ customerId: 'x', featureId: 'f', value: 1, dimensions: { a: 1 } }),
    ).rejects.toThrow(/dimensions/);
    rows.push({
      call: 'updateCustomer with integrationId',
      sdk: '(not sent: the SDK drops it)',
      facade: brief((refused as StiggFacadeError).message),
      same: 'no: refused, documented',
    });
  });

  it('types: the SDK arguments fit the facade', () => {
    expectTypeOf<Parameters<SdkStigg['getMeteredEntitlement']>[0]>().toMatchTypeOf<
      Parameters<Stigg['getMeteredEntitlement']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['getNumericEntitlement']>[0]>().toMatchTypeOf<
      Parameters<Stigg['getNumericEntitlement']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['getEnumEntitlement']>[0]>().toMatchTypeOf<
      Parameters<Stigg['getEnumEntitlement']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['getEntitlement']>[0]>().toMatchTypeOf<Parameters<Stigg['getEntitlement']>[0]>();
    expectTypeOf<Stigg['getEntitlements']>().returns.resolves.toBeArray();
    // The calls added with core's typed management calls take the SDK's arguments too, billing details included.
    expectTypeOf<Parameters<SdkStigg['provisionCustomer']>[0]>().toMatchTypeOf<
      Parameters<Stigg['provisionCustomer']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['updateCustomer']>[0]>().toMatchTypeOf<Parameters<Stigg['updateCustomer']>[0]>();
    expectTypeOf<Parameters<SdkStigg['updateSubscription']>[0]>().toMatchTypeOf<
      Parameters<Stigg['updateSubscription']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['cancelSubscription']>[0]>().toMatchTypeOf<
      Parameters<Stigg['cancelSubscription']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['getPaywall']>[0]>().toMatchTypeOf<Parameters<Stigg['getPaywall']>[0]>();
    expectTypeOf<Parameters<SdkStigg['applySubscription']>[0]>().toMatchTypeOf<
      Parameters<Stigg['applySubscription']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['grantCredits']>[0]>().toMatchTypeOf<Parameters<Stigg['grantCredits']>[0]>();
    expectTypeOf<Parameters<SdkStigg['provisionSubscription']>[0]>().toMatchTypeOf<
      Parameters<Stigg['provisionSubscription']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['estimateSubscription']>[0]>().toMatchTypeOf<
      Parameters<Stigg['estimateSubscription']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['estimateSubscriptionUpdate']>[0]>().toMatchTypeOf<
      Parameters<Stigg['estimateSubscriptionUpdate']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['cancelSubscriptionScheduledUpdates']>[0]>().toMatchTypeOf<
      Parameters<Stigg['cancelSubscriptionScheduledUpdates']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['migrateSubscriptionToLatest']>[0]>().toMatchTypeOf<
      Parameters<Stigg['migrateSubscriptionToLatest']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['transferSubscriptionToResource']>[0]>().toMatchTypeOf<
      Parameters<Stigg['transferSubscriptionToResource']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['delegateSubscriptionToCustomer']>[0]>().toMatchTypeOf<
      Parameters<Stigg['delegateSubscriptionToCustomer']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['previewNextInvoice']>[0]>().toMatchTypeOf<
      Parameters<Stigg['previewNextInvoice']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['getCreditBalance']>[0]>().toMatchTypeOf<
      Parameters<Stigg['getCreditBalance']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['getCreditGrants']>[0]>().toMatchTypeOf<Parameters<Stigg['getCreditGrants']>[0]>();
    expectTypeOf<Parameters<SdkStigg['voidCreditGrant']>[0]>().toMatchTypeOf<Parameters<Stigg['voidCreditGrant']>[0]>();
    expectTypeOf<Parameters<SdkStigg['getUsageHistoryV2']>[0]>().toMatchTypeOf<
      Parameters<Stigg['getUsageHistoryV2']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['previewSubscription']>[0]>().toMatchTypeOf<
      Parameters<Stigg['previewSubscription']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['getSubscriptions']>[0]>().toMatchTypeOf<
      Parameters<Stigg['getSubscriptions']>[0]
    >();
    // grantPromotionalEntitlementsGroup: as for grantPromotionalEntitlements, the SDK's `period` is a TypeScript enum,
    // the facade's the enum's string values (`'ONE_MONTH'`), so the SDK's argument type does not fit it as is.
    expectTypeOf<Parameters<SdkStigg['revokePromotionalEntitlementsGroup']>[0]>().toMatchTypeOf<
      Parameters<Stigg['revokePromotionalEntitlementsGroup']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['unlinkPromotionalEntitlementsGroup']>[0]>().toMatchTypeOf<
      Parameters<Stigg['unlinkPromotionalEntitlementsGroup']>[0]
    >();
    expectTypeOf<Parameters<SdkStigg['detachCustomerPaymentMethod']>[0]>().toMatchTypeOf<
      Parameters<Stigg['detachCustomerPaymentMethod']>[0]
    >();
  });
});
