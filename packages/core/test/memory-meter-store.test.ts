import { describe, expect, it } from 'vitest';
import { ExpiringKeys } from '../src/usage/expiring-keys.js';
import { MemoryMeterStore } from '../src/usage/memory-meter-store.js';

const key = (customerId: string, featureId = 'f') => ({ customerId, resourceId: null, featureId });
const reserve = (s: MemoryMeterStore, customerId: string, id: string, over: Record<string, unknown> = {}) =>
  s.reserve({
    key: key(customerId),
    reservationId: id,
    units: 1,
    limit: 3,
    cachedUsage: 0,
    period: null,
    idempotencyKey: null,
    ttlMs: 60_000,
    ...over,
  });
const claim = { shared: false, token: 0, now: 0, minSpacingMs: 0 };

describe('memory meter store', () => {
  it('enforces the limit on Stigg usage + reserved + unreported', async () => {
    const s = new MemoryMeterStore();
    expect((await reserve(s, 'c', 'a', { cachedUsage: 1 })).status).toBe('reserved');
    await s.commit(key('c'), 'a', 1, null, 1);
    expect((await reserve(s, 'c', 'b', { cachedUsage: 1 })).status).toBe('reserved');
    expect(await reserve(s, 'c', 'x', { cachedUsage: 1 })).toEqual({ status: 'denied', usage: 3 });
    expect(s.localOverlay(key('c'))).toBe(2);
  });

  it('a store that hands keys on (the Redis meter while Redis is down) writes keyed units itself only at close', async () => {
    const s = new MemoryMeterStore(100, Date.now, true);
    await reserve(s, 'c', 'a', { idempotencyKey: 'k-1' });
    await s.commit(key('c'), 'a', 1, 'k-1', 1);
    await reserve(s, 'c', 'b');
    await s.commit(key('c'), 'b', 1, null, 1);
    const [plain] = await s.claim([key('c')], claim);
    expect(plain).toMatchObject({ units: 1 }); // the keyed unit waits for Redis, where its key is checked
    await s.acknowledge(plain!, null, null);
    expect(await s.claim([key('c')], claim)).toEqual([]);
    expect(s.takeOpen()).toMatchObject([{ units: 1, requests: [{ idempotencyKey: 'k-1', units: 1 }] }]);

    await reserve(s, 'c', 'c', { idempotencyKey: 'k-2' });
    await s.commit(key('c'), 'c', 1, 'k-2', 1);
    expect(await s.claim([key('c')], { ...claim, final: true })).toMatchObject([{ units: 1 }]); // at close: written
  });

  it('frees reservations that were never settled once they expire', async () => {
    let now = 1_000;
    const s = new MemoryMeterStore(100, () => now);
    await reserve(s, 'c', 'a', { units: 3, ttlMs: 20 });
    expect((await reserve(s, 'c', 'b')).status).toBe('denied');
    now += 30;
    expect((await reserve(s, 'c', 'b')).status).toBe('reserved');
  });

  it('seals everything open into one record per counter at claim time; a sealed record is claimed again as it is', async () => {
    const s = new MemoryMeterStore();
    for (const id of ['a', 'b']) {
      await reserve(s, 'c', id, { limit: null });
      await s.commit(key('c'), id, 1, null, 1);
    }
    expect(await s.pendingKeys()).toEqual([key('c')]);
    const [record, ...rest] = await s.claim([key('c')], claim);
    expect(rest).toEqual([]);
    expect(record).toMatchObject({ customerId: 'c', units: 2, fresh: true });
    await reserve(s, 'c', 'd', { limit: null });
    await s.commit(key('c'), 'd', 1, null, 1);
    // The first record's outcome is unknown (no answer yet): it goes again with its key; the new unit waits.
    const again = await s.claim([key('c')], claim);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ id: record!.id, units: 2 });
    expect(again[0]!.fresh).toBeUndefined();
    await s.acknowledge(record!, 2, null);
    expect((await s.pendingUnits()).local).toBe(1);
    expect(await s.claim([key('c')], claim)).toEqual([expect.objectContaining({ units: 1, fresh: true })]);
  });

  it('unseals a refused record: its units merge into the next record', async () => {
    const s = new MemoryMeterStore();
    await reserve(s, 'c', 'a', { limit: null });
    await s.commit(key('c'), 'a', 2, null, 1);
    const [refused] = await s.claim([key('c')], claim);
    await reserve(s, 'c', 'b', { limit: null });
    await s.commit(key('c'), 'b', 3, null, 1);
    await s.unseal(refused!);
    const next = await s.claim([key('c')], claim);
    expect(next).toHaveLength(1);
    expect(next[0]).toMatchObject({ units: 5, since: refused!.since });
    expect(next[0]!.id).not.toBe(refused!.id);
    expect(s.localOverlay(key('c'))).toBe(5);
  });

  it('is bounded: past maxKeys counters with unreported usage, new usage is dropped and counted', async () => {
    const s = new MemoryMeterStore(2);
    for (const c of ['a', 'b', 'c']) {
      await reserve(s, c, c, { limit: null });
      await s.commit(key(c), c, 5, null, 1);
    }
    expect(s.dropped).toBe(5);
    expect((await s.pendingUnits()).local).toBe(10);
  });

  it('remembers committed request keys per counter: another feature or customer with the same key is another request', async () => {
    const s = new MemoryMeterStore();
    await reserve(s, 'c', 'a', { idempotencyKey: 'k' });
    await s.commit(key('c'), 'a', 1, 'k', 1);
    expect((await reserve(s, 'c', 'b', { idempotencyKey: 'k' })).status).toBe('duplicate');
    expect((await reserve(s, 'other', 'c', { idempotencyKey: 'k' })).status).toBe('reserved');
    expect(
      (
        await s.reserve({
          key: key('c', 'g'),
          reservationId: 'd',
          units: 1,
          limit: null,
          cachedUsage: 0,
          period: null,
          idempotencyKey: 'k',
          ttlMs: 1000,
        })
      ).status,
    ).toBe('reserved');
  });

  it("hands on the keys of requests committed here with their counter's open units; once sealed, only their keys", async () => {
    const s = new MemoryMeterStore(100, Date.now, true);
    for (const [id, k] of [
      ['a', 'k1'],
      ['b', null],
      ['c', 'k2'],
    ] as const) {
      await reserve(s, 'c', id, { idempotencyKey: k });
      await s.commit(key('c'), id, 1, k, 1);
    }
    const [open] = s.takeOpen();
    expect(open).toMatchObject({
      units: 3,
      requests: [
        { idempotencyKey: 'k1', units: 1 },
        { idempotencyKey: 'k2', units: 1 },
      ],
    });
    expect(s.takeOpen()).toEqual([]);
    s.restoreOpen(open!);
    await s.claim([key('c')], { ...claim, final: true }); // sent from here at close: the units go with the record
    expect(s.takeOpen()).toMatchObject([
      {
        units: 0,
        requests: [
          { idempotencyKey: 'k1', units: 0 },
          { idempotencyKey: 'k2', units: 0 },
        ],
      },
    ]);
    expect(new MemoryMeterStore().takeOpen()).toEqual([]);
  });
});

