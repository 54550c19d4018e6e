/** What the dashboard reads, over real HTTP: its files, the customer and stream routes, the event stream. */
import { connect, type Socket } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDemoCatalog, type StiggLocal } from '@tollgate/stigg-local';
import { API_KEY, start, waitFor } from './helpers.js';

let server: StiggLocal;
const cleanup: (() => unknown)[] = [];
beforeEach(async () => {
  server = await start();
});
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
  await server.close();
});

async function getJson(path: string) {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as any };
}

/** An event stream read as the dashboard reads it: `events` fills as they arrive. */
async function openEvents() {
  const abort = new AbortController();
  const res = await fetch(`${server.url}/_admin/events`, { signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events: { event: string; data: any }[] = [];
  const reading = (async () => {
    // Line by line (an event's data is one line), joining the pieces of a line once it is complete.
    let pieces: string[] = [];
    let event = '';
    let data = '';
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
      const lines = chunk.split('\n');
      for (let i = 0; i < lines.length - 1; i++) {
        pieces.push(lines[i]!);
        const line = pieces.join('');
        pieces = [];
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data = line.slice(6);
        else if (line === '' && event && data) {
          events.push({ event, data: JSON.parse(data) });
          event = data = '';
        }
      }
      pieces.push(lines.at(-1)!);
    }
  })().catch(() => {});
  cleanup.push(() => abort.abort());
  const last = (event: string) => events.filter((e) => e.event === event).at(-1)?.data;
  return { events, last, reading, abort };
}

const usageOf = (view: any, featureId: string) =>
  view?.entitlements.find((e: any) => e.featureId === featureId && e.resourceId === null)?.currentUsage;

describe('dashboard', () => {
  it('serves its files with a strict content policy, and nothing else under /_dashboard/', async () => {
    const page = await fetch(server.dashboardUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('<script type="module" src="dashboard.js"></script>');
    for (const file of ['dashboard.js', 'dashboard.css', 'favicon.svg'])
      expect((await fetch(`${server.dashboardUrl}${file}`)).status).toBe(200);
    const bare = await fetch(`${server.url}/_dashboard`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/_dashboard/');
    expect((await fetch(`${server.dashboardUrl}server.ts`)).status).toBe(404);
    expect((await fetch(`${server.dashboardUrl}%2e%2e%2fpackage.json`)).status).toBe(404);
    expect((await fetch(server.dashboardUrl, { method: 'POST' })).status).toBe(405);
  });

  it('lists customers with subscriptions and usage against limits, searched and bounded', async () => {
    server.admin.setUsage('customer-free', 'feature-api-calls', 12);
    const all = await getJson('/_admin/customers');
    expect(all.body).toMatchObject({ total: 4, matched: 4 });
    expect(all.body.customers.map((c: any) => c.customerId)).toEqual([
      'customer-free',
      'customer-pro',
      'customer-enterprise',
      'customer-nosub',
    ]);
    const free = all.body.customers[0];
    expect(free.subscriptions).toMatchObject([{ planId: 'plan-free', planName: 'Free', status: 'ACTIVE' }]);
    expect(free.entitlements).toContainEqual(
      expect.objectContaining({ featureId: 'feature-api-calls', metered: true, currentUsage: 12, usageLimit: 100 }),
    );
    expect(free.entitlements).toContainEqual(
      expect.objectContaining({ featureId: 'feature-export-formats', metered: false, enumValues: ['csv'] }),
    );
    const found = await getJson('/_admin/customers?search=ENTERPRISE.example&limit=5');
    expect(found.body).toMatchObject({ total: 4, matched: 1, customers: [{ customerId: 'customer-enterprise' }] });
    expect((await getJson('/_admin/customers?limit=1')).body).toMatchObject({ matched: 4, customers: [{}] });
    expect((await getJson('/_admin/customers?limit=-1')).status).toBe(400);
    expect((await getJson('/_admin/customers/customer-nosub')).body).toMatchObject({
      subscriptions: [],
      entitlements: [],
    });
    expect((await getJson('/_admin/customers/nobody')).body.error.code).toBe('CustomerNotFound');
  });

  it('lists open streams with what they subscribe to', async () => {
    const client: Client = createClient({
      url: `${server.wsUrl}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { headers: { 'X-API-KEY': API_KEY } },
      retryAttempts: 0,
    });
    cleanup.push(() => client.dispose());
    client.subscribe(
      { query: 'subscription { usageUpdated { usage { customerId } } }' },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    const { body } = await waitFor(async () => {
      const r = await getJson('/_admin/streams');
      return r.body.streams[0]?.subscriptions.length ? r : null;
    }, 'the stream to subscribe');
    expect(body.streams).toEqual([
      {
        id: 1,
        remoteAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        connectedAt: expect.any(String),
        subscriptions: ['usageUpdated'],
      },
    ]);
  });

  it('streams a snapshot, then changes as they happen', async () => {
    const stream = await openEvents();
    const snapshot = await waitFor(() => stream.last('snapshot'), 'the snapshot');
    expect(snapshot.customers.total).toBe(4);
    expect(snapshot.catalog.catalog.plans.map((p: any) => p.id)).toContain('plan-pro');
    expect(snapshot.controls).toMatchObject({ faults: [], rateLimits: { enabled: false } });
    expect(snapshot.activity).toMatchObject({ calls: {}, lastMinute: {} });

    server.admin.setUsage('customer-free', 'feature-api-calls', 40);
    server.admin.setUsage('customer-free', 'feature-api-calls', 41);
    const changed = await waitFor(() => stream.last('customers'), 'a customers event');
    expect(changed.customers).toHaveLength(1);
    expect(usageOf(changed.customers[0], 'feature-api-calls')).toBe(41);

    server.admin.setPlan('customer-nosub', 'plan-pro');
    await waitFor(
      () =>
        stream.events.some(
          (e) => e.event === 'customers' && e.data.customers[0]?.subscriptions[0]?.planId === 'plan-pro',
        ),
      'the plan change',
    );

    const id = server.admin.injectFault({ operations: ['products'], status: 503 });
    await waitFor(() => stream.last('controls')?.controls.faults[0]?.id === id, 'the fault');
    server.admin.setRateLimits({ enabled: true });
    await waitFor(() => stream.last('controls')?.controls.rateLimits.enabled, 'the rate limits');

    await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: JSON.stringify({ query: '{ products { edges { node { refId } } } }' }),
    });
    await waitFor(() => stream.last('activity')?.activity.lastMinute.products === 1, 'the call in the activity');

    const snapshots = stream.events.filter((e) => e.event === 'snapshot').length;
    server.admin.reset();
    await waitFor(() => stream.events.filter((e) => e.event === 'snapshot').length > snapshots, 'a new snapshot');
    expect(stream.last('snapshot').controls).toMatchObject({ faults: [], rateLimits: { enabled: false } });
  });

  it('reports to in-process watchers, coalesced, and stops when unwatched', async () => {
    const seen: string[] = [];
    const stop = server.admin.watch((change) => {
      if (change.type === 'customers') seen.push(...change.customers.map((c) => c.customerId));
    });
    for (let i = 1; i <= 50; i++) server.admin.setUsage('customer-pro', 'feature-api-calls', i);
    server.admin.setUsage('customer-free', 'feature-seats', 1);
    await waitFor(() => seen.length >= 2, 'the changes');
    expect(seen.sort()).toEqual(['customer-free', 'customer-pro']);
    stop();
    const later: string[] = [];
    const stopLater = server.admin.watch((change) => {
      if (change.type === 'customers') later.push(...change.customers.map((c) => c.customerId));
    });
    cleanup.push(stopLater);
    server.admin.setUsage('customer-pro', 'feature-api-calls', 99);
    await waitFor(() => later.length > 0, 'the later watcher');
    expect(seen).toHaveLength(2);
  });

  it('disconnects a client that does not read, and keeps serving the others', async () => {
    // Events of 3 MB each (a catalog with a long description): a client that never reads falls behind fast.
    const demo = loadDemoCatalog();
    const publish = (n: number) =>
      server.admin.publishCatalog({
        ...demo,
        products: demo.products.map((p) => ({ ...p, description: `#${n}#`.padEnd(3_000_000, '.') })),
      });
    publish(0);
    const reader = await openEvents();
    await waitFor(() => reader.last('snapshot'), 'the snapshot');
    const stalled: Socket = connect(server.port, '127.0.0.1');
    cleanup.push(() => stalled.destroy());
    stalled.on('error', () => {});
    stalled.setEncoding('utf8');
    let received = '';
    // It reads the start of its answer, then stops reading.
    const answered = new Promise<void>((resolve) =>
      stalled.once('data', (chunk: string) => {
        received += chunk;
        stalled.pause();
        resolve();
      }),
    );
    stalled.write(`GET /_admin/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    await answered;
    const LAST = 4;
    for (let n = 1; n <= LAST; n++) {
      publish(n);
      await waitFor(() => reader.last('catalog')?.catalog.products[0].description.startsWith(`#${n}#`), `event ${n}`);
    }
    // Read what the stalled client was sent: its stream ended early (the server dropped it), before the last event.
    let ended = false;
    stalled.on('data', (chunk: string) => (received += chunk));
    stalled.on('close', () => (ended = true));
    stalled.resume();
    await waitFor(() => ended, 'the stalled stream to end');
    expect(received).toContain('event: snapshot');
    expect(received).not.toContain(`#${LAST}#`);
    expect(reader.events.filter((e) => e.event === 'catalog')).toHaveLength(LAST);
  });

  it('close() ends open event streams instead of waiting for them', async () => {
    const stream = await openEvents();
    await waitFor(() => stream.last('snapshot'), 'the snapshot');
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await stream.reading;
  });
});
