import { startStiggLocal } from '@tollgate/stigg-local';
import { RedisServer } from '../test/support/redis.js';
import { TollgateWorker } from '../test/support/worker.js';
import { fmt } from './lib/load.js';
import { percentile } from './lib/timing.js';
import type { Benchmark } from './lib/types.js';

const CHANGES = 60;

const benchmark: Benchmark = {
  name: 'propagation',
  description: 'a plan change in Stigg (stigg-local) until the decision changes in two processes sharing a real Redis',
  async run(report) {
    const server = await startStiggLocal({ log: () => {} });
    const redis = await RedisServer.start();
    const workers = [
      await TollgateWorker.start(server.url, redis.url),
      await TollgateWorker.start(server.url, redis.url),
    ];
    try {
      const check = (w: TollgateWorker) => w.check({ customerId: 'customer-free', featureId: 'feature-analytics' });
      for (const w of workers) await check(w);
      const delays: number[] = [];
      let plan = 'plan-free';
      for (let i = 0; i < CHANGES; i++) {
        plan = plan === 'plan-free' ? 'plan-pro' : 'plan-free';
        const seen = workers.map((w) => w.updates.length);
        const changedAt = Date.now();
        server.admin.setPlan('customer-free', plan);
        for (const [n, w] of workers.entries()) {
          const deadline = changedAt + 5_000;
          while (w.updates.length === seen[n]) {
            if (Date.now() > deadline) throw new Error('a push did not arrive within 5 s');
            await new Promise((r) => setTimeout(r, 1));
          }
          delays.push(w.updates[w.updates.length - 1]!.at - changedAt);
          const d = await check(w);
          if (d.hasAccess !== (plan === 'plan-pro')) throw new Error(`process ${n} still decides by the old plan`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      report.table([
        {
          measured: 'plan change -> decision changed',
          samples: delays.length,
          'p50 ms': fmt(percentile(delays, 50), 1),
          'p99 ms': fmt(percentile(delays, 99), 1),
          'max ms': fmt(Math.max(...delays), 1),
          target: 'p99 <= 100 ms',
        },
      ]);
      report.note(`${CHANGES} changes x 2 processes, each with its own stream and a shared redis-server, on loopback`);
    } finally {
      for (const w of workers) await w.close();
      await redis.stop();
      await server.close();
    }
  },
};
export default benchmark;
