/** A connection that stays open but stops answering (half-open) is detected by the keepalive and replaced. */
import { expect, it } from 'vitest';
import { createTollgate } from '@tollgate/core';
import { startStiggLocal } from '@tollgate/stigg-local';

it('detects a silent stream, reconnects and is pushed to again', async () => {
  const server = await startStiggLocal({ log: () => {} });
  const warnings: string[] = [];
  const t = createTollgate({
    apiKey: 'server-tollgate-local',
    baseUrl: server.url,
    logger: { warn: (m) => warnings.push(m), error: () => {} },
    stream: { keepAliveMs: 300, pongTimeoutMs: 300, reconnectBaseMs: 50, reconnectMaxMs: 200 },
  });
  try {
    await t.ready();
    expect((await t.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess).toBe(false);
    expect(server.admin.stallStreams(3_000)).toBe(1);
    const deadline = Date.now() + 5_000;
    while (t.metrics().streamConnects < 2) {
      if (Date.now() > deadline) throw new Error('the silent stream was not replaced');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(warnings.join('\n')).toMatch(/did not answer a ping/);
    server.admin.setPlan('customer-free', 'plan-pro');
    const pushDeadline = Date.now() + 3_000;
    while (!(await t.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess) {
      if (Date.now() > pushDeadline) throw new Error('no push on the new connection');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await t.close();
    await server.close();
  }
});
