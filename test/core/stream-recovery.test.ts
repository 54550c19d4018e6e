/** The stream dropped and new connections refused for 30 s: the client reconnects, resubscribes and revalidates. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTollgate, type Tollgate } from '@tollgate/core';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { until } from '../support/wait.js';

let server: StiggLocal;
let t: Tollgate;
const states: string[] = [];

beforeAll(async () => {
  server = await startStiggLocal({ log: () => {} });
  t = createTollgate({
    apiKey: 'server-tollgate-local',
    baseUrl: server.url,
    logger: { warn: () => {}, error: () => {} },
    stream: { reconnectMaxMs: 5_000, keepAliveMs: 2_000, pongTimeoutMs: 1_000 },
  });
  t.events.on('stream', (s) => states.push(s));
  await t.ready();
});
afterAll(async () => {
  await t?.close();
  await server?.close();
});

const analytics = async () =>
  (await t.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess;

it('serves a change made while disconnected within 60 s, then is pushed to again', async () => {
  expect(await analytics()).toBe(false);
  // Cached before the drop and not used until after the reconnect.
  await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
  server.admin.refuseConnections(30_000);
  expect(server.admin.dropStreams()).toBe(1);
  const droppedAt = Date.now();
  server.admin.setPlan('customer-free', 'plan-pro'); // the push is lost: nobody is connected

  while (!(await analytics())) {
    if (Date.now() - droppedAt > 60_000) throw new Error('the change was not served within 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  const servedAfter = Date.now() - droppedAt;
  expect(servedAfter).toBeLessThan(60_000);

  // Reconnected and resubscribed once the refusal ended.
  while (t.metrics().stream !== 'connected') {
    if (Date.now() - droppedAt > 60_000) throw new Error('no reconnect within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(29_000);
  expect(states).toEqual(expect.arrayContaining(['connected', 'disconnected']));
  expect(t.metrics().streamConnects).toBeGreaterThanOrEqual(2);
  // Subscribed again after the reconnect (the subscriptions follow the connection's acknowledgement).
  await until(() => (server.admin.stats().calls.entitlementsUpdated ?? 0) >= 2, 'the subscriptions renewed', 5_000);

  // After the reconnect everything cached is revalidated on its next use, not all at once. (customer-free was
  // polled throughout, so a fetch may already have confirmed it after the reconnect; customer-pro was not.)
  const fetchesBefore = t.metrics().fetches;
  await new Promise((r) => setTimeout(r, 200));
  expect(t.metrics().fetches, 'nothing refetched before it is used').toBe(fetchesBefore);
  await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
  // The revalidation runs in the background: wait for it, then make sure it stayed one.
  await until(() => t.metrics().fetches > fetchesBefore, 'the revalidation fetch');
  await new Promise((r) => setTimeout(r, 200));
  expect(t.metrics().fetches).toBe(fetchesBefore + 1);

  // And pushes arrive again.
  const pushedAt = Date.now();
  server.admin.setPlan('customer-free', 'plan-free');
  while (await analytics()) {
    if (Date.now() - pushedAt > 5_000) throw new Error('no push after reconnect');
    await new Promise((r) => setTimeout(r, 10));
  }
  console.info(
    `stream recovery: change served ${servedAfter} ms after the drop; push after reconnect in ${Date.now() - pushedAt} ms`,
  );
}, 90_000);
