/** Usage writes: DELTA and SET, idempotency keys, events, all-or-nothing bulk reports. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { entitlements, gql, gqlOk, start } from './helpers.js';
import { testCatalog } from './fixtures.js';

let server: StiggLocal;
let now = Date.parse('2026-03-10T08:30:00.000Z');

beforeEach(async () => {
  now = Date.parse('2026-03-10T08:30:00.000Z');
  server = await start({ catalog: testCatalog(), now: () => now });
});
afterEach(() => server.close());

const BULK = `mutation B($input: ReportUsageBulkInput!) { reportUsageBulk(input: $input) { id customerId featureId currentUsage timestamp } }`;
const bulk = (usages: Record<string, unknown>[]) => gql(server, BULK, { input: { usages } });
const usageOf = async (customerId: string, featureId: string) =>
  (await entitlements(server, customerId))[featureId]?.currentUsage;

describe('usage', () => {
  it('adds DELTA reports and replaces with SET', async () => {
    const r = await bulk([
      { customerId: 'customer-pro', featureId: 'feature-api-calls', value: 5 },
      { customerId: 'customer-pro', featureId: 'feature-api-calls', value: 2, updateBehavior: 'DELTA' },
      { customerId: 'customer-pro', featureId: 'feature-seats', value: 4, updateBehavior: 'SET' },
    ]);
    expect(r.data.reportUsageBulk.map((a: { currentUsage: number }) => a.currentUsage)).toEqual([5, 7, 4]);
    await bulk([{ customerId: 'customer-pro', featureId: 'feature-api-calls', value: 1, updateBehavior: 'SET' }]);
    expect(await usageOf('customer-pro', 'feature-api-calls')).toBe(1);
    expect(server.admin.stats().usage).toEqual({ applied: 4, duplicates: 0 });
  });

  it('applies a repeated idempotency key once, for 24 hours', async () => {
    const record = { customerId: 'customer-pro', featureId: 'feature-api-calls', value: 3, idempotencyKey: 'req-1' };
    const first = await bulk([record]);
    const again = await bulk([record, { ...record, idempotencyKey: 'req-2' }]);
    expect(first.data.reportUsageBulk[0].currentUsage).toBe(3);
    expect(again.data.reportUsageBulk.map((a: { currentUsage: number }) => a.currentUsage)).toEqual([3, 6]);
    const single = await gqlOk(
      server,
      `mutation { reportUsage(input: {customerId: "customer-pro", featureId: "feature-api-calls", value: 3, idempotencyKey: "req-1"}) { currentUsage } }`,
    );
    expect(single.reportUsage.currentUsage).toBe(6);
    expect(server.admin.stats().usage).toEqual({ applied: 2, duplicates: 2 });
    now += 24 * 3_600_000 + 1;
    await bulk([record]);
    expect(server.admin.stats().usage.applied).toBe(3);
  });

  it('rejects a bulk report as a whole when one record is invalid', async () => {
    const r = await bulk([
      { customerId: 'customer-pro', featureId: 'feature-api-calls', value: 5 },
      { customerId: 'customer-pro', featureId: 'feature-analytics', value: 1 },
    ]);
    expect(r.errors?.[0]?.extensions.code).toBe('MeteringNotAvailableForFeatureType');
    expect(r.errors?.[0]?.message).toContain('usages[1]');
    expect(await usageOf('customer-pro', 'feature-api-calls')).toBe(0);
    const unentitled = await bulk([{ customerId: 'customer-nosub', featureId: 'feature-api-calls', value: 1 }]);
    expect(unentitled.errors?.[0]?.extensions.code).toBe('NoFeatureEntitlementInSubscription');
    const unknown = await bulk([{ customerId: 'nobody', featureId: 'feature-api-calls', value: 1 }]);
    expect(unknown.errors?.[0]?.extensions.code).toBe('CustomerNotFound');
  });

  it('counts events whose name a feature meters, once per idempotency key', async () => {
    await gqlOk(
      server,
      `mutation { provisionSubscriptionV2(input: {customerId: "customer-free", planId: "plan-periods"}) { status } }`,
    );
    const send = (events: Record<string, unknown>[]) =>
      gqlOk(server, `mutation E($input: UsageEventsReportInput!) { reportEvent(events: $input) }`, {
        input: { usageEvents: events },
      });
    await send([
      { customerId: 'customer-free', eventName: 'completion', idempotencyKey: 'e1', dimensions: { tokens: 120 } },
      { customerId: 'customer-free', eventName: 'completion', idempotencyKey: 'e2', dimensions: { tokens: 30 } },
      { customerId: 'customer-free', eventName: 'unrelated', idempotencyKey: 'e3' },
    ]);
    await send([
      { customerId: 'customer-free', eventName: 'completion', idempotencyKey: 'e1', dimensions: { tokens: 120 } },
    ]);
    expect(await usageOf('customer-free', 'feature-tokens')).toBe(150);
    expect(server.admin.stats().usage.duplicates).toBe(1);
  });

  it('counts api-call events against the demo API calls feature', async () => {
    await gqlOk(
      server,
      `mutation { reportEvent(events: {usageEvents: [{customerId: "customer-pro", eventName: "api-call", idempotencyKey: "a1"}]}) }`,
    );
    expect(await usageOf('customer-pro', 'feature-api-calls')).toBe(1);
  });
});
