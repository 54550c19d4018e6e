/** The realtime stream over graphql-ws: auth, the four subscriptions, pushes on every change, dropped streams. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { API_KEY, gqlOk, start, waitFor } from './helpers.js';

let server: StiggLocal;
const clients: Client[] = [];
beforeEach(async () => {
  server = await start();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.dispose();
  await server.close();
});

function connect(apiKey = API_KEY, on: Parameters<typeof createClient>[0]['on'] = {}): Client {
  const client = createClient({
    url: `${server.wsUrl}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { headers: { 'X-API-KEY': apiKey } },
    retryAttempts: 0,
    on,
  });
  clients.push(client);
  return client;
}

function collect(client: Client, query: string): unknown[] {
  const seen: unknown[] = [];
  client.subscribe(
    { query },
    { next: (v) => seen.push(v.data), error: (e) => seen.push({ error: e }), complete: () => {} },
  );
  return seen;
}

const ENTITLEMENTS = `subscription { entitlementsUpdated { customerId resourceId entitlements { feature { refId } usageLimit hasUnlimitedUsage } } }`;
const USAGE = `subscription { usageUpdated { usage { customerId featureId currentUsage usagePeriodStart usagePeriodEnd nextResetDate } entitlement { feature { refId } usageLimit } } }`;
const PACKAGES = `subscription { packagePublished { accountId environmentId packageType packageRefId packageVersion migrationType } }`;
const CREDITS = `subscription { creditBalanceUpdated { customerId currencyId currentBalance } }`;

describe('stream', () => {
  it('closes with 4401 "Invalid API key" for a bad key', async () => {
    let closed: { code: number; reason: string } | undefined;
    const client = connect('server-wrong', { closed: (e) => (closed = e as { code: number; reason: string }) });
    collect(client, ENTITLEMENTS);
    await waitFor(() => closed, 'close');
    expect(closed).toMatchObject({ code: 4401, reason: 'Invalid API key' });
  });

  it('accepts the four subscriptions the SDK opens', async () => {
    const client = connect();
    for (const q of [ENTITLEMENTS, USAGE, PACKAGES, CREDITS]) collect(client, q);
    await waitFor(() => (server.admin.stats().calls.creditBalanceUpdated ?? 0) >= 1, 'subscriptions');
    expect(server.admin.stats()).toMatchObject({
      streams: 1,
      calls: { entitlementsUpdated: 1, usageUpdated: 1, packagePublished: 1 },
    });
  });

  it('pushes entitlementsUpdated on provisioning, plan changes and promotions', async () => {
    const seen = collect(connect(), ENTITLEMENTS) as {
      entitlementsUpdated: { customerId: string; entitlements: { feature: { refId: string } }[] };
    }[];
    await waitFor(() => server.admin.stats().calls.entitlementsUpdated, 'subscribed');
    await gqlOk(
      server,
      `mutation { provisionCustomer(input: {customerId: "s1", subscriptionParams: {planId: "plan-free"}}) { customer { id } } }`,
    );
    await waitFor(() => seen.length >= 1, 'provision push');
    expect(seen[0]?.entitlementsUpdated.customerId).toBe('s1');
    server.admin.setPlan('s1', 'plan-enterprise');
    await waitFor(() => seen.length >= 2, 'plan push');
    const features = seen[1]!.entitlementsUpdated.entitlements.map((e) => e.feature.refId);
    expect(features).toContain('feature-analytics');
    await gqlOk(
      server,
      `mutation { grantPromotionalEntitlements(input: {customerId: "customer-free", promotionalEntitlements: [{featureId: "feature-analytics", period: LIFETIME}]}) { id } }`,
    );
    await waitFor(() => seen.length >= 3, 'promotion push');
    expect(seen[2]?.entitlementsUpdated.customerId).toBe('customer-free');
  });

  it('pushes usageUpdated with epoch-millisecond periods on every usage change', async () => {
    const seen = collect(connect(), USAGE) as { usageUpdated: { usage: Record<string, unknown> } }[];
    await waitFor(() => server.admin.stats().calls.usageUpdated, 'subscribed');
    await gqlOk(
      server,
      `mutation { reportUsage(input: {customerId: "customer-pro", featureId: "feature-api-calls", value: 3}) { id } }`,
    );
    server.admin.setUsage('customer-pro', 'feature-seats', 4);
    await waitFor(() => seen.length >= 2, 'usage pushes');
    expect(seen[0]?.usageUpdated.usage).toMatchObject({
      customerId: 'customer-pro',
      featureId: 'feature-api-calls',
      currentUsage: 3,
    });
    expect(typeof seen[0]?.usageUpdated.usage.usagePeriodEnd).toBe('number');
    expect(seen[1]?.usageUpdated.usage).toMatchObject({
      featureId: 'feature-seats',
      currentUsage: 4,
      usagePeriodEnd: null,
    });
  });

  it("pushes packagePublished and everyone's entitlements on a catalog change", async () => {
    const client = connect();
    const packages = collect(client, PACKAGES) as { packagePublished: Record<string, unknown> }[];
    const ents = collect(client, ENTITLEMENTS) as {
      entitlementsUpdated: { customerId: string; entitlements: { feature: { refId: string }; usageLimit: number }[] };
    }[];
    await waitFor(() => server.admin.stats().calls.entitlementsUpdated, 'subscribed');
    const catalog = structuredClone(server.admin.catalog());
    catalog.plans.find((p) => p.id === 'plan-free')!.entitlements.find((e) => e.feature === 'feature-seats')!.limit = 3;
    expect(server.admin.publishCatalog(catalog)).toEqual({ changedPackages: ['plan-free'] });
    await waitFor(
      () => packages.length >= 1 && ents.some((e) => e.entitlementsUpdated.customerId === 'customer-free'),
      'catalog pushes',
    );
    expect(packages[0]?.packagePublished).toMatchObject({
      packageType: 'Plan',
      packageRefId: 'plan-free',
      packageVersion: 2,
      migrationType: 'ALL_CUSTOMERS',
    });
    const free = ents.find((e) => e.entitlementsUpdated.customerId === 'customer-free')!;
    expect(free.entitlementsUpdated.entitlements.find((e) => e.feature.refId === 'feature-seats')?.usageLimit).toBe(3);
  });

  it('drops every stream on demand', async () => {
    let closedCode = 0;
    const client = connect(API_KEY, { closed: (e) => (closedCode = (e as { code: number }).code) });
    collect(client, ENTITLEMENTS);
    await waitFor(() => server.admin.stats().streams === 1, 'connected');
    expect(server.admin.dropStreams()).toBe(1);
    await waitFor(() => closedCode !== 0, 'closed');
    await waitFor(() => server.admin.stats().streams === 0, 'stream count');
  });
});
