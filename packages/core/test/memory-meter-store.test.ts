import { describe, expect, it } from 'vitest';
import { MemoryMeterStore } from '../src/usage/memory-meter-store.js';

const key = (customerId: string) => ({ customerId, resourceId: null, featureId: 'f' });
const reserve = (s: MemoryMeterStore, customerId: string, id: string, over: Record<string, unknown> = {}) =>
  s.reserve({ key: key(customerId), reservationId: id, units: 1, limit: 3, cachedUsage: 0, periodStart: null, idempotencyKey: null, ttlMs: 60_000, ...over });

describe('memory meter store', () => {
  it('enforces the limit on Stigg usage + reserved + unreported', async () => {
    const s = new MemoryMeterStore();
    expect((await reserve(s, 'c', 'a', { cachedUsage: 1 })).status).toBe('reserved');
    await s.commit(key('c'), 'a', 1, null, 1);
    expect((await reserve(s, 'c', 'b', { cachedUsage: 1 })).status).toBe('reserved');
    expect(await reserve(s, 'c', 'x', { cachedUsage: 1 })).toEqual({ status: 'denied', usage: 3 });
    expect(s.localOverlay(key('c'))).toBe(2);
  });

  it('frees reservations that were never settled once they expire', async () => {
    const s = new MemoryMeterStore();
    await reserve(s, 'c', 'a', { units: 3, ttlMs: 20 });
    expect((await reserve(s, 'c', 'b')).status).toBe('denied');
    await new Promise((r) => setTimeout(r, 30));
    expect((await reserve(s, 'c', 'b')).status).toBe('reserved');
  });

  it('seals one record per counter per flush and forgets it once acknowledged', async () => {
    const s = new MemoryMeterStore();
    for (const id of ['a', 'b']) {
      await reserve(s, 'c', id, { limit: null });
      await s.commit(key('c'), id, 1, null, 1);
    }
    const [record, ...rest] = await s.takeBatch(100, true, 0);
    expect(rest).toEqual([]);
    expect(record).toMatchObject({ customerId: 'c', units: 2 });
    await reserve(s, 'c', 'd', { limit: null });
    await s.commit(key('c'), 'd', 1, null, 1);
    expect(await s.takeBatch(100, false, 0)).toEqual([record]); // sealed records wait; new units wait for the next flush
    await s.acknowledge(record!, 2, null);
    expect(await s.pendingUnits()).toBe(1);
  });

  it('seals a counter at most once per interval', async () => {
    const s = new MemoryMeterStore();
    const commit = async (id: string) => {
      await reserve(s, 'c', id, { limit: null });
      await s.commit(key('c'), id, 1, null, 1);
    };
    await commit('a');
    expect(await s.takeBatch(100, true, 1_000)).toHaveLength(1);
    await commit('b');
    expect(await s.takeBatch(100, true, 1_000)).toHaveLength(1); // only the first record: 'b' waits for the interval
    expect(await s.takeBatch(100, true, 0)).toHaveLength(2);
  });

  it('is bounded: past maxKeys counters with unreported usage, new usage is dropped and counted', async () => {
    const s = new MemoryMeterStore(2);
    for (const c of ['a', 'b', 'c']) {
      await reserve(s, c, c, { limit: null });
      await s.commit(key(c), c, 5, null, 1);
    }
    expect(s.dropped).toBe(5);
    expect(await s.pendingUnits()).toBe(10);
  });

  it('remembers committed request keys', async () => {
    const s = new MemoryMeterStore();
    await reserve(s, 'c', 'a', { idempotencyKey: 'k' });
    await s.commit(key('c'), 'a', 1, 'k', 1);
    expect((await reserve(s, 'c', 'b', { idempotencyKey: 'k' })).status).toBe('duplicate');
  });
});
