/** With debug logging on and every kind of failure, the API key appears in no log line, error or event. */
import { expect, it } from 'vitest';
import { createTollgate, isTollgateError } from '@tollgate/core';
import { startStiggLocal } from '@tollgate/stigg-local';

const KEY = 'server-SECRET-7f3a9c-tollgate-test-key';

it('never logs, throws or emits the API key', async () => {
  const server = await startStiggLocal({ log: () => {}, apiKeys: [KEY] });
  const seen: string[] = [];
  const record = (x: unknown) =>
    seen.push(typeof x === 'string' ? x : (JSON.stringify(x, Object.getOwnPropertyNames(x ?? {})) ?? String(x)));
  const logger = { debug: record, info: record, warn: record, error: record };
  const t = createTollgate({
    apiKey: KEY,
    baseUrl: server.url,
    debug: true,
    logger,
    maxAttempts: 2,
    timeoutMs: 500,
    stream: { reconnectMaxMs: 200 },
  });
  for (const event of ['decision', 'denied', 'fallback', 'stream', 'updated', 'error'] as const) {
    t.events.on(event, (...args: unknown[]) => args.forEach(record));
  }
  await t.ready();
  await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
  await t.check({ customerId: 'customer-free', featureId: 'feature-analytics' });
  server.admin.setPlan('customer-free', 'plan-pro');
  server.admin.dropStreams();
  server.admin.injectFault({ status: 503, count: 4 });
  await t.check({ customerId: 'customer-enterprise', featureId: 'feature-seats' });
  server.admin.injectFault({ errorCode: 'Unauthenticated', count: 1 });
  await t.provisionCustomer({ customerId: 'x' }).catch((err) => {
    expect(isTollgateError(err)).toBe(true);
    record(err);
    record(err.cause);
  });
  await new Promise((r) => setTimeout(r, 500));
  await t.close();

  const bad = createTollgate({ apiKey: `${KEY}-wrong`, baseUrl: server.url, debug: true, logger });
  await bad.ready().catch(record);
  await new Promise((r) => setTimeout(r, 200));
  await bad.close();
  await server.close();

  expect(seen.length).toBeGreaterThan(10);
  expect(seen.filter((line) => line.includes('SECRET'))).toEqual([]);
});
