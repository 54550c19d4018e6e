/** The admin surface's faults, connection controls and rate-limit emulation, observed over real HTTP. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { API_KEY, entitlements, gql, start } from './helpers.js';

let server: StiggLocal;
beforeEach(async () => {
  server = await start();
});
afterEach(() => server.close());

const READ = `{ cachedEntitlements(query: {customerId: "customer-pro"}) { isGranted } }`;
const WRITE = `mutation { reportUsageBulk(input: {usages: [{customerId: "customer-pro", featureId: "feature-api-calls", value: 1}]}) { currentUsage } }`;

describe('faults', () => {
  it('adds latency to chosen operations only', async () => {
    server.admin.injectFault({ operations: ['cachedEntitlements'], latencyMs: 300 });
    let t = Date.now();
    await gql(server, READ);
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    t = Date.now();
    await gql(server, WRITE);
    expect(Date.now() - t).toBeLessThan(250);
  });

  it('answers an HTTP status for a number of calls, then recovers', async () => {
    server.admin.injectFault({ operations: ['reportUsageBulk'], status: 503, count: 2 });
    expect((await gql(server, WRITE)).status).toBe(503);
    expect((await gql(server, WRITE)).status).toBe(503);
    const ok = await gql(server, WRITE);
    expect(ok.status).toBe(200);
    expect(ok.data.reportUsageBulk[0].currentUsage).toBe(1); // the refused calls applied nothing
  });

  it('answers a GraphQL error code for a time', async () => {
    server.admin.injectFault({ operations: ['reportUsageBulk'], errorCode: 'RateLimitExceeded', durationMs: 300 });
    const limited = await gql(server, WRITE);
    expect(limited.status).toBe(200);
    expect(limited.errors?.[0]?.extensions.code).toBe('RateLimitExceeded');
    await new Promise((r) => setTimeout(r, 350));
    expect((await gql(server, WRITE)).errors).toBeUndefined();
  });

  it('applies a mutation and then drops the connection before answering', async () => {
    server.admin.injectFault({ operations: ['reportUsageBulk'], dropAfterApply: true, count: 1 });
    await expect(gql(server, WRITE)).rejects.toThrow();
    expect((await entitlements(server, 'customer-pro'))['feature-api-calls']?.currentUsage).toBe(1);
    expect(server.admin.stats().usage.applied).toBe(1);
  });

  it('refuses new connections for a while', async () => {
    server.admin.refuseConnections(400);
    await expect(
      fetch(server.graphqlUrl, { method: 'POST', headers: { 'x-api-key': API_KEY, connection: 'close' }, body: '{}' }),
    ).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 450));
    expect((await gql(server, READ)).status).toBe(200);
  });

  it('lists and clears faults', async () => {
    const id = server.admin.injectFault({ status: 500 });
    server.admin.injectFault({ latencyMs: 1, operations: ['paywall'] });
    expect(server.admin.faults()).toHaveLength(2);
    server.admin.clearFaults(id);
    expect(server.admin.faults()).toEqual([{ id: id + 1, latencyMs: 1, operations: ['paywall'] }]);
    server.admin.clearFaults();
    expect((await gql(server, READ)).status).toBe(200);
  });
});

describe('rate-limit emulation', () => {
  it('is off by default', async () => {
    for (let i = 0; i < 40; i++) expect((await gql(server, WRITE)).status).toBe(200);
  });

  it('limits writes per customer and per operation, answering 429 with RateLimitExceeded', async () => {
    server.admin.setRateLimits({ enabled: true, windowMs: 3_000 });
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await gql(server, WRITE)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    const refused = await gql(server, WRITE);
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions.code).toBe('RateLimitExceeded');
    expect(refused.errors?.[0]?.message).toContain('customer-pro');
    expect((await entitlements(server, 'customer-pro'))['feature-api-calls']?.currentUsage).toBe(30);
    await new Promise((r) => setTimeout(r, 3_050)); // the next window
    expect((await gql(server, WRITE)).status).toBe(200);
    server.admin.setRateLimits({ enabled: true, windowMs: 60_000, perOperation: { reportUsageBulk: 2 } });
    await gql(server, WRITE);
    await gql(server, WRITE);
    expect((await gql(server, WRITE)).errors?.[0]?.message).toContain('reportUsageBulk');
    expect((await gql(server, READ)).status).toBe(200); // reads are not limited
  });
});
