/**
 * A Tollgate client in its own process, driven over IPC: the "other instance" of multi-process tests and
 * benchmarks. argv: baseUrl redisUrl (a redis:// URL, or a topology's: see createRedisStore). On Node, messages go
 * over the IPC channel of `fork`; on Bun and Deno (TOLLGATE_WORKER_STDIO set), as lines of JSON on stdin/stdout.
 */
import { createInterface } from 'node:readline';
import { createTollgate, type CheckRequest, type EnterRequest } from '@tollgate/core';
import { createRedisStore } from './redis.js';

const overStdio = Boolean(process.env.TOLLGATE_WORKER_STDIO);
/** Sends a message; resolves once it is handed to the channel (so the process can exit right after). */
const send = (message: unknown) =>
  new Promise<void>((resolve) => {
    if (overStdio) process.stdout.write(`${JSON.stringify(message)}\n`, () => resolve());
    else if (process.send) process.send(message, () => resolve());
    else resolve();
  });
const onMessage = (handle: (message: Message) => void) => {
  if (!overStdio) return void process.on('message', handle);
  createInterface({ input: process.stdin }).on('line', (line) => handle(JSON.parse(line) as Message));
};

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
  await send({ type: 'drained', report, committed });
  process.exit(0);
});
tollgate.events.on('updated', (change) => send({ type: 'updated', change, at: Date.now() }));

type Message =
  | { id: number; type: 'check'; request: CheckRequest }
  | { id: number; type: 'metered'; request: EnterRequest; handlerMs?: number }
  | { id: number; type: 'burst'; request: EnterRequest; count: number }
  | { id: number; type: 'metrics' }
  | { id: number; type: 'close' };

onMessage(async (m: Message) => {
  if (m.type === 'check') send({ id: m.id, result: await tollgate.check(m.request) });
  else if (m.type === 'metered') send({ id: m.id, result: await metered(m.request, m.handlerMs ?? 0) });
  else if (m.type === 'burst') {
    const results = await Promise.all(Array.from({ length: m.count }, () => metered(m.request, 5)));
    send({ id: m.id, result: results.filter((r) => r.allowed).length });
  } else if (m.type === 'metrics') send({ id: m.id, result: tollgate.metrics() });
  else if (m.type === 'close') {
    const report = await tollgate.close();
    await store.disconnect().catch(() => {});
    await send({ id: m.id, result: { report, committed } });
    process.exit(0);
  }
});

await tollgate.ready();
/** The runtime this worker runs on, as it knows itself. */
const runtime = process.versions.bun ? 'bun' : 'Deno' in globalThis ? 'deno' : 'node';
send({ type: 'ready', runtime });
