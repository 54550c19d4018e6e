import { createKeyv } from '@keyv/redis';
import { createTollgate } from '@tollgate/core';
import { startStiggLocal } from '@tollgate/stigg-local';
import { RedisServer } from '../test/support/redis.js';
import { fmt, median } from './lib/load.js';
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
    const store = createKeyv(redis.url);
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
