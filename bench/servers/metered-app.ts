/**
 * Benchmark child: an Express app with one route, GET /api/work, for one hot customer, one of:
 * - feature: behind `requireFeature` only (the cost a metered route is compared with);
 * - metered: behind `meteredGuard`, the meter in Redis, one reservation and one commit per request;
 * - leased: the same with allowance leases (blocks of allowance spent in process, commits written together);
 * - in-memory: behind `meteredGuard`, the meter in process memory (no Redis for usage): metering's own cost.
 * argv: variant stiggUrl redisUrl. Prints {"url"} when listening; GET /__cpu answers this process's CPU time and the
 * time its garbage collections paused it so far (`gcMs`).
 */
import { createServer } from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import express from 'express';
import { createKeyv } from '@keyv/redis';
import { createTollgate } from '@tollgate/core';
import { tollgateExpress } from '@tollgate/express';

const [variant, stiggUrl, redisUrl] = process.argv.slice(2) as [
  'feature' | 'metered' | 'leased' | 'in-memory',
  string,
  string,
];
const HOT_CUSTOMER = 'customer-enterprise';

// Every variant as an app of a fleet configures it: the cache's shared level and the meter in one Redis (in-memory:
// the meter alone in process memory).
const store = createKeyv(redisUrl);
const tollgate = createTollgate({
  apiKey: 'server-tollgate-local',
  baseUrl: stiggUrl,
  logger: { warn: () => {}, error: () => {} },
  cache: { store },
  usage: variant === 'in-memory' ? { redis: false } : { allowanceLeases: variant === 'leased' },
});
await tollgate.ready();
await tollgate.check({ customerId: HOT_CUSTOMER, featureId: 'feature-api-calls' }); // every measured request is a hit

const gate = tollgateExpress({ client: tollgate, customerId: () => HOT_CUSTOMER });
const guard = variant === 'feature' ? gate.requireFeature('feature-api-calls') : gate.meteredGuard('feature-api-calls');
const app = express();
app.get('/api/work', guard, (_req, res) => {
  res.json({ done: true });
});
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });
app.get('/__cpu', (_req, res) => {
  res.json({ ...process.cpuUsage(), gcMs });
});
const server = createServer(app);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const address = server.address() as { port: number };
console.log(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }));
process.once('SIGTERM', async () => {
  server.close();
  await tollgate.close();
  await store.disconnect().catch(() => {});
  process.exit(0);
});
