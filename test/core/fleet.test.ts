/**
 * Fleet mode: processes sharing a real Redis hold one Stigg stream between them, make one Stigg read per cold
 * customer between them, and stay within one read budget. Clients here share this process (each with its own Redis
 * connections and its own view); the holder's death is a real SIGKILL of a worker process.
 */
import { createKeyv } from '@keyv/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { createTollgate, type Options, type Tollgate } from '@tollgate/core';
import { provisionCustomers } from '../support/fleet/usage-run.js';
import { quiet, stiggAndRedis } from '../support/stigg.js';
import { until } from '../support/wait.js';
import { TollgateWorker } from '../support/worker.js';

const env = stiggAndRedis();
const opened: { t: Tollgate; store: ReturnType<typeof createKeyv> }[] = [];
const workers: TollgateWorker[] = [];

/** A client of the fleet: the shared level and the fleet's coordination in the test's Redis. */
async function member(options: Partial<Options> = {}, ready = true): Promise<Tollgate> {
  const store = createKeyv(env.redis.url, { throwOnConnectError: false });
  const t = createTollgate({
    apiKey: 'server-tollgate-local',
    baseUrl: env.server.url,
    logger: quiet,
    ...options,
    cache: { store, ...options.cache },
    usage: { leaseTtlMs: 1_500, ...options.usage },
  });
  opened.push({ t, store });
  if (ready) await t.ready();
  return t;
}

afterEach(async () => {
  env.server.admin.clearFaults();
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await Promise.all(
    opened.splice(0).map(async ({ t, store }) => {
      await t.close();
      await store.disconnect().catch(() => {});
    }),
  );
  await until(() => env.server.admin.stats().streams === 0, 'every stream closed', 5_000);
});

const roles = (fleet: Tollgate[]) => fleet.map((t) => t.metrics().fleet.streamRole).sort();
const analytics = (t: Tollgate, customerId: string) =>
  t.check({ customerId, featureId: 'feature-analytics' }) as Promise<{ hasAccess: boolean }> | { hasAccess: boolean };

