/**
 * Usage delivery within Stigg's limits, against stigg-local with its rate-limit emulation on and real app
 * processes under load: one busy customer on one process, and a fleet sharing Redis whose delivering process is
 * SIGKILLed. These runs use Stigg's rates over a 6 s window (30 writes a minute = 3 per 6 s), so a short run
 * meets the limits many times; `npm run test:slow` runs the same at Stigg's real one-minute window for minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { RedisServer } from '../support/redis.js';
import { fleetRun, mismatches, provisionCustomers, stiggLimits, stiggUsages } from '../support/fleet/usage-run.js';
import { fleetDeliveryHandover } from '../support/fleet/usage-scenarios.js';

const SLOW = process.env.TOLLGATE_SLOW === '1';
const WINDOW_MS = SLOW ? 60_000 : 6_000;
const limits = stiggLimits(WINDOW_MS);

let server: StiggLocal;
let redis: RedisServer;
beforeAll(async () => {
  server = await startStiggLocal({ log: () => {} });
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
  await server?.close();
});

describe("usage delivery within Stigg's limits", () => {
  it('one process, meter in memory, one busy customer and 20 others, then SIGTERM: exact, nothing refused or dropped', async () => {
    const customers = ['busy-1', ...Array.from({ length: 20 }, (_, i) => `ordinary-1-${i}`)];
    await provisionCustomers(server, customers);
    server.admin.setRateLimits(limits);
    server.admin.resetStats();
    const { ledger, drains, lagP99 } = await fleetRun({
      server,
      redisUrl: null,
      processes: 1,
      customers,
      busyShare: 0.5,
      rate: 240,
      durationMs: SLOW ? 180_000 : 14_000,
    });
    const stats = server.admin.stats();
    const usage = stiggUsages(server);
    console.info(
      `one process: ${ledger.requests} requests, ${ledger.total()} succeeded (busy: ${ledger.successes.get('busy-1')}); drain ${JSON.stringify(drains[0])}; ` +
        `reportUsageBulk ${stats.calls.reportUsageBulk}; refused ${JSON.stringify(stats.rateLimited)}; busiest customer ${stats.writes.perCustomerMaxPerWindow} writes per ${WINDOW_MS / 1000} s; lag p99 ${lagP99} ms`,
    );
    expect(ledger.successes.get('busy-1')! / (SLOW ? 180 : 14)).toBeGreaterThanOrEqual(SLOW ? 100 : 60); // the busy customer really is busy
    expect(ledger.count((s) => s >= 500)).toBe(0);
    expect(mismatches(ledger, usage, customers)).toEqual([]);
    expect(drains[0]).toMatchObject({ dropped: 0, persisted: 0 });
    expect(stats.rateLimited.customerWrites).toBe(0);
    expect(stats.rateLimited.calls.reportUsageBulk ?? 0).toBe(0);
    expect(stats.writes.perCustomerMaxPerWindow).toBeLessThanOrEqual(limits.perCustomerWrites);
  }, 300_000);

  it('a fleet sharing Redis: the fleet writes like one process, the delivering process is killed and replaced, totals exact', async () => {
    await fleetDeliveryHandover(server, redis.url, { slow: SLOW, prefix: 'fleet-' });
  }, 400_000);
});

describe('usage delivery through a long Stigg outage', () => {
  it('reportUsageBulk answers HTTP 500 for a long stretch under load, then recovers: Stigg counts exactly the successful requests', async () => {
    const customers = ['outage-busy', ...Array.from({ length: 10 }, (_, i) => `outage-${i}`)];
    await provisionCustomers(server, customers);
    server.admin.setRateLimits(limits);
    server.admin.resetStats();
    const outageMs = SLOW ? 60_000 : 6_000;
    const { ledger, drains } = await fleetRun({
      server,
      redisUrl: null,
      processes: 1,
      customers,
      busyShare: 0.3,
      rate: 150,
      durationMs: outageMs + (SLOW ? 30_000 : 8_000),
      before: async () => {
        server.admin.injectFault({ operations: ['reportUsageBulk'], status: 500, durationMs: outageMs });
      },
    });
    const stats = server.admin.stats();
    console.info(
      `500s for ${outageMs / 1000} s: ${ledger.total()} succeeded, reportUsageBulk ${stats.calls.reportUsageBulk}, drain ${JSON.stringify(drains[0])}, duplicates refused ${stats.usage.duplicates}`,
    );
    expect(ledger.count((s) => s >= 500)).toBe(0);
    expect(mismatches(ledger, stiggUsages(server), customers)).toEqual([]);
    expect(drains[0]).toMatchObject({ dropped: 0 });
  }, 300_000);
});
