/** `/_admin/*` over HTTP: the same handle tests in other processes use. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { entitlements, gql, start } from './helpers.js';

let server: StiggLocal;
beforeEach(async () => {
  server = await start();
});
afterEach(() => server.close());

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('admin over HTTP', () => {
  it('reports calls per root field and usage counters', async () => {
    await gql(server, `{ cachedEntitlements(query: {customerId: "customer-pro"}) { isGranted } }`);
    await gql(server, `{ a: cachedEntitlements(query: {customerId: "customer-free"}) { isGranted } b: products { edges { node { refId } } } }`);
    await fetch(`${server.url}/v1/c/customer-pro/entitlements.json`, { headers: { 'x-api-key': 'server-tollgate-local' } });
    const { body } = await admin('GET', '/_admin/stats');
    expect(body).toMatchObject({ calls: { cachedEntitlements: 3, products: 1 }, edge: { entitlements: 1 }, usage: { applied: 0, duplicates: 0 } });
    await admin('DELETE', '/_admin/stats');
    expect((await admin('GET', '/_admin/stats')).body.calls).toEqual({});
  });

  it('changes a plan and a usage value', async () => {
    expect((await admin('PUT', '/_admin/customers/customer-free/plan', { planId: 'plan-pro' })).status).toBe(200);
    expect((await admin('PUT', '/_admin/customers/customer-free/usage', { featureId: 'feature-api-calls', value: 9 })).status).toBe(200);
    const e = await entitlements(server, 'customer-free');
    expect(e['feature-api-calls']).toMatchObject({ usageLimit: 10000, currentUsage: 9 });
    const bad = await admin('PUT', '/_admin/customers/nobody/plan', { planId: 'plan-pro' });
    expect(bad).toMatchObject({ status: 404, body: { error: { code: 'CustomerNotFound' } } });
    const missing = await admin('PUT', '/_admin/customers/customer-free/usage', { featureId: 'feature-api-calls' });
    expect(missing).toMatchObject({ status: 400, body: { error: { code: 'BadUserInput' } } });
  });

  it('publishes a catalog change and rejects an invalid catalog with every problem', async () => {
    const catalog = (await admin('GET', '/_admin/catalog')).body;
    catalog.plans[0].entitlements.push({ feature: 'feature-analytics' });
    expect((await admin('PUT', '/_admin/catalog', catalog)).body).toEqual({ changedPackages: ['plan-free'] });
    expect((await entitlements(server, 'customer-free'))['feature-analytics']?.isGranted).toBe(true);
    catalog.plans[0].entitlements.push({ feature: 'feature-missing' });
    catalog.features.push({ id: 'feature-x', type: 'COLOR', displayName: 'X' });
    const bad = await admin('PUT', '/_admin/catalog', catalog);
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/features\[5\]\.type: must be one of BOOLEAN, NUMBER, ENUM/),
        expect.stringMatching(/plans\[0\]\.entitlements\[5\]\.feature: unknown feature "feature-missing"/),
      ]),
    );
  });

  it('injects and clears faults, drops streams, toggles rate limits and resets', async () => {
    const { body } = await admin('POST', '/_admin/faults', { operations: ['products'], status: 502 });
    expect(body.id).toBeTypeOf('number');
    expect((await gql(server, `{ products { edges { node { refId } } } }`)).status).toBe(502);
    await admin('DELETE', '/_admin/faults');
    expect((await gql(server, `{ products { edges { node { refId } } } }`)).status).toBe(200);
    expect((await admin('POST', '/_admin/streams/drop')).body).toEqual({ dropped: 0 });
    expect((await admin('PUT', '/_admin/rate-limits', { enabled: true, windowMs: 1000 })).body).toMatchObject({ enabled: true, windowMs: 1000 });
    await admin('PUT', '/_admin/customers/customer-free/usage', { featureId: 'feature-api-calls', value: 9 });
    await admin('POST', '/_admin/reset');
    expect((await admin('GET', '/_admin/rate-limits')).body.enabled).toBe(false);
    expect((await entitlements(server, 'customer-free'))['feature-api-calls']?.currentUsage).toBe(0);
    expect((await admin('GET', '/_admin/nothing')).status).toBe(404);
  });

  it('answers malformed requests with 4xx, never 500', async () => {
    const post = (body: string) =>
      fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' }, body });
    expect((await post('{ nope')).status).toBe(400);
    expect((await post('{"query": 5}')).status).toBe(400);
    expect((await post('{"query": "{ nothing }"}')).status).toBe(400);
    expect((await post('{"query": "subscription { usageUpdated { usage { customerId } } }"}')).status).toBe(400);
    expect((await fetch(server.graphqlUrl)).status).toBe(405);
    expect((await fetch(`${server.url}/_admin/faults`, { method: 'POST', body: '{bad' })).status).toBe(400);
    expect((await fetch(`${server.url}/v1/c/x/entitlements.json`)).status).toBe(401);
  });
});
