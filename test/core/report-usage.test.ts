/**
 * `reportUsage` against stigg-local over HTTP: DELTA (negative too) and SET, the new usage in the answer and in the
 * next decision at once, applied once whatever is repeated, paced under Stigg's per-customer write limit, and bad
 * input refused before anything is sent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTollgateError, type Tollgate } from '@tollgate/core';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { stiggLimits } from '../support/fleet/usage-run.js';
import { clientFactory, stiggUsage } from '../support/stigg.js';

let server: StiggLocal;
const clients = clientFactory(() => server);

beforeEach(async () => {
  server = await startStiggLocal({ log: () => {} });
});
afterEach(async () => {
  await clients.closeAll();
  await server.close();
});

/** customer-pro has 10 seats (a fluctuating feature). */
const seats = { customerId: 'customer-pro', featureId: 'feature-seats' };
/** The decision as a route would get it: synchronous when the cache answers. */
function decisionNow(t: Tollgate, requestedUsage = 1) {
  const d = t.check({ ...seats, requestedUsage });
  if (d instanceof Promise) throw new Error('the decision was not answered from the cache');
  return d;
}

describe('reportUsage', () => {
  it('a seat counter goes up and down; each answer carries the new usage and the next decision follows at once', async () => {
    // Paced under Stigg's 30 writes a minute for one customer: a report every 3 s at the default pacing.
    const t = await clients.make();
    expect((await t.check(seats)).currentUsage).toBe(0); // cached from here on
    const steps: [string, Parameters<Tollgate['reportUsage']>[0], number, boolean][] = [
      ['3 seats taken', { ...seats, value: 3 }, 3, true],
      ['one freed', { ...seats, value: -1 }, 2, true],
      ['set to 10 of 10', { ...seats, value: 10, updateBehavior: 'SET' }, 10, false],
      ['one freed', { ...seats, value: -1 }, 9, true],
    ];
    for (const [what, input, expected, seatLeft] of steps) {
      const ack = await t.reportUsage(input);
      expect(ack.currentUsage, what).toBe(expected);
      expect(ack).toMatchObject({ customerId: 'customer-pro', featureId: 'feature-seats', resourceId: null });
      expect(decisionNow(t), what).toMatchObject({ currentUsage: expected, hasAccess: seatLeft });
    }
    expect(await stiggUsage(server, 'customer-pro', 'feature-seats')).toBe(9);
  }, 20_000);

  it('a report whose answer was lost is sent again with its key and applied once', async () => {
    const t = await clients.make({ maxAttempts: 3 });
    server.admin.injectFault({ operations: ['reportUsage'], dropAfterApply: true, count: 1 });
    const ack = await t.reportUsage({ ...seats, value: 5 });
    expect(ack.currentUsage).toBe(5);
    expect(await stiggUsage(server, 'customer-pro', 'feature-seats')).toBe(5);
    // The caller's own key: a repeat of the same report changes nothing.
    const once = await t.reportUsage({ ...seats, value: 2, idempotencyKey: 'invite-42' });
    const again = await t.reportUsage({ ...seats, value: 2, idempotencyKey: 'invite-42' });
    expect([once.currentUsage, again.currentUsage]).toEqual([7, 7]);
    expect(await stiggUsage(server, 'customer-pro', 'feature-seats')).toBe(7);
  });

  it("paces one customer's reports under the per-customer write limit: none refused with emulation on", async () => {
    // Stigg's rates over a 6-second window (3 writes per customer in any 6 s); Tollgate's default pacing (20 a minute).
    server.admin.setRateLimits(stiggLimits(6_000));
    const t = await clients.make();
    const started = Date.now();
    const acks = await Promise.all(
      Array.from({ length: 4 }, (_, i) => t.reportUsage({ ...seats, value: 1, idempotencyKey: `pace-${i}` })),
    );
    const elapsed = Date.now() - started;
    expect(acks.map((a) => a.currentUsage).sort()).toEqual([1, 2, 3, 4]);
    expect(server.admin.stats().rateLimited.customerWrites).toBe(0);
    // Four writes 3 s apart (60 s / 20): the last goes out 9 s after the first.
    expect(elapsed).toBeGreaterThanOrEqual(8_900);
  }, 20_000);

  it('refuses bad input before sending, and passes on what Stigg refuses', async () => {
    const t = await clients.make();
    const refusal = async (input: unknown) => {
      try {
        await t.reportUsage(input as never);
        return 'accepted';
      } catch (err) {
        return isTollgateError(err) ? `${err.code}: ${err.message}` : String(err);
      }
    };
    expect(await refusal({ ...seats, value: Number.NaN })).toBe(
      'INVALID_REQUEST: reportUsage: value must be a finite number, got NaN',
    );
    expect(await refusal({ ...seats, value: -1, updateBehavior: 'SET' })).toMatch(/must not be negative/);
    expect(await refusal({ ...seats, value: 1, updateBehavior: 'ADD' })).toMatch(/updateBehavior must be/);
    expect(await refusal({ featureId: 'feature-seats', value: 1 })).toMatch(/customerId must be a string/);
    expect(server.admin.stats().calls.reportUsage ?? 0).toBe(0);
    // Stigg's own refusals: usage below zero, a feature that is not metered.
    expect(await refusal({ ...seats, value: -1 })).toMatch(/usage would become -1/);
    expect(await refusal({ ...seats, featureId: 'feature-analytics', value: 1 })).toMatch(/not metered/);
  });
});
