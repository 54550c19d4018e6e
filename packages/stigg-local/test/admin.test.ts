/** `/_admin/*` over HTTP: the same handle tests in other processes use. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
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
    await gql(
      server,
      `{ a: cachedEntitlements(query: {customerId: "customer-free"}) { isGranted } b: products { edges { node { refId } } } }`,
    );
    await fetch(`${server.url}/v1/c/customer-pro/entitlements.json`, {
      headers: { 'x-api-key': 'server-tollgate-local' },
    });
    const { body } = await admin('GET', '/_admin/stats');
    expect(body).toMatchObject({
      calls: { cachedEntitlements: 3, products: 1 },
      edge: { entitlements: 1 },
      usage: { applied: 0, duplicates: 0 },
    });
    await admin('DELETE', '/_admin/stats');
    expect((await admin('GET', '/_admin/stats')).body.calls).toEqual({});
  });

  it('changes a plan and a usage value', async () => {
    expect((await admin('PUT', '/_admin/customers/customer-free/plan', { planId: 'plan-pro' })).status).toBe(200);
    expect(
      (await admin('PUT', '/_admin/customers/customer-free/usage', { featureId: 'feature-api-calls', value: 9 }))
        .status,
    ).toBe(200);
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
    expect((await admin('PUT', '/_admin/rate-limits', { enabled: true, windowMs: 1000 })).body).toMatchObject({
      enabled: true,
      windowMs: 1000,
    });
    await admin('PUT', '/_admin/customers/customer-free/usage', { featureId: 'feature-api-calls', value: 9 });
    await admin('POST', '/_admin/reset');
    expect((await admin('GET', '/_admin/rate-limits')).body.enabled).toBe(false);
    expect((await entitlements(server, 'customer-free'))['feature-api-calls']?.currentUsage).toBe(0);
    expect((await admin('GET', '/_admin/nothing')).status).toBe(404);
  });

  it('answers malformed requests with 4xx, never 500', async () => {
    const post = (body: string) =>
      fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' },
        body,
      });
    expect((await post('{ nope')).status).toBe(400);
    expect((await post('{"query": 5}')).status).toBe(400);
    expect((await post('{"query": "{ nothing }"}')).status).toBe(400);
    expect((await post('{"query": "subscription { usageUpdated { usage { customerId } } }"}')).status).toBe(400);
    expect((await fetch(server.graphqlUrl)).status).toBe(405);
    expect(
      (
        await fetch(`${server.url}/_admin/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{bad',
        })
      ).status,
    ).toBe(400);
    expect((await fetch(`${server.url}/v1/c/x/entitlements.json`)).status).toBe(401);
    // A JSON body that is no object, a path segment that is no URL encoding, a URL that is no URL: 4xx.
    expect((await post('null')).status).toBe(400);
    expect((await post('[1]')).status).toBe(400);
    expect((await admin('GET', '/_admin/calls/%ZZ')).status).toBe(400);
    expect(
      (await admin('PUT', '/_admin/customers/customer-pro/usage', { featureId: 'feature-api-calls', value: 1e308 }))
        .status,
    ).toBe(400);
    expect(
      (await admin('PUT', '/_admin/customers/customer-pro/usage', { featureId: 'feature-api-calls', value: -5 }))
        .status,
    ).toBe(400);
  });

  it('is not a surface a web page can drive: foreign Host (DNS rebinding), cross-origin and non-JSON admin calls refused', async () => {
    const { request } = await import('node:http');
    const raw = (path: string, method: string, headers: Record<string, string>, body = '') =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${server.url}${path}`,
          { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const fault = JSON.stringify({ status: 500 });
    // The attack from a page: a "simple" cross-origin POST (text/plain), with and without a rebinding Host.
    expect(
      await raw('/_admin/faults', 'POST', { 'content-type': 'text/plain', origin: 'http://evil.example' }, fault),
    ).toBe(403);
    expect(await raw('/_admin/faults', 'POST', { 'content-type': 'text/plain' }, fault)).toBe(415);
    expect(await raw('/_admin/faults', 'POST', { 'content-type': 'text/plain', host: 'attacker.example' }, fault)).toBe(
      421,
    );
    expect(
      await raw(
        '/graphql',
        'POST',
        { 'content-type': 'application/json', host: 'attacker.example', 'x-api-key': 'server-tollgate-local' },
        '{"query":"{ __typename }"}',
      ),
    ).toBe(421);
    expect(await raw('/_admin/reset', 'POST', { origin: 'null' })).toBe(403);
    expect(server.admin.faults()).toEqual([]);
    // What the developer's own tools send still works: loopback names, same-origin pages, JSON.
    for (const host of ['localhost', `127.0.0.1:${server.port}`, '[::1]', 'app.localhost']) {
      expect(await raw('/_admin/stats', 'GET', { host }), host).toBe(200);
    }
    expect(await raw('/_admin/stats', 'GET', { origin: `http://localhost:${server.port}` })).toBe(200);
    expect(await raw('/_admin/faults', 'DELETE', {})).toBe(200);
  });

  it('answers an unauthenticated GraphQL call before reading its body', async () => {
    const { request } = await import('node:http');
    // 60 MB announced, 1 KB sent: a server that read the body first would wait for the rest and never answer.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        server.graphqlUrl,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(60 * 1024 * 1024) } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
          req.destroy();
        },
      );
      req.on('error', () => {});
      req.write('x'.repeat(1024));
      setTimeout(() => reject(new Error('no answer: the body was being read')), 2_000);
    });
    expect(status).toBe(200); // Stigg's Unauthenticated error body
  });

  it('asks for an admin token when one is set', async () => {
    const guarded = await startStiggLocal({ log: () => {}, adminToken: 'dev-secret' });
    try {
      expect((await fetch(`${guarded.url}/_admin/stats`)).status).toBe(401);
      expect(
        (await fetch(`${guarded.url}/_admin/stats`, { headers: { authorization: 'Bearer dev-secret' } })).status,
      ).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe('the query cache', () => {
  it('keeps valid documents only: invalid or huge queries do not fill memory', async () => {
    const { Executor } = await import('../src/graphql/executor.js');
    const { createStiggSchema } = await import('../src/graphql/schema.js');
    const { StreamTopics } = await import('../src/stream/topics.js');
    const { Store } = await import('../src/model/store.js');
    const { loadDemoCatalog } = await import('../src/catalog/load.js');
    const executor = new Executor(createStiggSchema(new StreamTopics(new Store(loadDemoCatalog()))), () => {});
    for (let i = 0; i < 20; i++) expect('document' in executor.prepare(`{ nothing${i} }`)).toBe(false);
    expect('document' in executor.prepare(`{ __typename ${' '.repeat(70_000)} }`)).toBe(true);
    expect(executor.cached).toBe(0);
    executor.prepare('{ __typename }');
    executor.prepare('{ __typename }');
    expect(executor.cached).toBe(1);
  });
});
