import { createTollgate } from '@tollgate/core';
import { startStiggLocal } from '@tollgate/stigg-local';
import { createClient, createKeyv as keyvOf } from '@keyv/redis';
import { RedisServer } from '../test/support/redis.js';
import { pinSelf, startChild } from './lib/child.js';
import { fmt, load, median } from './lib/load.js';
import { alternatingRounds, pairedRatios, spreadOf } from './lib/rounds.js';
import { opsPerSecond, opsPerSecondAsync } from './lib/timing.js';
import type { Benchmark } from './lib/types.js';

const ROUNDS = 5;
const quiet = { warn: () => {}, error: () => {} };

const benchmark: Benchmark = {
  name: 'usage',
  description: 'enter + settle on a cache hit vs check alone; records per reportUsageBulk call under load',
  async run(report) {
    const server = await startStiggLocal({ log: () => {} });
    const redis = await RedisServer.start();
    const store = keyvOf(redis.url);
    const memory = createTollgate({ apiKey: 'server-tollgate-local', baseUrl: server.url, logger: quiet });
    const shared = createTollgate({
      apiKey: 'server-tollgate-local',
      baseUrl: server.url,
      logger: quiet,
      cache: { store },
    });
    try {
      await memory.ready();
      await shared.ready();
      const request = { customerId: 'customer-enterprise', featureId: 'feature-api-calls' };
      await memory.check(request);
      await shared.check(request);
      const meteredOnce = (t: typeof memory) => async () => {
        const m = await t.enter(request);
        await m.settle({ success: true });
      };
      const r = { check: [] as number[], checkAwaited: [] as number[], memory: [] as number[], redis: [] as number[] };
      for (let i = 0; i < ROUNDS; i++) {
        r.check.push(opsPerSecond(100_000, () => memory.check(request)));
        r.checkAwaited.push(await opsPerSecondAsync(20_000, async () => memory.check(request)));
        r.memory.push(await opsPerSecondAsync(20_000, meteredOnce(memory)));
        r.redis.push(await opsPerSecondAsync(2_000, meteredOnce(shared)));
      }
      const m = {
        check: median(r.check),
        checkAwaited: median(r.checkAwaited),
        memory: median(r.memory),
        redis: median(r.redis),
      };
      report.table([
        {
          measured: 'check (cache hit, sync)',
          'ops/s': fmt(m.check),
          'µs/op': fmt(1e6 / m.check, 2),
          'cost vs check': '1.00x',
        },
        {
          measured: 'await check',
          'ops/s': fmt(m.checkAwaited),
          'µs/op': fmt(1e6 / m.checkAwaited, 2),
          'cost vs check': `${fmt(m.check / m.checkAwaited, 2)}x`,
        },
        {
          measured: 'enter + settle, meter in memory',
          'ops/s': fmt(m.memory),
          'µs/op': fmt(1e6 / m.memory, 2),
          'cost vs check': `${fmt(m.check / m.memory, 2)}x`,
        },
        {
          measured: 'enter + settle, meter in Redis',
          'ops/s': fmt(m.redis),
          'µs/op': fmt(1e6 / m.redis, 2),
          'cost vs check': `${fmt(m.check / m.redis, 2)}x`,
        },
      ]);
      report.note(
        `median of ${ROUNDS} alternating rounds, one process; Redis on loopback (one Lua script to reserve, three calls to commit)`,
      );

      // Records per call: 300 customers metered for 3 s, flushed every second.
      const customers = Array.from({ length: 300 }, (_, i) => `bench-${i}`);
      for (const id of customers)
        await memory.provisionCustomer({ customerId: id, subscriptionParams: { planId: 'plan-enterprise' } });
      server.admin.resetStats();
      const end = Date.now() + 3_000;
      let requests = 0;
      while (Date.now() < end) {
        await Promise.all(
          customers.map(async (customerId) => {
            const entry = await memory.enter({ customerId, featureId: 'feature-api-calls' });
            await entry.settle({ success: true });
          }),
        );
        requests += customers.length;
        await new Promise((r) => setImmediate(r)); // a server yields to I/O between requests; so do we
      }
      await memory.flushUsage();
      const stats = server.admin.stats();
      const calls = stats.calls.reportUsageBulk ?? 0;
      report.table([
        {
          load: `${fmt(requests)} metered requests, ${customers.length} customers, 3 s`,
          'reportUsageBulk calls': calls,
          'records sent': stats.usage.applied,
          'records per call': fmt(stats.usage.applied / Math.max(1, calls), 1),
          'requests per record': fmt(requests / Math.max(1, stats.usage.applied), 1),
        },
      ]);
      report.note(
        "one record per customer/resource/feature per flush (1 s), at most 100 records per call (Stigg's limit)",
      );

      await meteredRoute(report, server.url, redis.url);
    } finally {
      await memory.close();
      await shared.close();
      await store.disconnect().catch(() => {});
      await redis.stop();
      await server.close();
    }
  },
};
export default benchmark;

