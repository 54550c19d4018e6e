/**
 * Usage scenarios that must hold on every Redis topology the meter runs on (one redis-server, a Redis Cluster,
 * Sentinel): each starts its processes, drives them and asserts. The standalone-Redis tests
 * (test/core/usage-redis.test.ts, test/fleet/usage-limits.test.ts) and the Cluster and Sentinel tests
 * (test/fleet/redis-cluster.test.ts, test/fleet/redis-sentinel.test.ts) call them with their Redis URL.
 */
import { expect } from 'vitest';
import type KeyvRedis from '@keyv/redis';
import type { StiggLocal } from '@tollgate/stigg-local';
import { redisOfClient } from '../../../packages/core/src/usage/redis-meter-store.js';
import { idDigest } from '../../../packages/core/src/util/ids.js';
import { createRedisStore } from '../redis.js';
import type { Failover } from '../redis-topology.js';
import { stiggUsage } from '../stigg.js';
import { until } from '../wait.js';
import { TollgateWorker } from '../worker.js';
import { fleetRun, mismatches, provisionCustomers, stiggLimits, stiggUsages } from './usage-run.js';

/** A key in the slot of a customer's meter keys (they share the hash tag `{idDigest(customerId)}`). */
export const customerSlotKey = (customerId: string) => `{${idDigest(customerId)}}:probe`;

/** A customer on the pro plan (10,000 metered API calls a month), `used` of them used already. */
export async function proCustomer(server: StiggLocal, id: string, used = 0): Promise<void> {
  await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' },
    body: JSON.stringify({
      query: `mutation { provisionCustomer(input: {customerId: "${id}", subscriptionParams: {planId: "plan-pro", billingPeriod: MONTHLY}}) { customer { id } } }`,
    }),
  });
  if (used) server.admin.setUsage(id, 'feature-api-calls', used);
}

/** Four processes, 400 concurrent metered requests each, 100 units left: exactly 100 allowed, and Stigg counts them. */
export async function exactlyLimitAcrossProcesses(
  server: StiggLocal,
  redisUrl: string,
  customerId: string,
  options: Record<string, unknown> = {},
): Promise<{ allowed: number[]; grants: number }> {
  await proCustomer(server, customerId, 9_900);
  const workers = await Promise.all([0, 1, 2, 3].map(() => TollgateWorker.start(server.url, redisUrl, options)));
  let outcome: { allowed: number[]; grants: number };
  try {
    const request = { customerId, featureId: 'feature-api-calls' };
    for (const w of workers) await w.check(request); // warm caches, as a running service has
    const allowed = await Promise.all(workers.map((w) => w.burst(request, 400)));
    const grants = (await Promise.all(workers.map((w) => w.metrics()))).reduce((n, m) => n + m.usage.leases.grants, 0);
    console.info(`allowed per process: ${allowed.join(', ')}; allowance blocks granted: ${grants}`);
    expect(allowed.reduce((a, b) => a + b, 0)).toBe(100);
    outcome = { allowed, grants };
  } finally {
    for (const w of workers) await w.close();
  }
  // Closed gracefully, the processes have delivered every committed unit: Stigg counts the 100, no more.
  expect(await stiggUsage(server, customerId)).toBe(10_000);
  return outcome;
}

/**
 * The usage issue's fleet test: 4 processes (8 in the long run) under metered load, Stigg's write limits over a 6 s
 * window (its real one-minute window in the long run); the process delivering the fleet's usage is SIGKILLed midway
 * and another takes over. Stigg's totals match the successful requests exactly, within Stigg's limits.
 */
