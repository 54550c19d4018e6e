/**
 * A Tollgate client in its own process, driven over IPC: the "other instance" of multi-process tests and
 * benchmarks. argv: baseUrl redisUrl (a redis:// URL, or a topology's: see createRedisStore).
 */
import { createTollgate, type CheckRequest, type EnterRequest } from '@tollgate/core';
import { createRedisStore } from './redis.js';

const [baseUrl, redisUrl, optionsJson] = process.argv.slice(2);
const store = createRedisStore(redisUrl!);
const tollgate = createTollgate({
  apiKey: 'server-tollgate-local',
  baseUrl: baseUrl!,
  cache: { store },
  logger: process.env.TOLLGATE_WORKER_LOG
    ? {
        warn: (m: string) => console.error(`[${process.pid}] ${m}`),
        error: (m: string) => console.error(`[${process.pid}] ${m}`),
      }
    : { warn: () => {}, error: () => {} },
  ...(optionsJson ? JSON.parse(optionsJson) : {}),
});
/** Units this process committed (settled with success). */
let committed = 0;

/** One metered request: enter, a handler that takes `handlerMs`, settle. */
async function metered(request: EnterRequest, handlerMs: number): Promise<{ allowed: boolean; duplicate: boolean }> {
  const m = await tollgate.enter(request);
  if (!m.allowed) return { allowed: false, duplicate: false };
  if (handlerMs) await new Promise((r) => setTimeout(r, handlerMs));
  await m.settle({ success: true });
  if (!m.duplicate) committed += request.units ?? 1;
  return { allowed: true, duplicate: m.duplicate };
}

process.once('SIGTERM', async () => {
  const report = await tollgate.close();
  process.send?.({ type: 'drained', report, committed });
  process.exit(0);
});
tollgate.events.on('updated', (change) => process.send?.({ type: 'updated', change, at: Date.now() }));

type Message =
  | { id: number; type: 'check'; request: CheckRequest }
  | { id: number; type: 'metered'; request: EnterRequest; handlerMs?: number }
  | { id: number; type: 'burst'; request: EnterRequest; count: number }
  | { id: number; type: 'metrics' }
  | { id: number; type: 'close' };

process.on('message', async (m: Message) => {
  if (m.type === 'check') process.send?.({ id: m.id, result: await tollgate.check(m.request) });
  else if (m.type === 'metered') process.send?.({ id: m.id, result: await metered(m.request, m.handlerMs ?? 0) });
  else if (m.type === 'burst') {
    const results = await Promise.all(Array.from({ length: m.count }, () => metered(m.request, 5)));
    process.send?.({ id: m.id, result: results.filter((r) => r.allowed).length });
  } else if (m.type === 'metrics') process.send?.({ id: m.id, result: tollgate.metrics() });
  else if (m.type === 'close') {
    const report = await tollgate.close();
    await store.disconnect().catch(() => {});
    process.send?.({ id: m.id, result: { report, committed } });
    process.exit(0);
  }
});

await tollgate.ready();
process.send?.({ type: 'ready' });