describe('one Stigg stream per fleet', () => {
  it('four processes share one stream; a change in Stigg reaches every one of them', async () => {
    const fleet = await Promise.all(Array.from({ length: 4 }, () => member()));
    await until(
      () => roles(fleet).join() === 'follower,follower,follower,holder',
      'one holder and three followers',
      5_000,
    );
    expect(env.server.admin.stats().streams).toBe(1);
    for (const t of fleet) expect((await analytics(t, 'customer-free')).hasAccess).toBe(false);
    const changed = Date.now();
    env.server.admin.setPlan('customer-free', 'plan-pro');
    for (const t of fleet)
      await until(
        async () => (await analytics(t, 'customer-free')).hasAccess,
        'the change to reach every process',
        2_000,
      );
    console.info(`fleet of 4: the plan change reached every process's decision in ${Date.now() - changed} ms`);
    // Followers were pushed to over Redis: each applied the holder's message, none fetched again.
    for (const t of fleet.filter((x) => x.metrics().fleet.streamRole === 'follower'))
      expect(t.metrics().fleet.messages).toBeGreaterThan(0);
    expect(fleet.every((t) => t.metrics().stream === 'connected')).toBe(true);
    env.server.admin.setPlan('customer-free', 'plan-free');
  }, 30_000);

  it("'every-instance' opens one stream per process, as before", async () => {
    await Promise.all(Array.from({ length: 3 }, () => member({ stream: 'every-instance' })));
    await until(() => env.server.admin.stats().streams === 3, 'three streams', 5_000);
  }, 30_000);

  it('the holder SIGKILLed: another process holds the one stream within seconds; a change made meanwhile is served everywhere', async () => {
    const options = { usage: { leaseTtlMs: 3_000 } };
    for (let i = 0; i < 3; i++) workers.push(await TollgateWorker.start(env.server.url, env.redis.url, options));
    const roleOf = async (w: TollgateWorker) => (await w.metrics()).fleet.streamRole;
    await until(
      async () => (await Promise.all(workers.map(roleOf))).filter((r) => r === 'holder').length === 1,
      'one holder',
      5_000,
    );
    const holder = (await Promise.all(workers.map(async (w) => ((await roleOf(w)) === 'holder' ? w : null)))).find(
      Boolean,
    )!;
    const others = workers.filter((w) => w !== holder);
    for (const w of others)
      expect((await w.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess).toBe(false);
    const killed = Date.now();
    await holder.signal('SIGKILL');
    workers.splice(workers.indexOf(holder), 1);
    env.server.admin.setPlan('customer-free', 'plan-pro'); // during the handover: nobody holds the stream
    await until(async () => (await Promise.all(others.map(roleOf))).includes('holder'), 'a new holder', 10_000);
    await until(() => env.server.admin.stats().streams === 1, 'exactly one stream again', 10_000);
    const takeover = Date.now() - killed;
    for (const w of others) {
      await until(
        async () => (await w.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess,
        'the change made during the handover',
        60_000,
      );
    }
    console.info(
      `holder SIGKILLed: one stream again after ${takeover} ms; the change made meanwhile served everywhere after ${Date.now() - killed} ms`,
    );
    expect(takeover).toBeLessThan(10_000);
    env.server.admin.setPlan('customer-free', 'plan-free');
  }, 60_000);
});

describe('one Stigg read per fleet', () => {
  it('8 processes x 200 concurrent checks of a customer nobody has cached: one read of Stigg in all', async () => {
    // A slow shared level (this machine shared with other work) would be skipped after 100 ms: allow it a second.
    const fleet = await Promise.all(
      Array.from({ length: 8 }, () => member({ stream: false, cache: { storeTimeoutMs: 1_000 } })),
    );
    const reads = () => env.server.admin.stats().calls.cachedEntitlements ?? 0;
    const before = reads();
    const decisions = await Promise.all(
      fleet.flatMap((t) =>
        Array.from({ length: 200 }, () => t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' })),
      ),
    );
    expect(decisions.every((d) => d.hasAccess && !d.isFallback)).toBe(true);
    expect(reads() - before).toBe(1);
    const shared = fleet.reduce((n, t) => n + t.metrics().sharedReads, 0);
    console.info(
      `8 x 200 cold checks: ${reads() - before} Stigg read; ${shared} processes took another's read from the shared level`,
    );
    expect(shared).toBe(7);
  }, 30_000);

  it('restarting together against many customers, reads stay within the budget; no check throws; cold checks answer in time', async () => {
    const perMinute = 1_200; // 20 a second
    const fleet = await Promise.all(
      Array.from({ length: 10 }, () =>
        member({ stream: false, fleet: { readsPerMinute: perMinute, coldReadWaitMs: 1_500 } }),
      ),
    );
    const customers = Array.from({ length: 150 }, (_, i) => `budget-${i}`);
    await provisionCustomers(env.server, customers);
    const readsBefore = env.server.admin.stats().calls.cachedEntitlements ?? 0;
    const started = Date.now();
    const calls: number[] = [];
    const slowest = { ms: 0 };
    await Promise.all(
      fleet.map(async (t, i) => {
        for (let k = 0; k < 15; k++) {
          const at = Date.now();
          const d = await t.check({ customerId: customers[i * 15 + k]!, featureId: 'feature-analytics' });
          slowest.ms = Math.max(slowest.ms, Date.now() - at);
          calls.push(d.isFallback ? 0 : 1);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const reads = (env.server.admin.stats().calls.cachedEntitlements ?? 0) - readsBefore;
    const refused = fleet.reduce((n, t) => n + t.metrics().fleet.budgetRefusals, 0);
    console.info(
      `budget ${perMinute}/min: ${calls.length} cold checks in ${seconds.toFixed(1)} s, ${reads} reads in all, ${refused} over budget (fallback), slowest ${slowest.ms} ms`,
    );
    expect(slowest.ms).toBeLessThan(1_500 + 1_000);
    // Within the allowance of every one-second window the run touched (a 61st of the minute's budget each).
    expect(reads).toBeLessThanOrEqual((Math.ceil(seconds) + 1) * Math.floor(perMinute / 61));
  }, 60_000);
});
