/**
 * What every runtime test asks of the Hono example app (examples/hono/src/app.ts) in front of stigg-local: 200 for
 * an entitled customer, 403 problem+json for a denied one, 402 at the limit on the metered route, and Stigg's usage
 * equal to the successful metered requests (read from Stigg only: the app gets no request meanwhile).
 */
import { expect } from 'vitest';
import { until } from '../support/wait.js';

export interface Walkthrough {
  /** The app's API root, e.g. `http://127.0.0.1:3000/api`. */
  api: string;
  /** stigg-local's root. */
  stigg: string;
  /** How usage set in Stigg reaches the app (`stream`: pushed on its open stream; else the cache TTL), and within how long. */
  usageReachesApp: { how: string; withinMs: number; stream?: boolean };
}

const as = (token: string, init: RequestInit = {}) => ({ ...init, headers: { 'x-api-token': token } });

/** Usage of the metered feature for the demo's free customer, as Stigg counts it. */
async function stiggUsage(stigg: string): Promise<number | undefined> {
  const res = await fetch(`${stigg}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' },
    body: JSON.stringify({
      query: '{ cachedEntitlements(query: {customerId: "customer-free"}) { feature { refId } currentUsage } }',
    }),
  });
  const body = (await res.json()) as {
    data: { cachedEntitlements: { feature: { refId: string }; currentUsage: number }[] };
  };
  return body.data.cachedEntitlements.find((e) => e.feature.refId === 'feature-api-calls')?.currentUsage;
}

/** Runs the walkthrough; resolves with the metered statuses and the usage preset in Stigg. */
export async function walkThroughDemoApi({
  api,
  stigg,
  usageReachesApp,
}: Walkthrough): Promise<{ statuses: number[]; preset: number }> {
  expect((await fetch(`${api}/analytics`, as('demo-pro'))).status).toBe(200);
  const denied = await fetch(`${api}/analytics`, as('demo-free'));
  expect(denied.status).toBe(403);
  expect(denied.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(((await denied.json()) as { feature: string }).feature).toBe('feature-analytics');

  // A push reaches an app only on an open stream: ready() stops waiting for one after 5 s, which a loaded machine
  // can take to connect.
  if (usageReachesApp.stream)
    await until(
      async () => ((await (await fetch(`${stigg}/_admin/stats`)).json()) as { streams: number }).streams > 0,
      "the app's stream to Stigg to be open",
      30_000,
    );
  // Two units left: two reports go through, the third is refused.
  const { limit } = (await (await fetch(`${api}/usage`, as('demo-free'))).json()) as { limit: number };
  const preset = limit - 2;
  const set = await fetch(`${stigg}/_admin/customers/customer-free/usage`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ featureId: 'feature-api-calls', value: preset }),
  });
  expect(set.ok).toBe(true);
  await until(
    async () => ((await (await fetch(`${api}/usage`, as('demo-free'))).json()) as { used: number }).used === preset,
    `the usage set in Stigg to reach the app (${usageReachesApp.how})`,
    usageReachesApp.withinMs,
  );
  // Delivered within Stigg's limits: stigg-local's rate-limit emulation on.
  const limits = await fetch(`${stigg}/_admin/rate-limits`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: true }),
  });
  expect(limits.ok).toBe(true);
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++)
    statuses.push((await fetch(`${api}/reports`, as('demo-free', { method: 'POST' }))).status);
  expect(statuses).toEqual([200, 200, 402]);
  await until(
    async () => (await stiggUsage(stigg)) === preset + 2,
    'the two successful reports to reach Stigg',
    15_000,
  );
  return { statuses, preset };
}
