/** The tiered cache with fakes for Stigg and the store (the boundary under test is the cache itself). */
import { describe, expect, it } from 'vitest';
import { EntitlementCache } from '../src/cache/entitlement-cache.js';
import type { EntitlementSet } from '../src/decision/types.js';
import { newMetrics } from '../src/events.js';
import { resolveConfig, type KeyvLike } from '../src/options.js';

const quiet = { warn: () => {}, error: () => {} };
const set = (limit: number): EntitlementSet => ({
  entitlements: {
    f: {
      featureId: 'f',
      featureType: 'NUMBER',
      meterType: 'Incremental',
      accessDeniedReason: null,
      usageLimit: limit,
      hasUnlimitedUsage: false,
      hasSoftLimit: false,
      enumValues: [],
      currentUsage: 0,
      resetPeriod: null,
      usagePeriodAnchor: null,
      usagePeriodStart: null,
      usagePeriodEnd: null,
      validUntil: null,
    },
  },
});

class MapStore implements KeyvLike {
  map = new Map<string, unknown>();
  fail = false;
  hang = false;
  calls = 0;
  private guard<T>(v: T): Promise<T> {
    this.calls += 1;
    if (this.hang) return new Promise(() => {});
    return this.fail ? Promise.reject(new Error('connection refused')) : Promise.resolve(v);
  }
  get(key: string) {
    return this.guard(this.map.get(key));
  }
  set(key: string, value: unknown) {
    return this.guard(this.map.set(key, structuredClone(value)));
  }
  delete(key: string) {
    return this.guard(this.map.delete(key));
  }
}

function setup(store?: MapStore, fetchImpl?: () => Promise<EntitlementSet>) {
  let fetches = 0;
  const fetch = async () => {
    fetches += 1;
    await new Promise((r) => setTimeout(r, 5));
    return fetchImpl ? fetchImpl() : set(10);
  };
  const config = resolveConfig({
    apiKey: 'k',
    logger: quiet,
    cache: { store, storeTimeoutMs: 50, freshForWhileDisconnectedMs: 1_000, maxEntries: 3 },
  });
  const cache = new EntitlementCache(config, fetch, newMetrics());
  return { cache, fetches: () => fetches };
}

describe('entitlement cache', () => {
  it('makes one fetch for many concurrent misses of one key', async () => {
    const { cache, fetches } = setup();
    const key = cache.key('c', null);
    await Promise.all(Array.from({ length: 100 }, () => cache.load(key, 'c', null)));
    expect(fetches()).toBe(1);
    expect(cache.lookup(key, Date.now())?.fresh).toBe(true);
  });

  it('never lets a load that started before a push replace the pushed data', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { cache } = setup(undefined, async () => {
      await gate;
      return set(1); // old data
    });
    const key = cache.key('c', null);
    const loading = cache.load(key, 'c', null);
    cache.applyPush('c', null, set(99));
    release();
    const result = await loading;
    expect(result.set.entitlements.f?.usageLimit).toBe(99);
    expect(cache.lookup(key, Date.now())?.entry.set.entitlements.f?.usageLimit).toBe(99);
  });

  it("dropping a customer drops its resources' entries too, not another customer's", async () => {
    const { cache } = setup();
    for (const [c, r] of [
      ['c', null],
      ['c', 'r1'],
      ['cc', 'r1'],
    ] as const)
      await cache.load(cache.key(c, r), c, r);
    await cache.dropCustomer('c');
    expect(cache.lookup(cache.key('c', null), Date.now())).toBeFalsy();
    expect(cache.lookup(cache.key('c', 'r1'), Date.now())).toBeFalsy();
    expect(cache.lookup(cache.key('cc', 'r1'), Date.now())).toBeTruthy();
  });

  it('shares entries through the store and reads them instead of Stigg', async () => {
    const store = new MapStore();
    const a = setup(store);
    await a.cache.load(a.cache.key('c', null), 'c', null);
    await new Promise((r) => setTimeout(r, 20));
    const b = setup(store);
    await b.cache.load(b.cache.key('c', null), 'c', null);
    expect(a.fetches()).toBe(1);
    expect(b.fetches()).toBe(0);
  });

  it('goes on without a failing or hanging store, and skips it for a while after a failure', async () => {
    const store = new MapStore();
    store.hang = true;
    const { cache, fetches } = setup(store);
    const t = Date.now();
    await cache.load(cache.key('c', null), 'c', null);
    expect(Date.now() - t).toBeLessThan(500);
    expect(fetches()).toBe(1);
    expect(cache.l2Errors).toBeGreaterThanOrEqual(1);
    const callsBefore = store.calls;
    await cache.load(cache.key('d', null), 'd', null);
    expect(store.calls).toBe(callsBefore); // skipped while marked down
    store.hang = false;
    store.fail = true;
    await expect(cache.load(cache.key('e', null), 'e', null)).resolves.toBeDefined();
  });

  it('treats everything as stale after invalidateAll, and by age while the stream is down', async () => {
    const { cache } = setup();
    const key = cache.key('c', null);
    await cache.load(key, 'c', null);
    cache.streamConnected = true;
    expect(cache.lookup(key, Date.now())?.fresh).toBe(true);
    cache.invalidateAll();
    expect(cache.lookup(key, Date.now() + 1)?.fresh).toBe(false);
    await cache.load(key, 'c', null);
    cache.streamConnected = false;
    expect(cache.lookup(key, Date.now() + 2_000)?.fresh).toBe(false);
  });

  it('leaves an answer to a fetch started before invalidateAll to be confirmed again (events may have been missed)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { cache, fetches } = setup(undefined, async () => {
      await gate;
      return set(1);
    });
    cache.streamConnected = true;
    const key = cache.key('c', null);
    const loading = cache.load(key, 'c', null);
    await new Promise((r) => setTimeout(r, 20));
    cache.invalidateAll(); // the stream reconnected while Stigg was answering
    await new Promise((r) => setTimeout(r, 5));
    release();
    await loading;
    expect(fetches()).toBe(1);
    expect(cache.lookup(key, Date.now())?.fresh).toBe(false);
  });

  it('is bounded by entries', async () => {
    const { cache } = setup();
    for (const c of ['a', 'b', 'c', 'd']) await cache.load(cache.key(c, null), c, null);
    expect(cache.size).toBe(3);
    expect(cache.lookup(cache.key('a', null), Date.now())).toBeUndefined();
  });

  it('patches usage pushes into cached entries', async () => {
    const { cache } = setup();
    const key = cache.key('c', null);
    await cache.load(key, 'c', null);
    cache.applyUsage('c', null, 'f', { currentUsage: 7, usagePeriodStart: null, usagePeriodEnd: null });
    expect(cache.lookup(key, Date.now())?.entry.set.entitlements.f?.currentUsage).toBe(7);
  });
});
