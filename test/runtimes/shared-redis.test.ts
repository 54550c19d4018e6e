/**
 * Tollgate on Bun and Deno with a shared Redis (a real redis-server, node-redis through @keyv/redis over the
 * runtime's `node:net`), in one fleet with a Node process: the Bun or Deno process holds the fleet's one Stigg
 * stream and a change it receives reaches the Node process over Redis pub/sub; one Stigg read between them (the
 * shared level); the Redis meter holds a limit across both; usage reaches Stigg once, within its write limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { proCustomer } from '../support/fleet/usage-scenarios.js';
import { stiggLimits } from '../support/fleet/usage-run.js';
import type { OtherRuntime } from '../support/runtimes.js';
import { stiggAndRedis, stiggUsage } from '../support/stigg.js';
import { until } from '../support/wait.js';
import { TollgateWorker } from '../support/worker.js';

const env = stiggAndRedis();
const workers: TollgateWorker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  env.server.admin.setRateLimits({ enabled: false });
});

const options = { usage: { leaseTtlMs: 1_000 } };
const roleOf = async (w: TollgateWorker) => (await w.metrics()).fleet.streamRole;

describe.each<OtherRuntime>(['bun', 'deno'])('Tollgate on %s with a shared Redis', (runtime) => {
  it('one fleet with a Node process: one stream, one Stigg read, one limit, usage delivered once', async () => {
    const customerId = `shared-redis-${runtime}`;
    await proCustomer(env.server, customerId, 9_900); // 100 units left
    env.server.admin.setRateLimits(stiggLimits());

    const other = await TollgateWorker.start(env.server.url, env.redis.url, options, runtime);
    workers.push(other);
    expect(other.runtime).toBe(runtime);
    await until(async () => (await roleOf(other)) === 'holder', `the ${runtime} process to hold the stream`, 10_000);
    const node = await TollgateWorker.start(env.server.url, env.redis.url, options);
    workers.push(node);
    await until(async () => (await roleOf(node)) === 'follower', 'the Node process to follow', 10_000);
    expect(env.server.admin.stats().streams).toBe(1);

    // The shared level: the first read of a cold customer serves the other process.
    const reads = () => env.server.admin.stats().calls.cachedEntitlements ?? 0;
    const request = { customerId, featureId: 'feature-api-calls' };
    const before = reads();
    expect((await other.check(request)).hasAccess).toBe(true);
    expect((await node.check(request)).hasAccess).toBe(true);
    expect(reads() - before).toBe(1);

    // The fleet's stream: a change Stigg pushes to the Bun/Deno process reaches the Node process over pub/sub.
    const analytics = { customerId: 'customer-free', featureId: 'feature-analytics' };
    expect((await node.check(analytics)).hasAccess).toBe(false);
    env.server.admin.setPlan('customer-free', 'plan-pro');
    try {
      await until(async () => (await node.check(analytics)).hasAccess, 'the pushed change to reach Node', 5_000);
      expect((await node.metrics()).fleet.messages).toBeGreaterThan(0);
    } finally {
      env.server.admin.setPlan('customer-free', 'plan-free');
    }

    // The Redis meter: 80 concurrent requests in each process, 100 units left between them.
    const allowed = await Promise.all([other.burst(request, 80), node.burst(request, 80)]);
    console.info(`${runtime} + Node: allowed ${allowed.join(' + ')} of 160 with 100 units left`);
    expect(allowed[0] + allowed[1]).toBe(100);

    // The fleet's delivery (one process holds it) writes the 100 units to Stigg.
    await until(async () => (await stiggUsage(env.server, customerId)) === 10_000, 'the usage in Stigg', 15_000);
    for (const w of workers.splice(0)) expect((await w.close())?.report.dropped).toBe(0);
    // Both processes have exited: what Stigg counts now is all it will ever get from them (none twice).
    expect(await stiggUsage(env.server, customerId)).toBe(10_000);
  }, 90_000);
});
