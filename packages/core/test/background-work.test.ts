/**
 * `backgroundWork()`, what a request hands to `waitUntil` on runtimes that stop its work with its response: it
 * delivers the usage committed so far, waiting for what the pacing holds back, within its bound, and never rejects.
 * On Node (this runtime) usage also goes on the outbox's interval, and `hasBackgroundWork` stays false.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Tollgate } from '../src/tollgate.js';
import { commit, FakeStigg, tollgateOver } from './support/fake-stigg.js';

const made: Tollgate[] = [];
afterEach(async () => {
  for (const t of made.splice(0)) await t.close();
});

/** No interval delivery within a test: only backgroundWork() (and close) sends usage. */
const noInterval = { usage: { flushIntervalMs: 3_600_000, customerWritesPerMinute: 30 } };

describe('backgroundWork', () => {
  it('resolves at once when nothing was committed', async () => {
    const fake = new FakeStigg();
    const tollgate = tollgateOver(fake, noInterval, made);
    const started = Date.now();
    await tollgate.backgroundWork();
    expect(Date.now() - started).toBeLessThan(100);
    expect(fake.reports).toEqual([]);
  });

  it('delivers what was committed before it resolves, waiting for the units the customer pacing held back', async () => {
    const fake = new FakeStigg();
    const tollgate = tollgateOver(fake, noInterval, made);
    await commit(tollgate);
    const first = tollgate.backgroundWork();
    await vi.waitFor(() => expect(fake.reports).toHaveLength(1)); // the first delivery's write is out
    await commit(tollgate, 2); // committed while the first call's delivery runs: the same customer, paced
    const second = tollgate.backgroundWork();
    await Promise.all([first, second]);
    expect(fake.reportedUnits).toBe(3);
    // 30 writes a minute for one customer: the second write came at least ~2 s after the first.
    expect(fake.reports).toHaveLength(2);
    expect(fake.reports[1]!.at - fake.reports[0]!.at).toBeGreaterThanOrEqual(1_700);
  });

  it('never rejects: with Stigg out of reach it gives up at its bound, and the next call delivers', async () => {
    const fake = new FakeStigg();
    // 30 s less timeoutMs and a 5 s margin: a 1 s bound.
    const tollgate = tollgateOver(fake, { ...noInterval, timeoutMs: 24_000 }, made);
    await commit(tollgate);
    fake.down = true;
    const started = Date.now();
    await expect(tollgate.backgroundWork()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.reports).toEqual([]);
    fake.down = false;
    await tollgate.backgroundWork();
    expect(fake.reportedUnits).toBe(1);
  });

  it('is not asked for on Node: hasBackgroundWork stays false, and the interval delivers', async () => {
    const fake = new FakeStigg();
    const tollgate = tollgateOver(fake, { usage: { flushIntervalMs: 50 } }, made);
    await commit(tollgate);
    expect(tollgate.hasBackgroundWork).toBe(false);
    const until = Date.now() + 5_000;
    while (fake.reportedUnits < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(fake.reportedUnits).toBe(1);
  });
});