/** Many short rounds (see `alternatingRounds`). */
const HTTP_ROUNDS = 15;
const HTTP_SECONDS = 0.8;
const VARIANTS = ['feature', 'metered', 'leased', 'in-memory'] as const;
/** Commands the meter's Lua scripts run inside Redis (counted by INFO commandstats like any, but no round trip). */
const IN_SCRIPTS = new Set(
  'hget hset hmget hincrbyfloat hexists hdel hvals hlen zadd zrangebyscore zrem pexpire get set del incr'.split(' '),
);
type Variant = (typeof VARIANTS)[number];

/**
 * A metered route over HTTP (Express, one hot customer, 50 connections) vs the same route behind `requireFeature`
 * only, with the meter in Redis as it is by default and with allowance leases; Redis commands per request from
 * `INFO commandstats`, less what the idle apps send anyway (heartbeats, leases), measured before.
 */
async function meteredRoute(report: Parameters<Benchmark['run']>[0], stiggUrl: string, redisUrl: string) {
  const pinned = pinSelf(0);
  const file = new URL('./servers/metered-app.ts', import.meta.url).pathname;
  const admin = await createClient({ url: redisUrl }).connect();
  const children: { stop(): Promise<void> }[] = [];
  /** Commands Redis ran so far: scripts (EVAL), other commands sent, and all (scripts' own commands included). */
  const commands = async () => {
    const n = { scripts: 0, sent: 0, all: 0 };
    for (const m of (await admin.info('commandstats')).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
      const [name, calls] = [m[1]!, Number(m[2])];
      if (name === 'info') continue;
      n.all += calls;
      if (name === 'eval' || name === 'evalsha') n.scripts += calls;
      else if (!IN_SCRIPTS.has(name)) n.sent += calls;
    }
    return n;
  };
  try {
    const apps = {} as Record<Variant, string>;
    for (const v of VARIANTS) {
      const child = await startChild<{ url: string }>(file, [v, stiggUrl, redisUrl], { cpu: 1 });
      children.push(child);
      apps[v] = child.info.url;
    }
    for (const v of VARIANTS) await load({ url: `${apps[v]}/api/work`, durationSeconds: 1, connections: 50 }); // warm
    await new Promise((r) => setTimeout(r, 1_500)); // blocks left by the warm-up idle back
    const idleFrom = await commands();
    const idleStart = Date.now();
    await new Promise((r) => setTimeout(r, 3_000));
    const idleTo = await commands();
    const idleSeconds = (Date.now() - idleStart) / 1000;
    const background = {
      scripts: (idleTo.scripts - idleFrom.scripts) / idleSeconds,
      sent: (idleTo.sent - idleFrom.sent) / idleSeconds,
      all: (idleTo.all - idleFrom.all) / idleSeconds,
    };

    type Counts = { scripts: number; sent: number; all: number };
    /** The app's CPU time and its garbage collections' pauses so far, in µs. */
    const cpu = async (v: Variant) => {
      const u = (await (await fetch(`${apps[v]}/__cpu`)).json()) as { user: number; system: number; gcMs: number };
      return { cpu: u.user + u.system, gc: u.gcMs * 1000 };
    };
    const runs = await alternatingRounds(VARIANTS, HTTP_ROUNDS, async (v) => {
      const cpuBefore = await cpu(v);
      const before = await commands();
      const started = Date.now();
      const r = await load({ url: `${apps[v]}/api/work`, durationSeconds: HTTP_SECONDS, connections: 50 });
      const after = await commands();
      const cpuAfter = await cpu(v);
      const cpuUs = (cpuAfter.cpu - cpuBefore.cpu) / Math.max(1, r.requests);
      const gcUs = (cpuAfter.gc - cpuBefore.gc) / Math.max(1, r.requests);
      const seconds = (Date.now() - started) / 1000;
      if (r.non2xx || r.errors) throw new Error(`metered route ${v}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      const per = (k: keyof Counts) =>
        Math.max(0, after[k] - before[k] - background[k] * seconds) / Math.max(1, r.requests);
      const perRequest = { scripts: per('scripts'), sent: per('sent'), all: per('all') };
      return { rps: r.requestsPerSecond, cpuUs, gcUs, perRequest };
    });
    const rps = (v: Variant) => runs[v].map((r) => r.rps);
    const cpuUs = (v: Variant) => runs[v].map((r) => r.cpuUs);
    const perRequest = (v: Variant, of: (c: Counts) => number) => fmt(median(runs[v].map((r) => of(r.perRequest))), 3);
    const row = (v: Variant, what: string, target: string) => {
      const ratio = pairedRatios(rps(v), rps('feature'));
      return {
        route: what,
        'req/s': fmt(median(rps(v))),
        'vs requireFeature': `${fmt(ratio.median, 3)}x`,
        spread: spreadOf(ratio),
        target,
        'in CPU/req': `${fmt(pairedRatios(cpuUs('feature'), cpuUs(v)).median, 3)}x`,
        'CPU µs/req': fmt(median(cpuUs(v)), 1),
        'of it GC pauses': fmt(median(runs[v].map((r) => r.gcUs)), 1),
        'Redis calls/request (scripts + other)': `${perRequest(v, (c) => c.scripts + c.sent)} (${perRequest(v, (c) => c.scripts)} + ${perRequest(v, (c) => c.sent)})`,
        'commands run in Redis/request': perRequest(v, (c) => c.all),
      };
    };
    report.table([
      row('feature', 'requireFeature only', ''),
      row('metered', 'meteredGuard, meter in Redis (one call per request)', ''),
      row('leased', 'meteredGuard, allowance leases', '>= 0.85x'),
      row('in-memory', 'meteredGuard, meter in process memory', ''),
    ]);
    report.note(
      `Express, GET /api/work for one hot customer, 50 connections; median of ${HTTP_ROUNDS} rotating rounds of ${HTTP_SECONDS} s;`,
    );
    report.note(
      `ratios within each round (spread: their interquartile range and min-max); Redis figures from INFO commandstats, less what the idle apps run anyway (${fmt(background.all, 1)} commands/s):`,
    );
    report.note(
      "  calls = scripts (EVAL) + other commands the app sends; commands run = all, the scripts' own commands included;",
    );
    report.note("in CPU/req: the app's CPU time per request, requireFeature's / this route's (steadier than req/s);");
    report.note(
      '  of it GC pauses: the time garbage collections paused the app, per request (what a request leaves alive costs here)',
    );
    report.note(
      pinned ? 'load generator pinned to core 0, apps to core 1 (taskset)' : 'taskset not available: not pinned',
    );
  } finally {
    for (const c of children) await c.stop();
    await admin.quit().catch(() => {});
  }
}
