/**
 * Usage keeps flowing while Stigg fails in every way stigg-local can: 5xx for 12 s, timeouts, "apply, then drop
 * the connection", RateLimitExceeded. Stigg's count must equal the successful requests: 0 lost, 0 applied twice.
 */
import { expect, it } from 'vitest';
import { createTollgate } from '@tollgate/core';
import { startStiggLocal } from '@tollgate/stigg-local';
import { stiggUsage } from '../support/stigg.js';

const OUTAGE_MS = 12_000;

it('applies exactly the successful requests through every fault, backing off between attempts', async () => {
  const server = await startStiggLocal({ log: () => {} });
  const t = createTollgate({
    apiKey: 'server-tollgate-local',
    baseUrl: server.url,
    logger: { warn: () => {}, error: () => {} },
    timeoutMs: 500,
    maxAttempts: 2,
    usage: { flushIntervalMs: 200, retryMaxMs: 4_000, drainTimeoutMs: 30_000 },
  });
  await t.ready();
  let successes = 0;
  const traffic = async (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const m = await t.enter({ customerId: 'customer-pro', featureId: 'feature-api-calls' });
          if (m.allowed) await m.settle({ success: true });
          return m.allowed;
        }),
      );
      successes += batch.filter(Boolean).length;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Each fault is recovered from before the next: everything committed so far reaches Stigg. */
  const delivered = async (phase: string) => {
    const end = Date.now() + 20_000;
    while (t.metrics().usage.unitsDelivered < successes) {
      if (Date.now() > end)
        throw new Error(`${phase}: ${successes - t.metrics().usage.unitsDelivered} units not delivered`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    // 5xx for 12 s (test/fleet runs a minute of 500s under HTTP load in the slow suite).
    server.admin.resetStats();
    const outageStart = Date.now();
    server.admin.injectFault({ operations: ['reportUsageBulk'], status: 503, durationMs: OUTAGE_MS });
    await traffic(3_000);
    while (Date.now() - outageStart < OUTAGE_MS) await new Promise((r) => setTimeout(r, 250));
    await traffic(500);
    await delivered('5xx');
    const times = server.admin.callTimes('reportUsageBulk').filter((at) => at < outageStart + OUTAGE_MS);
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    console.info(
      `reportUsageBulk during the ${OUTAGE_MS / 1000} s outage: ${times.length} calls, gaps (ms): ${gaps.join(', ')}`,
    );
    expect(times.length).toBeLessThan(25); // no hammering: a fixed 200 ms interval would be ~60 calls
    expect(Math.max(...gaps)).toBeGreaterThan(1_000);

    // Timeouts: Stigg applies the report late, after the client gave up; the retry carries the same key.
    server.admin.injectFault({ operations: ['reportUsageBulk'], latencyMs: 1_500, count: 2 });
    await traffic(1_000);
    await delivered('timeouts');
    // Applied, then the connection dropped before the answer.
    server.admin.injectFault({ operations: ['reportUsageBulk'], dropAfterApply: true, count: 2 });
    await traffic(1_000);
    await delivered('dropped connections');
    // Rate limited.
    server.admin.injectFault({ operations: ['reportUsageBulk'], errorCode: 'RateLimitExceeded', count: 2 }); // each refusal slows the customer down by half again;
    await traffic(1_000);
    await delivered('rate limits');

    const report = await t.close();
    await new Promise((r) => setTimeout(r, 1_600)); // a late, timed-out report may still land: it must be refused as a duplicate
    const usage = await stiggUsage(server, 'customer-pro');
    const stats = server.admin.stats();
    console.info(
      `successful requests ${successes}, Stigg usage ${usage}, duplicates refused ${stats.usage.duplicates}, drain ${JSON.stringify(report)}`,
    );
    expect(successes).toBeGreaterThan(100);
    expect(usage).toBe(successes);
    expect(stats.usage.duplicates).toBeGreaterThan(0); // the faults did make the client repeat itself
    expect(report.dropped).toBe(0);
  } finally {
    await t.close();
    await server.close();
  }
}, 90_000);
