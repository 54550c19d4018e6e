/** Metered usage across processes sharing a real Redis: no overshoot, nothing lost on SIGTERM or SIGKILL. */
import { createKeyv } from '@keyv/redis';
import { describe, expect, it } from 'vitest';
import { createTollgate } from '@tollgate/core';
import { TollgateWorker } from '../support/worker.js';
import { stiggUsage as usageAt, stiggAndRedis } from '../support/stigg.js';
import { until } from '../support/wait.js';
import { exactlyLimitAcrossProcesses, proCustomer } from '../support/fleet/usage-scenarios.js';
import { stiggLimits } from '../support/fleet/usage-run.js';

/** The delivery lease lapses within a second of its holder's death here, so a test need not wait long for a takeover. */
const lease = { leaseTtlMs: 1_000 };
const leader = (w: TollgateWorker) =>
  until(async () => (await w.metrics()).usage.deliveryLeader, 'the delivery lease', 5_000);

const env = stiggAndRedis();

const stiggUsage = (customerId: string) => usageAt(env.server, customerId);

const customer = (id: string, used = 0) => proCustomer(env.server, id, used);

describe('metered usage across processes', () => {
  it('four processes, 400 concurrent requests each, 100 units left: exactly 100 allowed and reported', async () => {
    await exactlyLimitAcrossProcesses(env.server, env.redis.url, 'four-procs');
  }, 60_000);

  it('with allowance leases: exactly 100 allowed and reported, in fewer Redis grants than requests', async () => {
    env.server.admin.setRateLimits(stiggLimits()); // delivered within Stigg's published write limits
    try {
      const { grants } = await exactlyLimitAcrossProcesses(env.server, env.redis.url, 'four-procs-leases', {
        usage: { allowanceLeases: true },
      });
      expect(grants).toBeGreaterThan(0);
      expect(grants).toBeLessThan(100);
    } finally {
      env.server.admin.setRateLimits({ enabled: false });
    }
  }, 60_000);

  it('a process SIGKILLed holding an allowance block: the limit holds, the block comes back after its TTL', async () => {
    await customer('block-holder', 9_900);
    env.server.admin.setRateLimits(stiggLimits()); // delivered within Stigg's published write limits
    const options = { usage: { allowanceLeases: { share: 0.5, ttlMs: 2_000 }, ...lease } };
    const a = await TollgateWorker.start(env.server.url, env.redis.url, options);
    const b = await TollgateWorker.start(env.server.url, env.redis.url, options);
    try {
      const request = { customerId: 'block-holder', featureId: 'feature-api-calls' };
      await a.check(request);
      await b.check(request);
      expect((await a.metered(request)).allowed).toBe(true); // a holds a block of 50 (half of the 100 left), 1 spent
      expect((await a.metrics()).usage.leases).toMatchObject({ blocks: 1, unitsHeld: 49 });
      await a.signal('SIGKILL');
      const killedAt = Date.now();
      expect(await b.burst(request, 100)).toBe(50); // the dead process' block is still reserved
      await until(async () => (await b.burst(request, 1)) === 1, 'the dead block back', 10_000);
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_000);
      expect(await b.burst(request, 100)).toBe(48);
      await leader(b);
    } finally {
      await b.close();
      env.server.admin.setRateLimits({ enabled: false });
    }
    expect(await stiggUsage('block-holder')).toBe(10_000);
  }, 30_000);

  it('releases the reservations of a process that died mid-request once they expire', async () => {
    await customer('died', 9_995);
    const options = { usage: { reservationTtlMs: 1_000, ...lease } };
    const a = await TollgateWorker.start(env.server.url, env.redis.url, options);
    const b = await TollgateWorker.start(env.server.url, env.redis.url, options);
    try {
      const request = { customerId: 'died', featureId: 'feature-api-calls' };
      await b.check(request);
      void a.metered({ ...request, units: 5 }, 30_000).catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
      await a.signal('SIGKILL');
      expect((await b.metered(request)).allowed).toBe(false); // the dead process still holds the 5 units
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await b.metered(request)).allowed).toBe(true);
      await leader(b); // the dead process held the delivery lease: b takes it over and delivers
    } finally {
      await b.close();
    }
    expect(await stiggUsage('died')).toBe(9_996);
  }, 30_000);

  it('keeps metering in process memory while Redis is down, and loses nothing', async () => {
    await customer('redis-down');
    const store = createKeyv(env.redis.url, { throwOnConnectError: false });
    const t = createTollgate({
      apiKey: 'server-tollgate-local',
      baseUrl: env.server.url,
      cache: { store, storeTimeoutMs: 100, storeRetryAfterMs: 500 },
      usage: { redisTimeoutMs: 200, flushIntervalMs: 60_000 },
      logger: { warn: () => {}, error: () => {} },
    });
    await t.ready();
    try {
      const request = { customerId: 'redis-down', featureId: 'feature-api-calls' };
      await t.check(request);
      await env.redis.stop();
      let allowed = 0;
      for (let i = 0; i < 20; i++) {
        const m = await t.enter(request);
        if (m.allowed) {
          allowed += 1;
          await m.settle({ success: true });
        }
      }
      expect(allowed).toBe(20);
      const report = await t.close();
      expect(report).toMatchObject({ delivered: 20, dropped: 0 });
      expect(await stiggUsage('redis-down')).toBe(20);
    } finally {
      await t.close();
      await env.redis.start();
      // A client that lost its server may never finish disconnecting: do not wait on it for long.
      await Promise.race([store.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
    }
  }, 30_000);

  it('SIGTERM mid-load delivers everything committed within the drain deadline', async () => {
    await customer('sigterm');
    const w = await TollgateWorker.start(env.server.url, env.redis.url, { usage: { flushIntervalMs: 60_000 } });
    const load = Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        w.metered({ customerId: 'sigterm', featureId: 'feature-api-calls', idempotencyKey: `t-${i}` }, 20),
      ),
    );
    await new Promise((r) => setTimeout(r, 150));
    await w.signal('SIGTERM');
    void load.catch(() => {});
    const { report, committed } = await w.drained;
    console.info(`SIGTERM: committed ${committed}, drain ${JSON.stringify(report)}`);
    expect(committed).toBeGreaterThan(0);
    expect(report.persisted).toBe(0);
    expect(report.dropped).toBe(0);
    expect(await stiggUsage('sigterm')).toBe(committed);
  }, 30_000);

  it('SIGKILL with the Redis outbox: the next process delivers the rest, retried requests are counted once', async () => {
    await customer('sigkill');
    const a = await TollgateWorker.start(env.server.url, env.redis.url, { usage: { flushIntervalMs: 100, ...lease } });
    const keys = Array.from({ length: 3000 }, (_, i) => `k-${i}`);
    const acknowledged = new Set<string>();
    const sent = keys.map((key) =>
      a.metered({ customerId: 'sigkill', featureId: 'feature-api-calls', idempotencyKey: key }, 30).then(
        (r) => r.allowed && acknowledged.add(key),
        () => {},
      ),
    );
    while (acknowledged.size < 100) await new Promise((r) => setTimeout(r, 5));
    await a.signal('SIGKILL');
    void Promise.allSettled(sent);
    expect(acknowledged.size).toBeGreaterThan(0);
    expect(acknowledged.size).toBeLessThan(keys.length);

    // The client retries what it got no answer for, with the same keys, against another process; a request that
    // was in flight on the dead one is refused (409) until its reservation lapses (its heartbeat stopped), then runs.
    const b = await TollgateWorker.start(env.server.url, env.redis.url, { usage: { flushIntervalMs: 100, ...lease } });
    const retried = keys.filter((k) => !acknowledged.has(k));
    const results = await Promise.all(
      retried.map(async (key) => {
        for (const end = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 500))) {
          const r = await b.metered({ customerId: 'sigkill', featureId: 'feature-api-calls', idempotencyKey: key });
          if (r.allowed || Date.now() > end) return r;
        }
      }),
    );
    const duplicates = results.filter((r) => r.duplicate).length;
    await leader(b);
    const closed = await b.close();
    console.info(
      `SIGKILL: ${acknowledged.size} answered before the kill, ${retried.length} retried (${duplicates} already counted), drain ${JSON.stringify(closed?.report)}`,
    );
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(await stiggUsage('sigkill')).toBe(keys.length);
  }, 60_000);
});
