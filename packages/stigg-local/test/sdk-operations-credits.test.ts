/**
 * Credits, usage history and the pushes that go with them, through the official @stigg/node-server-sdk@3.95.0
 * (unchanged) and a graphql-ws subscription, against stigg-local.
 */
import { Stigg } from '@stigg/node-server-sdk';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDemoCatalog, type Catalog, type StiggLocal } from '@tollgate/stigg-local';
import { API_KEY, start, waitFor } from './helpers.js';

type Client = ReturnType<typeof Stigg.initialize>;
const DAY = 86_400_000;
const JAN_1 = Date.parse('2024-01-01T00:00:00.000Z');

/** The demo catalog plus a feature paid in AI-token credits and a plan that grants it. */
function creditCatalog(): Catalog {
  const demo = loadDemoCatalog();
  return {
    ...demo,
    features: [
      ...demo.features,
      {
        id: 'feature-ai-tokens',
        displayName: 'AI tokens',
        type: 'NUMBER',
        meterType: 'Incremental',
        creditRate: { currency: 'credits-ai-tokens', amount: 2 },
      },
    ],
    plans: [
      ...demo.plans,
      {
        id: 'plan-ai',
        product: 'product-tollgate-demo',
        displayName: 'AI',
        entitlements: [{ feature: 'feature-ai-tokens', limit: 'unlimited' }],
      },
    ],
  };
}

let clock = JAN_1;
let server: StiggLocal;
let client: Client;
const sockets: WsClient[] = [];

beforeEach(async () => {
  clock = JAN_1;
  server = await start({ now: () => clock, catalog: creditCatalog() });
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
  for (const s of sockets.splice(0)) await s.dispose();
  client?.close();
  await server?.close();
});

