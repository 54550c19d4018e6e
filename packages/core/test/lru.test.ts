import { describe, expect, it } from 'vitest';
import { BoundedLru } from '../src/cache/lru.js';

describe('bounded LRU', () => {
  it('evicts the least recently used entry first', () => {
    const lru = new BoundedLru<number>(3, 1_000);
    lru.set('a', 1, 1);
    lru.set('b', 2, 1);
    lru.set('c', 3, 1);
    lru.get('a');
    lru.set('d', 4, 1);
    expect([...lru.keys()].sort()).toEqual(['a', 'c', 'd']);
    expect(lru.evictions).toBe(1);
  });

  it('is bounded by bytes too, and skips an entry larger than the budget', () => {
    const lru = new BoundedLru<string>(100, 10);
    lru.set('a', 'x', 4);
    lru.set('b', 'y', 4);
    lru.set('c', 'z', 4);
    expect(lru.totalBytes).toBeLessThanOrEqual(10);
    expect(lru.get('a')).toBeUndefined();
    lru.set('huge', 'w', 11);
    expect(lru.get('huge')).toBeUndefined();
  });

  it('terminates when every entry was used', () => {
    const lru = new BoundedLru<number>(2, 1_000);
    lru.set('a', 1, 1);
    lru.set('b', 2, 1);
    lru.get('a');
    lru.get('b');
    lru.set('c', 3, 1);
    expect(lru.size).toBe(2);
    expect(lru.get('c')).toBe(3);
  });
});
