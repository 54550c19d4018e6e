import { createKeyv } from '@keyv/redis';
import { createTollgate } from '@tollgate/core';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { provisionCustomers } from '../test/support/fleet/usage-run.js';
import { RedisServer } from '../test/support/redis.js';
import { TollgateWorker } from '../test/support/worker.js';
import { fmt } from './lib/load.js';
import { percentile } from './lib/timing.js';
import type { Benchmark } from './lib/types.js';

const PROCESSES = 8;
const CHANGES = 30;

const CLIENTS = 50;
const CUSTOMERS = 1_000;
const BUDGET = 1_200;
const RESTART_S = 20;

/** A fleet restarting together: Stigg reads per second stay within the read budget, no check throws, cold checks answer in time. */
async function restartTogether(server: StiggLocal, redis: RedisServer): Promise<Record<string, string | number>> {
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => `restart-${i}`);
  await provisionCustomers(server, customers);
  const readsBefore = server.admin.stats().calls.cachedEntitlements ?? 0;
  const stores = Array.from({ length: CLIENTS }, () => createKeyv(redis.url, { throwOnConnectError: false }));
  const quiet = { warn: () => {}, error: () => {} };
  const clients = stores.map((store) =>
    createTollgate({
      apiKey: 'server-tollgate-local',
      baseUrl: server.url,
      logger: quiet,
      stream: false,
      cache: { store },
      fleet: { readsPerMinute: BUDGET, coldReadWaitMs: 2_000 },
    }),
  );
  const latencies: number[] = [];
  let thrown = 0;
  let fallbacks = 0;
  const started = Date.now();
  try {
    await Promise.all(
      clients.map(async (t) => {
        while (Date.now() - started < RESTART_S * 1_000) {
          const at = Date.now();
          try {
            const d = await t.check({
              customerId: customers[Math.floor(Math.random() * CUSTOMERS)]!,
              featureId: 'feature-analytics',
            });
            if (d.isFallback) fallbacks += 1;
          } catch {
            thrown += 1;
          }
          latencies.push(Date.now() - at);
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((t) => t.close()));
    await Promise.all(stores.map((s) => s.disconnect().catch(() => {})));
  }
  const reads = (server.admin.stats().calls.cachedEntitlements ?? 0) - readsBefore;
  // Stigg counts its limit per minute: the busiest 60 s of the reads' arrival times.
  const times = server.admin.callTimes('cachedEntitlements').filter((t) => t >= started);
  const busiest = (spanMs: number) => {
    let most = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j]! - times[i]! >= spanMs) i++;
      most = Math.max(most, j - i + 1);
    }
    return most;
  };
  return {
    measured: `${CLIENTS} clients restarting together`,
    checks: latencies.length,
    'Stigg reads': reads,
    'busiest 60 s': busiest(60_000),
    budget: `${BUDGET}/min`,
    thrown,
    'fallback answers': fallbacks,
    'p99 ms': fmt(percentile(latencies, 99), 0),
    'max ms': Math.max(...latencies),
  };
}

/** Plan changes in Stigg until every process of a fleet decides by them, with the fleet's stream and with one per process. */
const benchmark: Benchmark = {
  name: 'fleet',
  description: `${PROCESSES} processes sharing a real Redis: Stigg stream connections, and a plan change until every process decides by it`,
  async run(report) {
    const server = await startStiggLocal({ log: () => {} });
    const redis = await RedisServer.start();
    const rows: Record<string, string | number>[] = [];
    try {
      for (const mode of ['every-instance', 'fleet'] as const) {
        const workers = await Promise.all(
          Array.from({ length: PROCESSES }, () => TollgateWorker.start(server.url, redis.url, { stream: mode })),
        );
        try {
          const check = (w: TollgateWorker) => w.check({ customerId: 'customer-free', featureId: 'feature-analytics' });
          const expected = mode === 'fleet' ? 1 : PROCESSES;
          for (
            const deadline = Date.now() + 10_000;
            server.admin.stats().streams !== expected;
            await new Promise((r) => setTimeout(r, 50))
          ) {
            if (Date.now() > deadline)
              throw new Error(`${mode}: ${server.admin.stats().streams} stream connections, expected ${expected}`);
          }
          // Every process holds the customer (and, in fleet mode, sees the holder's beats) before the changes.
          for (const w of workers) await check(w);
          await new Promise((r) => setTimeout(r, 2_000));
          const streams = server.admin.stats().streams;
          const readsBefore = server.admin.stats().calls.cachedEntitlements ?? 0;
          const delays: number[] = [];
          let plan = 'plan-free';
          for (let i = 0; i < CHANGES; i++) {
            plan = plan === 'plan-free' ? 'plan-pro' : 'plan-free';
            const seen = workers.map((w) => w.updates.length);
            const changedAt = Date.now();
            server.admin.setPlan('customer-free', plan);
            await Promise.all(
              workers.map(async (w, n) => {
                for (
                  const deadline = changedAt + 5_000;
                  w.updates.length === seen[n];
                  await new Promise((r) => setTimeout(r, 1))
                ) {
                  if (Date.now() > deadline) throw new Error(`${mode}: process ${n} got no push within 5 s`);
                }
                delays.push(w.updates[w.updates.length - 1]!.at - changedAt);
                if ((await check(w)).hasAccess !== (plan === 'plan-pro'))
                  throw new Error(`${mode}: process ${n} still decides by the old plan`);
              }),
            );
            await new Promise((r) => setTimeout(r, 20));
          }
          rows.push({
            mode,
            processes: PROCESSES,
            'Stigg streams': streams,
            changes: CHANGES,
            'p50 ms': fmt(percentile(delays, 50), 1),
            'p99 ms': fmt(percentile(delays, 99), 1),
            'max ms': fmt(Math.max(...delays), 1),
            'Stigg reads': (server.admin.stats().calls.cachedEntitlements ?? 0) - readsBefore,
          });
        } finally {
          await Promise.all(workers.map((w) => w.close()));
        }
      }
      report.table(rows);
      report.note(
        'a plan change (stigg-local admin) until every process applied the push and decides by it; target: fleet mode, 1 stream, p99 <= 100 ms',
      );
      report.table([await restartTogether(server, redis)]);
      report.note(
        `${CLIENTS} clients (each its own Redis connections and cache) started at once against ${CUSTOMERS} customers nobody has cached, each checking random customers for ${RESTART_S} s; budget ${BUDGET}/min`,
      );
    } finally {
      await redis.stop();
      await server.close();
    }
  },
};
export default benchmark;
