/**
 * One process of the usage-limits benchmark: a Tollgate client (the current core, or the baseline's tree given by
 * path) sharing a Redis, metering `rate` requests a second for `durationMs` (half to the busy customer), then
 * closing. Prints one JSON line: {committed: {customer: units}, drain, lagP99}.
 * argv: JSON { core: module specifier or path, stiggUrl, redisUrl, rate, durationMs, customers }.
 */
import { createKeyv } from '@keyv/redis';

const o = JSON.parse(process.argv[2]!) as {
  core: string;
  stiggUrl: string;
  redisUrl: string;
  rate: number;
  durationMs: number;
  customers: string[];
};
const core = (await import(o.core)) as typeof import('@tollgate/core');
const store = createKeyv(o.redisUrl, { throwOnConnectError: false });
const tollgate = core.createTollgate({
  apiKey: 'server-tollgate-local',
  baseUrl: o.stiggUrl,
  cache: { store },
  logger: { warn: () => {}, error: () => {} },
});
await tollgate.ready();

const committed: Record<string, number> = {};
const others = o.customers.slice(1);
let n = 0;
const inflight = new Set<Promise<void>>();
const start = Date.now();
for (let i = 0; Date.now() - start < o.durationMs; i++) {
  const due = start + (i * 1_000) / o.rate;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  const customerId = i % 2 === 0 ? o.customers[0]! : others[n++ % others.length]!;
  const p: Promise<void> = (async () => {
    const m = await tollgate.enter({ customerId, featureId: 'feature-api-calls' });
    if (!m.allowed) return;
    await m.settle({ success: true });
    committed[customerId] = (committed[customerId] ?? 0) + 1;
  })().finally(() => inflight.delete(p));
  inflight.add(p);
}
await Promise.all(inflight);
// The baseline has no lag figure.
const metrics = tollgate.metrics();
const lag = (metrics.usage as { lagMs?: { p99: number | null } }).lagMs;
const drain = await tollgate.close();
if (process.env.USAGE_WORKER_DEBUG)
  console.error(
    JSON.stringify({
      pid: process.pid,
      usage: metrics.usage,
      l2Errors: metrics.l2Errors,
      after: tollgate.metrics().usage,
    }),
  );
console.log(JSON.stringify({ committed, drain, lagP99: lag?.p99 ?? null }));
await Promise.race([store.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
process.exit(0);
