/** Refusals of the rate-limit emulation and the peak write rates in the stats, over real HTTP and as units. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { SlidingWindow } from '../src/control/sliding-window.js';
import { WriteStats } from '../src/control/write-stats.js';
import { gql, start } from './helpers.js';

let server: StiggLocal;
beforeEach(async () => {
  server = await start();
});
afterEach(() => server.close());

const BULK = `mutation B($input: ReportUsageBulkInput!) { reportUsageBulk(input: $input) { currentUsage } }`;
/** One reportUsageBulk call with one record per id given (repeats allowed), customers named in variables. */
const bulk = async (...customerIds: string[]) =>
  (
    await gql(server, BULK, {
      input: { usages: customerIds.map((customerId) => ({ customerId, featureId: 'feature-api-calls', value: 1 })) },
    })
  ).status;
const one = (alias: string, customerId: string) =>
  `${alias}: reportUsage(input: {customerId: "${customerId}", featureId: "feature-api-calls", value: 1}) { id }`;

const adminStats = async () => (await (await fetch(`${server.url}/_admin/stats`)).json()) as any;

const EMPTY = {
  rateLimited: { calls: {}, customerWrites: 0, byCustomer: {} },
  writes: { perCustomerMaxPerWindow: 0, busiestCustomer: null, callsMaxPerWindow: {} },
};

describe('rate-limit refusals and write peaks in the stats', () => {
  it('counts each refused call once, under the limit that refused it, and peaks over accepted calls only', async () => {
    // One window for the whole test: the figures are exact.
    server.admin.setRateLimits({
      enabled: true,
      windowMs: 20_000,
      perCustomerWrites: 3,
      perOperation: { reportUsageBulk: 8 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await bulk('customer-pro'));
    expect(statuses).toEqual([200, 200, 200, 429, 429]); // the 4th and 5th: customer-pro's limit
    // Named twice in one call: one write for customer-free.
    expect(await bulk('customer-free', 'customer-free', 'customer-enterprise')).toBe(200);
    expect(await bulk('customer-free')).toBe(200);
    expect(await bulk('customer-free')).toBe(200); // 8 reportUsageBulk calls so far (refused ones count too)
    expect(await bulk('customer-nosub')).toBe(429); // the operation's limit
    expect(await bulk('customer-pro')).toBe(429); // over both: the operation's limit is checked first
    // reportUsage is under its limit; customer-pro is not.
    expect((await gql(server, `mutation { ${one('a', 'customer-pro')} }`)).status).toBe(429);
    // customer-enterprise passes (and uses quota), customer-free is over: attributed to customer-free alone.
    const pair = await gql(server, `mutation { ${one('a', 'customer-enterprise')} ${one('b', 'customer-free')} }`);
    expect(pair.status).toBe(429);
    expect(pair.errors?.[0]?.message).toContain('customer-free');

    const expected = {
      calls: { reportUsageBulk: 10, reportUsage: 3 },
      rateLimited: {
        calls: { reportUsageBulk: 2 },
        customerWrites: 4,
        byCustomer: { 'customer-pro': 3, 'customer-free': 1 },
      },
      writes: {
        perCustomerMaxPerWindow: 3,
        busiestCustomer: 'customer-pro',
        callsMaxPerWindow: { reportUsageBulk: 6 },
      },
    };
    expect(server.admin.stats()).toMatchObject(expected);
    expect(await adminStats()).toMatchObject(expected);

    expect((await fetch(`${server.url}/_admin/stats`, { method: 'DELETE' })).status).toBe(200);
    expect(await adminStats()).toMatchObject(EMPTY);
  });

  it('counts write peaks with the emulation off, faulted calls included, and clears them on reset', async () => {
    server.admin.injectFault({ operations: ['reportUsageBulk'], status: 503, count: 1 });
    expect(await bulk('customer-pro')).toBe(503); // reached Stigg: it counts against Stigg's limits
    for (let i = 0; i < 3; i++) expect(await bulk('customer-pro', 'customer-free')).toBe(200);
    expect(await bulk('customer-free')).toBe(200);
    expect((await gql(server, `mutation { ${one('a', 'customer-free')} }`)).status).toBe(200);
    expect(server.admin.stats()).toMatchObject({
      rateLimited: EMPTY.rateLimited,
      writes: {
        perCustomerMaxPerWindow: 5,
        busiestCustomer: 'customer-free',
        callsMaxPerWindow: { reportUsageBulk: 5, reportUsage: 1 },
      },
    });
    server.admin.reset();
    expect(server.admin.stats()).toMatchObject(EMPTY);
  });
});

describe('WriteStats', () => {
  it('finds the busiest sliding window, not the busiest fixed one', () => {
    const w = new WriteStats();
    w.setWindow(1000);
    // Fixed 1 s windows from the first write would see 6, then 2; the window (1100, 2100] holds 7.
    for (const t of [1000, 1500, 1600, 1700, 1800, 1900, 2000, 2100])
      w.record(['reportUsageBulk'], ['c1'], 1_000_000 + t);
    expect(w.snapshot()).toEqual({
      perCustomerMaxPerWindow: 7,
      busiestCustomer: 'c1',
      callsMaxPerWindow: { reportUsageBulk: 7 },
    });
    w.record(['reportUsageBulk'], ['c2'], 1_003_000);
    expect(w.snapshot().perCustomerMaxPerWindow).toBe(7); // a running maximum
  });

  it('counts a call once per customer and per field however often it names them', () => {
    const w = new WriteStats();
    w.setWindow(1000);
    w.record(['a', 'a', 'b'], ['c1', 'c1', 'c2'], 5000);
    w.record(['a'], ['c2'], 5001);
    expect(w.snapshot()).toEqual({
      perCustomerMaxPerWindow: 2,
      busiestCustomer: 'c2',
      callsMaxPerWindow: { a: 2, b: 1 },
    });
  });

  it('keeps only customers written to within the window', () => {
    const w = new WriteStats();
    w.setWindow(1000);
    for (let i = 0; i < 1000; i++) w.record(['reportUsageBulk'], [`c${i}`], 10_000 + i);
    expect(w.trackedCustomers).toBe(1000);
    w.record(['reportUsageBulk'], ['late'], 13_000);
    expect(w.trackedCustomers).toBe(1);
    expect(w.snapshot()).toMatchObject({ perCustomerMaxPerWindow: 1, busiestCustomer: 'c0' });
  });

  it('restarts when the window length changes, not when it is set again', () => {
    const w = new WriteStats();
    w.setWindow(1000);
    w.record(['a'], ['c1'], 100);
    w.record(['a'], ['c1'], 200);
    w.setWindow(1000);
    expect(w.snapshot().perCustomerMaxPerWindow).toBe(2);
    w.setWindow(500);
    w.record(['a'], ['c2'], 300);
    expect(w.snapshot()).toEqual({ perCustomerMaxPerWindow: 1, busiestCustomer: 'c2', callsMaxPerWindow: { a: 1 } });
  });
});

describe('SlidingWindow', () => {
  it('holds only the arrivals inside the window, in bounded memory', () => {
    const w = new SlidingWindow();
    let n = 0;
    for (let t = 1; t <= 10_000; t++) n = w.add(t, 100);
    expect(n).toBe(100);
    expect(w.size).toBe(100);
    expect((w as unknown as { times: number[] }).times.length).toBeLessThanOrEqual(2 * 100 + 65);
    w.drop(20_000, 100);
    expect(w.size).toBe(0);
  });
});
