/** Metered usage in one process, against stigg-local: never overshoots, never lost, never counted twice. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { clientFactory, stiggUsage as usageAt } from '../support/stigg.js';

let server: StiggLocal;
const clients = clientFactory(() => server);
const client = clients.make;
const stiggUsage = (customerId: string, featureId: string) => usageAt(server, customerId, featureId);

beforeEach(async () => {
  server = await startStiggLocal({ log: () => {} });
});
afterEach(async () => {
  await clients.closeAll();
  await server.close();
});

const request = { customerId: 'customer-free', featureId: 'feature-api-calls' };

describe('usage meter', () => {
  it('allows exactly the units left to 400 concurrent requests, and reports them once', async () => {
    const t = await client();
    const results = await Promise.all(
      Array.from({ length: 400 }, async () => {
        const m = await t.enter(request);
        if (m.allowed) {
          await new Promise((r) => setTimeout(r, 5));
          await m.settle({ success: true });
        }
        return m;
      }),
    );
    expect(results.filter((m) => m.allowed)).toHaveLength(100);
    expect(results.find((m) => !m.allowed)?.decision).toMatchObject({
      hasAccess: false,
      reason: 'RequestedUsageExceedingLimit',
    });
    expect(await t.close()).toEqual({ delivered: 100, persisted: 0, dropped: 0 });
    expect(await stiggUsage('customer-free', 'feature-api-calls')).toBe(100);
  });

  it('counts reserved and unreported units in check()', async () => {
    const t = await client({ usage: { flushIntervalMs: 60_000 } });
    server.admin.setUsage('customer-free', 'feature-api-calls', 95);
    await new Promise((r) => setTimeout(r, 50));
    const held = await t.enter({ ...request, units: 3 });
    expect(held.allowed).toBe(true);
    expect(await t.check({ ...request, requestedUsage: 2 })).toMatchObject({ hasAccess: true, currentUsage: 98 });
    expect(await t.check({ ...request, requestedUsage: 3 })).toMatchObject({
      hasAccess: false,
      reason: 'RequestedUsageExceedingLimit',
    });
    await held.settle({ success: true });
    expect(await t.check({ ...request, requestedUsage: 3 })).toMatchObject({ hasAccess: false, currentUsage: 98 });
    await t.flushUsage();
    expect(await t.check({ ...request })).toMatchObject({ currentUsage: 98 }); // Stigg's count now, overlay gone
    expect(await stiggUsage('customer-free', 'feature-api-calls')).toBe(98);
  });

  it('reports nothing for a failed handler or an aborted request, and frees the units', async () => {
    const t = await client();
    server.admin.setUsage('customer-free', 'feature-api-calls', 99);
    await new Promise((r) => setTimeout(r, 50));
    const failed = await t.enter(request);
    expect(failed.allowed).toBe(true);
    expect((await t.enter(request)).allowed).toBe(false); // the last unit is reserved
    await failed.settle({ success: false });
    const again = await t.enter(request);
    expect(again.allowed).toBe(true);
    await again.settle({ success: false });
    await again.settle({ success: true }); // only the first settle counts
    await t.close();
    expect(server.admin.stats().calls.reportUsageBulk ?? 0).toBe(0);
    expect(await stiggUsage('customer-free', 'feature-api-calls')).toBe(99);
  });

  it('counts a retried request (same idempotency key) once', async () => {
    const t = await client();
    for (let i = 0; i < 3; i++) {
      const m = await t.enter({ ...request, idempotencyKey: 'req-42' });
      expect(m.allowed).toBe(true);
      expect(m.duplicate).toBe(i > 0);
      await m.settle({ success: true });
    }
    await t.close();
    expect(await stiggUsage('customer-free', 'feature-api-calls')).toBe(1);
  });

  it('a key in flight is refused, a released one runs again, a committed one gives back its recorded response', async () => {
    const t = await client();
    const first = await t.enter({ ...request, idempotencyKey: 'k-flight' });
    const during = await t.enter({ ...request, idempotencyKey: 'k-flight' });
    expect([during.allowed, during.inFlight]).toEqual([false, true]);
    await first.settle({ success: false });
    const second = await t.enter({ ...request, idempotencyKey: 'k-flight' });
    expect([second.allowed, second.inFlight, second.duplicate]).toEqual([true, false, false]);
    const response = {
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"id":7}').toString('base64'),
    };
    await second.settle({ success: true, response });
    const retry = await t.enter({ ...request, idempotencyKey: 'k-flight' });
    expect([retry.allowed, retry.duplicate, retry.replay]).toEqual([true, true, response]);
    await t.close();
    expect(await stiggUsage('customer-free', 'feature-api-calls')).toBe(1);
  });

  it('releases, reports nothing and says why when the units to commit are not a number', async () => {
    const t = await client();
    const m = await t.enter({ customerId: 'customer-pro', featureId: 'feature-api-calls' });
    await expect(m.settle({ success: true, units: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(t.metrics().usage.inflight).toBe(0);
    await t.close();
    expect(await stiggUsage('customer-pro', 'feature-api-calls')).toBe(0);
  });

  it('counts a retry again when the first attempt was released (failed), once when it was committed', async () => {
    const t = await client();
    const first = await t.enter({ ...request, idempotencyKey: 'k-1' });
    await first.settle({ success: true });
    expect((await t.enter({ ...request, idempotencyKey: 'k-1' })).duplicate).toBe(true);
    const failed = await t.enter({ ...request, idempotencyKey: 'k-2' });
    await failed.settle({ success: false });
    const again = await t.enter({ ...request, idempotencyKey: 'k-2' });
    expect(again.duplicate).toBe(false);
    await again.settle({ success: true });
    await t.close();
    expect(await stiggUsage('customer-free', 'feature-api-calls')).toBe(2);
  });

  it('commits the actual units when they differ from the reservation', async () => {
    const t = await client();
    const m = await t.enter({ customerId: 'customer-pro', featureId: 'feature-api-calls', units: 1 });
    await m.settle({ success: true, units: 17 });
    await t.close();
    expect(await stiggUsage('customer-pro', 'feature-api-calls')).toBe(17);
  });

  it('reports early once maxBatch records wait, without waiting for the interval', async () => {
    const t = await client({ usage: { flushIntervalMs: 60_000, maxBatch: 10 } });
    for (let i = 0; i < 10; i++)
      await t.provisionCustomer({ customerId: `early-${i}`, subscriptionParams: { planId: 'plan-free' } });
    server.admin.resetStats();
    for (let i = 0; i < 10; i++) {
      const m = await t.enter({ customerId: `early-${i}`, featureId: 'feature-api-calls' });
      await m.settle({ success: true });
    }
    const end = Date.now() + 2_000;
    while ((server.admin.stats().calls.reportUsageBulk ?? 0) === 0 && Date.now() < end)
      await new Promise((r) => setTimeout(r, 10));
    expect(server.admin.stats()).toMatchObject({ calls: { reportUsageBulk: 1 }, usage: { applied: 10 } });
  });

  it('reports 10,000 requests as one record per flush interval, and Stigg counts exactly 10,000', async () => {
    const t = await client({ usage: { flushIntervalMs: 250 } });
    server.admin.resetStats();
    const started = Date.now();
    let allowed = 0;
    for (let batch = 0; batch < 100; batch++) {
      const results = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const m = await t.enter({ customerId: 'customer-pro', featureId: 'feature-api-calls' });
          if (m.allowed) await m.settle({ success: true });
          return m.allowed;
        }),
      );
      allowed += results.filter(Boolean).length;
    }
    const elapsed = Date.now() - started;
    await t.close();
    expect(allowed).toBe(10_000);
    expect(await stiggUsage('customer-pro', 'feature-api-calls')).toBe(10_000);
    const stats = server.admin.stats();
    const records = stats.usage.applied;
    const intervals = Math.ceil(elapsed / 250) + 1;
    console.info(
      `10,000 metered requests in ${elapsed} ms: ${records} usage records in ${stats.calls.reportUsageBulk} reportUsageBulk calls (flush every 250 ms)`,
    );
    expect(records).toBeLessThanOrEqual(intervals + 1); // one record per customer/feature per flush, plus the drain
    expect(stats.usage.duplicates).toBe(0);
  });
});
