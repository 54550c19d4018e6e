/**
 * The meter in a real Redis that misbehaves: frozen mid-commit (SIGSTOP), evicting keys, out of memory. Usage must
 * stay exact (nothing counted twice, nothing lost) and nothing a stall left behind may block a customer.
 */
import { connect } from 'node:net';
import { createKeyv } from '@keyv/redis';
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTollgate, type Options, type Tollgate } from '@tollgate/core';
import { entitlements, meteredGuard } from '@tollgate/express';
import { provisionCustomers } from '../support/fleet/usage-run.js';
import { quiet, stiggAndRedis, stiggUsage } from '../support/stigg.js';
import { until } from '../support/wait.js';

const env = stiggAndRedis();
const opened: { t: Tollgate; store: ReturnType<typeof createKeyv> }[] = [];

/** One Redis command over a plain socket (CONFIG SET and the like, which the meter's client does not expose). */
function redisCommand(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('data', (d) => {
      socket.end();
      resolve(d.toString());
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

async function client(options: Partial<Options> = {}): Promise<Tollgate> {
  const store = createKeyv(env.redis.url, { throwOnConnectError: false });
  const t = createTollgate({
    apiKey: 'server-tollgate-local',
    baseUrl: env.server.url,
    logger: quiet,
    ...options,
    cache: { store, storeTimeoutMs: 100, storeRetryAfterMs: 300, ...options.cache },
    usage: { redisTimeoutMs: 150, flushIntervalMs: 200, leaseTtlMs: 1_000, ...options.usage },
  });
  opened.push({ t, store });
  await t.ready();
  return t;
}

afterEach(async () => {
  env.redis.signal('SIGCONT');
  env.server.admin.clearFaults();
  await redisCommand(env.redis.port, 'CONFIG', 'SET', 'maxmemory', '0');
  await redisCommand(env.redis.port, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
  for (const { t, store } of opened.splice(0)) {
    await t.close();
    await Promise.race([store.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 300))]);
  }
});

describe('the meter in a Redis that misbehaves', () => {
  it('Redis frozen twice mid-commit under load: every successful request is counted exactly once', async () => {
    await provisionCustomers(env.server, ['frozen']);
    const t = await client();
    const request = { customerId: 'frozen', featureId: 'feature-api-calls' };
    await t.check(request);
    let successes = 0;
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 20 }, async (_, worker) => {
        while (!stop) {
          // Half the requests carry an idempotency key (committed in process while Redis is frozen, handed over with it).
          const m = await t.enter(
            worker % 2 ? { ...request, idempotencyKey: `frozen-${worker}-${successes}-${Math.random()}` } : request,
          );
          if (!m.allowed) continue;
          await new Promise((r) => setTimeout(r, 2));
          await m.settle({ success: true });
          successes += 1;
        }
      }),
    );
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 400));
      env.redis.signal('SIGSTOP'); // commands already sent run when it thaws: after the client gave up on them
      await new Promise((r) => setTimeout(r, 1_200));
      env.redis.signal('SIGCONT');
    }
    await new Promise((r) => setTimeout(r, 600));
    stop = true;
    await load;
    const report = await t.close();
    console.info(`Redis frozen twice: ${successes} successful requests, drain ${JSON.stringify(report)}`);
    expect(successes).toBeGreaterThan(100);
    expect(report).toMatchObject({ dropped: 0, persisted: 0 });
    expect(await stiggUsage(env.server, 'frozen')).toBe(successes);
  }, 30_000);

  it('reservations a stall left in Redis are released once it answers, not held until their TTL', async () => {
    await provisionCustomers(env.server, []);
    await env.server.admin.setUsage('customer-free', 'feature-api-calls', 90); // 10 of 100 left
    const t = await client();
    const request = { customerId: 'customer-free', featureId: 'feature-api-calls' };
    await t.check(request);
    env.redis.signal('SIGSTOP');
    // Ten requests reserve while Redis is frozen: each times out there (Redis still queues it) and is reserved in
    // process instead; then they fail and release.
    const held = await Promise.all(Array.from({ length: 10 }, () => t.enter(request)));
    expect(held.every((m) => m.allowed)).toBe(true);
    for (const m of held) await m.settle({ success: false });
    env.redis.signal('SIGCONT'); // now Redis runs the ten reservations it had queued
    // Past the meter's retry-after, reservations are made in Redis again (not in process, where nothing is held).
    await new Promise((r) => setTimeout(r, 400));
    const started = Date.now();
    await until(
      async () => {
        const m = await t.enter({ ...request, units: 10 });
        await m.settle({ success: false });
        return m.allowed;
      },
      'the 10 units left to be usable again',
      5_000,
    ); // a dead process' reservations expire within 10 s, any TTL 60 s
    console.info(
      `stale reservations released ${Date.now() - started} ms after Redis answered again (their TTL is 60 s)`,
    );
  }, 30_000);

  it('at close, records sent while Redis was frozen go to Redis under their keys once it answers; the fleet delivers them once', async () => {
    await provisionCustomers(env.server, ['handed-over']);
    const a = await client({ usage: { drainTimeoutMs: 4_000 } });
    const request = { customerId: 'handed-over', featureId: 'feature-api-calls' };
    await a.check(request);
    env.redis.signal('SIGSTOP');
    for (let i = 0; i < 5; i++) {
      const m = await a.enter(request); // metered in process: Redis does not answer
      await m.settle({ success: true });
    }
    // The drain sends them from here: Stigg applies the call but the answer is lost; later calls fail with 500.
    const lost = env.server.admin.injectFault({ operations: ['reportUsageBulk'], dropAfterApply: true, count: 1 });
    const closing = a.close();
    await until(() => !env.server.admin.faults().some((f) => f.id === lost), 'the first delivery attempt', 3_000);
    const failing = env.server.admin.injectFault({ operations: ['reportUsageBulk'], status: 500 });
    env.redis.signal('SIGCONT');
    expect(await closing).toEqual({ delivered: 0, persisted: 5, dropped: 0 });
    env.server.admin.clearFaults(failing);
    const duplicatesBefore = env.server.admin.stats().usage.duplicates;
    const b = await client(); // the next delivering process sends the record again, with the same key
    await until(
      () => env.server.admin.stats().usage.duplicates > duplicatesBefore,
      'the handed-over record to reach Stigg',
      5_000,
    );
    expect(await b.close()).toMatchObject({ dropped: 0, persisted: 0 });
    expect(await stiggUsage(env.server, 'handed-over')).toBe(5);
  }, 30_000);

  it('a keyed request metered in process while Redis was down counts once, whichever instance answered its retry', async () => {
    await provisionCustomers(env.server, ['keyed-apart']);
    // `a` waits 2 s after a failed Redis call before using Redis again: `b` answers the first retry before that.
    const a = await client({ cache: { storeRetryAfterMs: 2_000 } });
    const b = await client();
    const request = { customerId: 'keyed-apart', featureId: 'feature-api-calls' };
    await a.check(request);
    await b.check(request);
    env.redis.signal('SIGSTOP');
    await (await a.enter(request)).settle({ success: false }); // times out in Redis: `a` meters in process from now
    for (const idempotencyKey of ['answered-elsewhere', 'retried-later']) {
      const m = await a.enter({ ...request, idempotencyKey }); // metered in `a` only: Redis never sees the key
      expect(m.allowed).toBe(true);
      await m.settle({ success: true }); // ... and its answer never reaches the client
    }
    env.redis.signal('SIGCONT');
    const retry = await b.enter({ ...request, idempotencyKey: 'answered-elsewhere' }); // the client's retry
    expect(retry).toMatchObject({ allowed: true, duplicate: false }); // nothing in Redis knows the key yet
    await retry.settle({ success: true });
    // `a` hands its units to Redis with their keys: the one `b` counted meanwhile is not counted again ...
    await until(() => a.metrics().usage.duplicateUnits === 1, "a's hand-over to find the key counted by b", 5_000);
    // ... and a retry of the other, now anywhere in the fleet, is a duplicate.
    expect(await b.enter({ ...request, idempotencyKey: 'retried-later' })).toMatchObject({
      allowed: true,
      duplicate: true,
    });
    expect(await a.close()).toMatchObject({ dropped: 0 });
    expect(await b.close()).toMatchObject({ dropped: 0, persisted: 0 });
    expect(await stiggUsage(env.server, 'keyed-apart')).toBe(2);
  }, 30_000);

  it('a process closing while Redis is down waits for it before writing keyed units itself: a retry answered elsewhere counts once', async () => {
    await provisionCustomers(env.server, ['keyed-closing']);
    const a = await client({ cache: { storeRetryAfterMs: 2_000 }, usage: { drainTimeoutMs: 8_000 } });
    const b = await client();
    const request = { customerId: 'keyed-closing', featureId: 'feature-api-calls' };
    await a.check(request);
    await b.check(request);
    env.redis.signal('SIGSTOP');
    await (await a.enter(request)).settle({ success: false }); // times out in Redis: `a` meters in process from now
    const m = await a.enter({ ...request, idempotencyKey: 'closing' });
    await m.settle({ success: true }); // its answer never reaches the client, which retries on `b`
    const closing = a.close(); // SIGTERM'd while Redis is down ...
    await new Promise((r) => setTimeout(r, 1_000)); // ... which stays down for the drain's first second
    env.redis.signal('SIGCONT');
    const retry = await b.enter({ ...request, idempotencyKey: 'closing' });
    if (retry.allowed && !retry.duplicate) await retry.settle({ success: true });
    const report = await closing;
    expect(report).toMatchObject({ dropped: 0 });
    expect(report.delivered).toBe(0); // handed to Redis, not written from `a`
    // `b`, the fleet's delivering process now, writes what Redis holds: the request once.
    await until(async () => (await stiggUsage(env.server, 'keyed-closing')) === 1, 'the unit in Stigg', 10_000);
    expect(await b.close()).toMatchObject({ dropped: 0, persisted: 0 });
    expect(await stiggUsage(env.server, 'keyed-closing')).toBe(1);
  }, 30_000);

  it('a commit whose Redis call never went out stays in process: close delivers it, not "persisted" in a frozen Redis', async () => {
    await provisionCustomers(env.server, ['never-sent']);
    const t = await client({ usage: { drainTimeoutMs: 3_000 } });
    const request = { customerId: 'never-sent', featureId: 'feature-api-calls' };
    await t.check(request);
    const held = await Promise.all(Array.from({ length: 5 }, () => t.enter(request))); // reserved in Redis
    env.redis.signal('SIGSTOP');
    for (const m of held) await m.settle({ success: true }); // the commit's first command times out
    // Redis is still frozen at close: the units are delivered from the process, none is claimed to be in Redis.
    expect(await t.close()).toEqual({ delivered: 5, persisted: 0, dropped: 0 });
    env.redis.signal('SIGCONT');
    expect(await stiggUsage(env.server, 'never-sent')).toBe(5);
  }, 30_000);

  it('a request that outlives its reservation still counts once when it succeeds', async () => {
    await provisionCustomers(env.server, ['slow-handler']);
    const t = await client({ usage: { reservationTtlMs: 200 } });
    const request = { customerId: 'slow-handler', featureId: 'feature-api-calls' };
    const slow = await t.enter(request);
    await new Promise((r) => setTimeout(r, 300));
    const other = await t.enter(request); // expires the first reservation in Redis
    await other.settle({ success: true });
    await slow.settle({ success: true });
    expect(await t.close()).toMatchObject({ dropped: 0, persisted: 0 });
    expect(await stiggUsage(env.server, 'slow-handler')).toBe(2);
  }, 30_000);

  it('refuses a Redis that evicts keys for the meter, or meters in process memory when told to', async () => {
    await redisCommand(env.redis.port, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    await expect(client()).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('allkeys-lru'),
    });
    const errors: string[] = [];
    const t = await client({
      usage: { evictingRedis: 'memory' },
      logger: { warn: () => {}, error: (m) => void errors.push(m) },
    });
    expect(errors.join('\n')).toContain('metering in process memory');
    await provisionCustomers(env.server, ['evicting']);
    const m = await t.enter({ customerId: 'evicting', featureId: 'feature-api-calls' });
    await m.settle({ success: true });
    expect(await t.close()).toEqual({ delivered: 1, persisted: 0, dropped: 0 });
    expect(await stiggUsage(env.server, 'evicting')).toBe(1);
  }, 30_000);

  it('a commit Redis refuses for lack of memory is an error event and a metric, and its units still reach Stigg', async () => {
    await provisionCustomers(env.server, ['oom']);
    const t = await client();
    const errors: string[] = [];
    t.events.on('error', (e) => errors.push(e.message));
    const m = await t.enter({ customerId: 'oom', featureId: 'feature-api-calls', units: 3 });
    await redisCommand(env.redis.port, 'CONFIG', 'SET', 'maxmemory', '1');
    await m.settle({ success: true });
    expect(t.metrics().usage.redisOutOfMemory).toBe(1);
    expect(errors.some((e) => e.includes('out of memory'))).toBe(true);
    await redisCommand(env.redis.port, 'CONFIG', 'SET', 'maxmemory', '0');
    expect((await t.close()).dropped).toBe(0);
    expect(await stiggUsage(env.server, 'oom')).toBe(3);
  }, 30_000);
});

describe('requests while Tollgate closes', () => {
  it('a metered route answers 503 "unavailable" during and after close(), never a 500', async () => {
    await provisionCustomers(env.server, ['closing']);
    const t = await client({ usage: { redis: false } });
    const app = express();
    app.use(entitlements({ client: t, customerId: (req) => req.get('x-customer') }));
    app.post('/api/reports', meteredGuard('feature-api-calls'), (_req, res) => void res.json({ ok: true }));
    expect((await request(app).post('/api/reports').set('x-customer', 'closing')).status).toBe(200);
    const closing = t.close();
    const during = await request(app).post('/api/reports').set('x-customer', 'closing');
    await closing;
    const after = await request(app).post('/api/reports').set('x-customer', 'closing');
    for (const res of [during, after]) {
      expect(res.status).toBe(503);
      expect(JSON.parse(res.text)).toMatchObject({
        type: 'https://tollgate.dev/problems/unavailable',
        reason: 'Unknown',
      });
    }
    expect(await stiggUsage(env.server, 'closing')).toBe(1);
  }, 30_000);
});