export async function fleetDeliveryHandover(
  server: StiggLocal,
  redisUrl: string,
  options: { slow: boolean; prefix: string },
): Promise<void> {
  const { slow } = options;
  const windowMs = slow ? 60_000 : 6_000;
  const limits = stiggLimits(windowMs);
  const processes = slow ? 8 : 4;
  const customers = [
    `${options.prefix}busy`,
    ...Array.from({ length: slow ? 999 : 199 }, (_, i) => `${options.prefix}${i}`),
  ];
  await provisionCustomers(server, customers);
  server.admin.setRateLimits(limits);
  server.admin.resetStats();
  let takeoverMs = NaN;
  /** The first few 5xx answers, to say what failed if any did. */
  const failures: string[] = [];
  const { ledger, drains, lagP99 } = await fleetRun({
    server,
    redisUrl,
    processes,
    customers,
    busyShare: 0.3,
    rate: slow ? 300 : 200,
    durationMs: slow ? 120_000 : 18_000,
    framework: (i) => (i % 2 === 0 ? 'express' : 'hono'),
    onAnswer: (a) =>
      void (
        a.status >= 500 &&
        failures.length < 5 &&
        failures.push(`${a.status} from ${a.url} at ${a.startedAt}: ${a.body.slice(0, 300)}`)
      ),
    midway: async (apps) => {
      // The fleet holds one Stigg stream between its processes (fleet mode over this Redis's pub/sub).
      await until(() => server.admin.stats().streams === 1, 'one Stigg stream for the whole fleet', 10_000);
      const roles = await Promise.all(apps.map((a) => a.isLeader()));
      const leader = apps[roles.indexOf(true)];
      expect(leader).toBeDefined();
      leader!.kill('SIGKILL');
      const killedAt = Date.now();
      await until(
        async () => (await Promise.all(apps.filter((a) => a !== leader).map((a) => a.isLeader()))).some(Boolean),
        'another process takes the delivery lease',
        10_000,
      );
      takeoverMs = Date.now() - killedAt;
    },
  });
  // What the killed process had committed is in Redis: the last leader delivered it while draining.
  const stats = server.admin.stats();
  const usage = stiggUsages(server);
  console.info(
    `fleet of ${processes}: ${ledger.requests} requests, ${ledger.total()} succeeded, ${ledger.retried} attempts repeated after the kill; takeover ${takeoverMs} ms; ` +
      `drains ${JSON.stringify(drains)}; reportUsageBulk ${stats.calls.reportUsageBulk} (busiest window ${stats.writes.callsMaxPerWindow.reportUsageBulk}); ` +
      `busiest customer ${stats.writes.perCustomerMaxPerWindow} writes per ${windowMs / 1000} s; refused ${JSON.stringify(stats.rateLimited)}; duplicates refused ${stats.usage.duplicates}; lag p99 ${lagP99} ms` +
      (failures.length ? `; first 5xx: ${failures.join(' | ')}` : ''),
  );
  expect(takeoverMs).toBeLessThan(10_000);
  expect(ledger.unanswered).toBe(0);
  expect(ledger.count((s) => s >= 500)).toBe(0);
  expect(mismatches(ledger, usage, customers)).toEqual([]);
  expect(stats.writes.perCustomerMaxPerWindow).toBeLessThanOrEqual(limits.perCustomerWrites);
  expect(stats.writes.callsMaxPerWindow.reportUsageBulk ?? 0).toBeLessThanOrEqual(limits.perOperation.reportUsageBulk);
  expect(stats.rateLimited.customerWrites).toBe(0);
}

/** What a failover under load cost, as `failoverUnderLoad` measured it. */
export interface FailoverCost extends Failover {
  /** From the kill until a client (node-redis, through the meter's `redisOfClient`) wrote to the failed slot again. */
  redisBackAfterMs: number;
  /**
   * Probe writes acknowledged before the kill that the promoted replica does not have (asynchronous replication): at
   * least this many (a write that timed out may have been applied and make up for a lost one).
   */
  redisWritesLost: number;
  requests: number;
  succeeded: number;
  /** Requests answered 5xx or not at all, and how many of those started within the switch (kill to redisBackAfterMs). */
  failed: number;
  failedDuringSwitch: number;
  /** Slowest answer to a request that started within the switch, and outside it. */
  slowestDuringSwitchMs: number;
  slowestOtherwiseMs: number;
  /** Units Stigg counted beyond the successful requests, and successful requests it did not count. */
  overshoot: number;
  lost: number;
}

/**
 * Metered load from 3 app processes sharing the topology at `redisUrl` while `failover` SIGKILLs a master and waits
 * for its replica's promotion. A probe in this process writes every 20 ms to `probeKey` (the failed master's slot)
 * through the meter's own client wrapper, to time when Redis serves again and to count writes the failover lost.
 * Asserts: no process exits or fails, no request fails beyond those in flight during the switch; prints and returns
 * what Stigg counted beyond or short of the successful requests (target: nothing).
 */