/** Collects the payloads of one realtime subscription over graphql-ws. */
function listen(query: string): unknown[] {
  const seen: unknown[] = [];
  const ws = createClient({
    url: `${server.wsUrl}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { headers: { 'X-API-KEY': API_KEY } },
    retryAttempts: 0,
  });
  sockets.push(ws);
  ws.subscribe(
    { query },
    { next: (v) => seen.push(v.data), error: (e) => seen.push({ error: e }), complete: () => {} },
  );
  return seen;
}

const CREDITS = `subscription { creditBalanceUpdated { customerId resourceId currencyId currentBalance totalGranted totalConsumed validUntil
  currency { currencyId displayName symbol units { singular plural } } } }`;

describe('credits', () => {
  it('grants, reads the balance and the grants, consumes with usage, voids, and pushes every change', async () => {
    const pushes = listen(CREDITS);
    await waitFor(() => (server.admin.stats().calls.creditBalanceUpdated ?? 0) >= 2, 'subscribed'); // the SDK's and ours
    await client.provisionSubscription({ customerId: 'customer-nosub', planId: 'plan-ai' });

    const grant = await client.grantCredits({
      customerId: 'customer-nosub',
      currencyId: 'credits-ai-tokens',
      amount: 100,
      displayName: 'Welcome credits',
      grantType: 'PROMOTIONAL' as never,
      expireAt: new Date(JAN_1 + 30 * DAY),
    } as never);
    expect(grant).toMatchObject({
      amount: 100,
      consumedAmount: 0,
      currencyId: 'credits-ai-tokens',
      grantType: 'PROMOTIONAL',
    });
    const paid = (await client.grantCredits({
      customerId: 'customer-nosub',
      currencyId: 'credits-ai-tokens',
      amount: 50,
      displayName: 'Top-up',
      grantType: 'PAID' as never,
      cost: { amount: 5, currency: 'USD' },
    } as never))!;

    let summary = await client.getCreditBalance({ customerId: 'customer-nosub' } as never);
    expect(summary.balances).toMatchObject([
      {
        currency: {
          currencyId: 'credits-ai-tokens',
          displayName: 'AI tokens',
          units: { singular: 'token', plural: 'tokens' },
        },
        currentBalance: 150,
        totalGranted: 150,
        totalConsumed: 0,
        validUntil: null,
      },
    ]);

    // 10 tokens at 2 credits each: the grant expiring first pays.
    await client.reportUsage({ customerId: 'customer-nosub', featureId: 'feature-ai-tokens', value: 10 });
    const grants = await client.getCreditGrants({ customerId: 'customer-nosub' } as never);
    expect(grants.totalCount).toBe(2);
    expect(grants.data.map((g) => [g.displayName, g.consumedAmount])).toEqual([
      ['Welcome credits', 20],
      ['Top-up', 0],
    ]);

    const voided = await client.voidCreditGrant({ id: paid.grantId } as never);
    expect(voided?.grantId).toBe(paid.grantId);
    // getCreditBalance is sent cache-first by the SDK (Apollo); read a different scope to bypass the cache.
    summary = await client.getCreditBalance({ customerId: 'customer-nosub', currencyId: 'credits-ai-tokens' } as never);
    expect(summary.balances[0]).toMatchObject({ currentBalance: 80, totalGranted: 100, totalConsumed: 20 });

    await waitFor(() => pushes.length >= 4, 'four balance pushes');
    expect(
      pushes.map(
        (p) => (p as { creditBalanceUpdated: { currentBalance: number } }).creditBalanceUpdated.currentBalance,
      ),
    ).toEqual([100, 150, 130, 80]);
    expect(pushes[0]).toMatchObject({
      creditBalanceUpdated: {
        customerId: 'customer-nosub',
        currencyId: 'credits-ai-tokens',
        currency: { displayName: 'AI tokens' },
      },
    });
    await expect(client.voidCreditGrant({ id: paid.grantId } as never)).rejects.toMatchObject({
      errorCode: 'CreditGrantAlreadyVoided',
    });
  });

  it('denies a credit-paid feature once the balance runs out (InsufficientCredits)', async () => {
    await client.provisionSubscription({ customerId: 'customer-nosub', planId: 'plan-ai' });
    await client.grantCredits({
      customerId: 'customer-nosub',
      currencyId: 'credits-ai-tokens',
      amount: 10,
      displayName: 'Small grant',
      grantType: 'PAID' as never,
    } as never);
    const check = () => client.getMeteredEntitlement({ customerId: 'customer-nosub', featureId: 'feature-ai-tokens' });
    expect((await check()).hasAccess).toBe(true);
    await client.reportUsage({ customerId: 'customer-nosub', featureId: 'feature-ai-tokens', value: 5 });
    await waitFor(async () => (await check()).accessDeniedReason === 'InsufficientCredits', 'denied for credits');
  });

  it('answers Stigg errors for unknown currencies, customers and grants', async () => {
    await expect(
      client.grantCredits({
        customerId: 'customer-nosub',
        currencyId: 'credits-x',
        amount: 1,
        displayName: 'x',
        grantType: 'PAID' as never,
      } as never),
    ).rejects.toMatchObject({ errorCode: 'CustomCurrencyNotFound' });
    await expect(client.getCreditGrants({ customerId: 'nobody' } as never)).rejects.toMatchObject({
      errorCode: 'CustomerNotFound',
    });
    await expect(client.voidCreditGrant({ id: 'credit-grant-x' } as never)).rejects.toMatchObject({
      errorCode: 'CreditGrantNotFound',
    });
  });
});

describe('usage history', () => {
  it('answers the reported values as points, with reset points and markers where a period starts', async () => {
    for (const [day, value] of [
      [2, 10],
      [5, 15],
      [40, 7], // February: a new monthly period
    ] as const) {
      clock = JAN_1 + day * DAY;
      await client.reportUsage({ customerId: 'customer-free', featureId: 'feature-api-calls', value });
    }
    clock = JAN_1 + 45 * DAY;
    const v1 = (await client.fetchUsageHistory({
      customerId: 'customer-free',
      featureId: 'feature-api-calls',
      startDate: new Date(JAN_1),
    }))!;
    expect(v1.map((p) => [p.date.toISOString(), p.value, p.isResetPoint])).toEqual([
      [new Date(JAN_1 + 2 * DAY).toISOString(), 10, false],
      [new Date(JAN_1 + 5 * DAY).toISOString(), 25, false],
      [new Date(JAN_1 + 40 * DAY).toISOString(), 7, true],
    ]);
    const v2 = await client.getUsageHistoryV2({
      customerId: 'customer-free',
      featureId: 'feature-api-calls',
      startDate: new Date(JAN_1 + 3 * DAY),
    } as never);
    expect(v2.series).toHaveLength(1);
    expect(v2.series[0]!.points.map((p: { value: number }) => p.value)).toEqual([25, 7]);
    expect(v2.markers).toMatchObject([{ type: 'PERIODIC_RESET', timestamp: '2024-02-01T00:00:00.000Z' }]);
  });

  it('answers FeatureNotFound and CustomerNotFound', async () => {
    await expect(
      client.getUsageHistoryV2({
        customerId: 'nobody',
        featureId: 'feature-api-calls',
        startDate: new Date(JAN_1),
      } as never),
    ).rejects.toMatchObject({ errorCode: 'CustomerNotFound' });
    await expect(
      client.getUsageHistoryV2({
        customerId: 'customer-free',
        featureId: 'feature-x',
        startDate: new Date(JAN_1),
      } as never),
    ).rejects.toMatchObject({ errorCode: 'FeatureNotFound' });
  });
});

describe('packagePublished for a new package version', () => {
  it('is pushed with the version and NEW_CUSTOMERS', async () => {
    const pushes = listen(
      'subscription { packagePublished { packageType packageRefId packageVersion migrationType } }',
    );
    await waitFor(() => (server.admin.stats().calls.packagePublished ?? 0) >= 2, 'subscribed');
    server.admin.publishPackageVersion('Addon', 'addon-extra-seats', {
      entitlements: [{ feature: 'feature-seats', limit: 10 }],
    });
    await waitFor(() => pushes.length >= 1, 'packagePublished');
    expect(pushes[0]).toEqual({
      packagePublished: {
        packageType: 'Addon',
        packageRefId: 'addon-extra-seats',
        packageVersion: 2,
        migrationType: 'NEW_CUSTOMERS',
      },
    });
  });
});