describe('expiring request keys', () => {
  it('expire by time and stay bounded in count, oldest first', () => {
    let now = 0;
    const keys = new ExpiringKeys(1_000, 3, () => now);
    keys.add('a');
    now = 500;
    keys.add('b');
    expect(keys.has('a')).toBe(true);
    now = 1_000;
    expect(keys.has('a')).toBe(false);
    keys.add('c');
    expect(keys.size).toBe(2); // 'a' expired and was dropped as 'c' came in
    keys.add('d');
    keys.add('e');
    expect(keys.size).toBe(3);
    expect(keys.has('b')).toBe(false); // the oldest went to make room
    expect(keys.has('e')).toBe(true);
  });

  it('costs the same per add however many keys it holds, and long keys take little memory', () => {
    const keys = new ExpiringKeys(60_000, 200_000);
    const time = (n: number) => {
      const start = performance.now();
      for (let i = 0; i < n; i++) keys.add(`k-${keys.size}-${i}`);
      return performance.now() - start;
    };
    time(100_000);
    const late = time(10_000);
    const fresh = new ExpiringKeys(60_000, 200_000);
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) fresh.add(`k-${i}`);
    const early = performance.now() - start;
    expect(late).toBeLessThan(early * 20 + 50); // a scan per add would be ~10,000x slower here
    const big = new ExpiringKeys(60_000, 10);
    big.add('x'.repeat(8_192));
    expect(big.has('x'.repeat(8_192))).toBe(true);
  });
});
