/**
 * A Tollgate client in its own process, driven over IPC: the "other instance" of multi-process tests and
 * benchmarks. argv: baseUrl redisUrl.
 */
import { createKeyv } from '@keyv/redis';
import { createTollgate, type CheckRequest } from '@tollgate/core';

const [baseUrl, redisUrl] = process.argv.slice(2);
const store = createKeyv(redisUrl!, { throwOnConnectError: false });
const tollgate = createTollgate({
  apiKey: 'server-tollgate-local',
  baseUrl: baseUrl!,
  cache: { store },
  logger: { warn: () => {}, error: () => {} },
});
tollgate.events.on('updated', (change) => process.send?.({ type: 'updated', change, at: Date.now() }));

type Message = { id: number; type: 'check'; request: CheckRequest } | { id: number; type: 'metrics' } | { id: number; type: 'close' };

process.on('message', async (m: Message) => {
  if (m.type === 'check') process.send?.({ id: m.id, result: await tollgate.check(m.request) });
  else if (m.type === 'metrics') process.send?.({ id: m.id, result: tollgate.metrics() });
  else if (m.type === 'close') {
    await tollgate.close();
    await store.disconnect().catch(() => {});
    process.send?.({ id: m.id, result: null });
    process.exit(0);
  }
});

await tollgate.ready();
process.send?.({ type: 'ready' });