export async function failoverUnderLoad(
  server: StiggLocal,
  o: { redisUrl: string; prefix: string; probeKey: string; failover: () => Promise<Failover>; label: string },
): Promise<FailoverCost> {
  const customers = [`${o.prefix}busy`, ...Array.from({ length: 20 }, (_, i) => `${o.prefix}${i}`)];
  await provisionCustomers(server, customers);
  server.admin.setRateLimits(stiggLimits(6_000));
  server.admin.resetStats();

  const probeStore = createRedisStore(o.redisUrl);
  const probe = redisOfClient(() => (probeStore.store as KeyvRedis<string>).getClient());
  const incr = (timeoutMs: number) =>
    Promise.race([
      probe.eval("return redis.call('INCR', KEYS[1])", { keys: [o.probeKey], arguments: [] }).then(Number),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('probe timed out')), timeoutMs)),
    ]);
  let acknowledged = 0;
  /** Probe writes whose outcome is unknown (timed out: Redis may have applied them). */
  let unknown = 0;
  /** When each acknowledged probe write was sent and answered. */
  const writes: { sentAt: number; answeredAt: number }[] = [];
  let probing = true;
  const probing$ = (async () => {
    while (probing) {
      const sentAt = Date.now();
      try {
        await incr(250);
        acknowledged += 1;
        writes.push({ sentAt, answeredAt: Date.now() });
      } catch {
        unknown += 1; // Redis does not answer for this slot now
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  /** When Redis first acknowledged a write sent after the kill (0: not yet). */
  const backAt = (killedAt: number) => writes.find((w) => w.sentAt > killedAt)?.answeredAt ?? 0;

  const answers: { status: number; startedAt: number; ms: number; body: string }[] = [];
  const switched: { failover?: Promise<Failover> } = {};
  const { ledger, apps } = await fleetRun({
    server,
    redisUrl: o.redisUrl,
    processes: 3,
    customers,
    busyShare: 0.3,
    rate: 150,
    durationMs: 10_000,
    framework: (i) => (i % 2 === 0 ? 'express' : 'hono'),
    onAnswer: (a) =>
      answers.push({
        status: a.status,
        startedAt: a.startedAt,
        ms: Date.now() - a.startedAt,
        body: a.body.slice(0, 300),
      }),
    // Early in the load, so that it goes on for seconds once Redis serves again.
    before: async () => {
      switched.failover = (async () => {
        await new Promise((r) => setTimeout(r, 2_000));
        const f = await o.failover();
        await until(() => backAt(f.killedAt) > 0, 'a client to write to the failed slot again', 15_000);
        return f;
      })();
      switched.failover.catch(() => {});
    },
  });
  const exits = await Promise.all(apps.map((a) => a.exited));
  probing = false;
  await probing$;
  // What the promoted replica holds of the probe's counter: the acknowledged writes it never received are lost.
  const held = await incr(2_000).then((v) => v - 1);
  const redisWritesLost = Math.max(0, acknowledged - held);
  await Promise.race([probeStore.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);

  const f = await switched.failover!;
  const { killedAt } = f;
  const switchEnd = backAt(killedAt);
  const during = (a: { startedAt: number; ms: number }) => a.startedAt + a.ms >= killedAt && a.startedAt <= switchEnd;
  const failures = answers.filter((a) => a.status >= 500);
  const usage = stiggUsages(server);
  let overshoot = 0;
  let lost = 0;
  for (const [, counted, stigg] of mismatches(ledger, usage, customers)) {
    if (stigg > counted) overshoot += stigg - counted;
    else lost += counted - stigg;
  }
  const cost: FailoverCost = {
    ...f,
    redisBackAfterMs: switchEnd - killedAt,
    redisWritesLost,
    requests: ledger.requests,
    succeeded: ledger.total(),
    failed: failures.length + ledger.unanswered,
    failedDuringSwitch: failures.filter(during).length,
    slowestDuringSwitchMs: Math.max(0, ...answers.filter(during).map((a) => a.ms)),
    slowestOtherwiseMs: Math.max(0, ...answers.filter((a) => !during(a)).map((a) => a.ms)),
    overshoot,
    lost,
  };
  const stats = server.admin.stats();
  console.info(
    `${o.label}: master ${cost.killed} SIGKILLed, replica ${cost.promoted} promoted after ${cost.promotedAfterMs} ms; Redis served the slot again after ${cost.redisBackAfterMs} ms; ` +
      `${cost.redisWritesLost} acknowledged probe writes lost of ${acknowledged} (${unknown} timed out); ${cost.requests} requests, ${cost.succeeded} succeeded, ${cost.failed} failed (${cost.failedDuringSwitch} during the switch), ${ledger.retried} attempts unanswered and repeated; ` +
      `slowest answer ${cost.slowestDuringSwitchMs} ms during the switch, ${cost.slowestOtherwiseMs} ms otherwise; Stigg counted ${cost.overshoot} units too many and ${cost.lost} too few; ` +
      `duplicates refused ${stats.usage.duplicates}; process exits ${JSON.stringify(exits)}`,
  );
  if (failures.length)
    console.info(
      `first 5xx: ${failures
        .slice(0, 5)
        .map((a) => `${a.status} at +${a.startedAt - killedAt} ms: ${a.body}`)
        .join(' | ')}`,
    );
  for (const app of apps)
    if (app.stderr.length) console.info(`${app.framework} app stderr: ${app.stderr.join('').slice(-1_000)}`);
  expect(exits.every((e) => e.code === 0)).toBe(true); // each app ran until the end and drained on SIGTERM
  expect(ledger.unanswered).toBe(0);
  expect(cost.failed).toBe(cost.failedDuringSwitch);
  // The load went on for seconds after the switch, and was served.
  expect(answers.filter((a) => a.startedAt > switchEnd + 1_000 && a.status < 300).length).toBeGreaterThan(100);
  return cost;
}
