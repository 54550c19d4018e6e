/**
 * Usage-delivery runs against stigg-local with its rate-limit emulation on: apps under metered load, then the
 * figures the usage issue is judged by (Stigg's usage per customer vs the ledger, refusals, writes per customer
 * and bulk calls in the busiest window, delivery lag). Shared by the tests (short and long) and the benchmark.
 */
import type { Options } from '@tollgate/core';
import type { StiggLocal } from '@tollgate/stigg-local';
import { AppProcess, type Framework } from './app-process.js';
import { driveLoad, Ledger, type LoadOptions } from './ledger-load.js';

const API_KEY = 'server-tollgate-local';

async function graphql(server: StiggLocal, query: string): Promise<unknown> {
  const res = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors[0]!.message);
  return body.data;
}

/**
 * Customers on the enterprise plan (metered API calls, no limit), created `concurrency` at a time. The rate-limit
 * emulation is turned off first (setting up is not what a test measures); turn it on again after.
 */
export async function provisionCustomers(server: StiggLocal, ids: string[], concurrency = 16): Promise<void> {
  server.admin.setRateLimits({ enabled: false });
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        await graphql(
          server,
          `mutation { provisionCustomer(input: {customerId: ${JSON.stringify(id)}, subscriptionParams: {planId: "plan-enterprise", billingPeriod: MONTHLY}}) { customer { id } } }`,
        );
      }
    }),
  );
}

/** Stigg's (stigg-local's) usage of the metered feature for each customer. */
export function stiggUsages(server: StiggLocal): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, record] of server.admin.state().usage) {
    const [customerId, , featureId] = key.split('\u0001');
    if (featureId === 'feature-api-calls') out.set(customerId!, (out.get(customerId!) ?? 0) + record.value);
  }
  return out;
}

/** Stigg's published limits, or the same rates over a shorter window (so a short run still meets them many times). */
export function stiggLimits(windowMs = 60_000) {
  const scale = windowMs / 60_000;
  return {
    enabled: true,
    windowMs,
    perCustomerWrites: Math.round(30 * scale),
    perOperation: { reportUsageBulk: Math.round(600 * scale) },
  };
}

/** Customers whose Stigg usage differs from the ledger's successful requests: [customer, ledger, stigg]. */
export function mismatches(
  ledger: Ledger,
  usage: Map<string, number>,
  customers: string[],
): [string, number, number][] {
  return customers
    .map((c) => [c, ledger.successes.get(c) ?? 0, usage.get(c) ?? 0] as [string, number, number])
    .filter(([, a, b]) => a !== b);
}

export interface FleetRunOptions {
  server: StiggLocal;
  redisUrl: string | null;
  processes: number;
  framework?: Framework | ((i: number) => Framework);
  customers: string[];
  /** Share of requests that go to customers[0] (the busy one); the rest spread evenly. */
  busyShare: number;
  rate: number;
  durationMs: number;
  tollgate?: Partial<Options>;
  /** Called once, halfway through the load, with the running apps. */
  midway?: (apps: AppProcess[]) => Promise<void>;
  /** Called once the apps run, just before the load starts. */
  before?: (apps: AppProcess[]) => Promise<void>;
  /** Called with every answer (see `LoadOptions`). */
  onAnswer?: LoadOptions['onAnswer'];
}

export interface FleetRunResult {
  ledger: Ledger;
  apps: AppProcess[];
  drains: ({ delivered: number; persisted: number; dropped: number } | null)[];
  lagP99: number | null;
}

/** Starts the apps, drives the load, then stops them (non-leaders first, so the leader delivers the rest). */
export async function fleetRun(o: FleetRunOptions): Promise<FleetRunResult> {
  const frameworkOf =
    typeof o.framework === 'function' ? o.framework : () => (o.framework as Framework | undefined) ?? 'express';
  const apps = await Promise.all(
    Array.from({ length: o.processes }, (_, i) =>
      AppProcess.start({
        framework: frameworkOf(i),
        stiggUrl: o.server.url,
        redisUrl: o.redisUrl,
        tollgate: o.tollgate,
      }),
    ),
  );
  await o.before?.(apps);
  const ledger = new Ledger();
  let n = 0;
  const others = o.customers.slice(1);
  const customer = () =>
    Math.random() < o.busyShare || others.length === 0 ? o.customers[0]! : others[n++ % others.length]!;
  const load = driveLoad({
    targets: () => apps.filter((a) => a.running).map((a) => a.url),
    rate: o.rate,
    durationMs: o.durationMs,
    customer,
    ledger,
    onAnswer: o.onAnswer,
  });
  if (o.midway) {
    await new Promise((r) => setTimeout(r, o.durationMs / 2));
    await o.midway(apps);
  }
  await load;
  let lagP99: number | null = null;
  const live = apps.filter((a) => a.running);
  const metrics = await Promise.all(live.map((a) => a.metrics()));
  for (const m of metrics) if (m.usage.lagMs.p99 !== null) lagP99 = Math.max(lagP99 ?? 0, m.usage.lagMs.p99);
  const leaders = live.filter((_, i) => metrics[i]!.usage.deliveryLeader);
  const drains: FleetRunResult['drains'] = [];
  for (const app of [...live.filter((a) => !leaders.includes(a)), ...leaders]) drains.push(await app.stop());
  return { ledger, apps, drains, lagP99 };
}
