/** What Tollgate takes as a customer or resource id, and the keys it makes of them. */
import { describe, expect, it } from 'vitest';
import { EntitlementCache } from '../src/cache/entitlement-cache.js';
import { createTollgate } from '../src/index.js';
import { resolveConfig } from '../src/options.js';
import { idFrom, idProblem, MAX_ID_LENGTH } from '../src/util/ids.js';

const quiet = { warn: () => {}, error: () => {} };

describe('ids', () => {
  it('takes strings, and numbers from a database as their decimal string; refuses what would merge two ids', () => {
    expect(idFrom('cust-1')).toBe('cust-1');
    expect(idFrom(42)).toBe('42');
    expect(idFrom(12345678901234567890n)).toBe('12345678901234567890');
    for (const none of [undefined, null, '']) expect(idFrom(none)).toBeNull();
    for (const bad of [
      true,
      ['a', 'b'],
      { id: 'a' },
      Number.NaN,
      'zz-\ud800',
      'zz-\udbff',
      'a\u0000b',
      'x'.repeat(MAX_ID_LENGTH + 1),
    ])
      expect(idFrom(bad)).toBeUndefined();
    expect(idProblem('zz-\ud800')).toContain('lone surrogate');
    expect(idProblem(['a'])).toBe('must be a string, got an array');
    expect(idFrom('x'.repeat(MAX_ID_LENGTH))).toHaveLength(MAX_ID_LENGTH);
  });

  it('makes distinct, short shared keys whatever the ids hold', () => {
    const cache = new EntitlementCache(
      resolveConfig({ apiKey: 'k', logger: quiet }),
      async () => ({ entitlements: {} }) as never,
      {} as never,
    );
    const keys = [
      cache.storeKey('c', null),
      cache.storeKey('c', '-'),
      cache.storeKey('c', 'none'),
      cache.storeKey('c}:-', null),
      cache.storeKey('c', ''),
      cache.storeKey('x'.repeat(MAX_ID_LENGTH), null),
      cache.storeKey('x'.repeat(MAX_ID_LENGTH), 'r'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of keys) expect(k.length).toBeLessThan(100);
    expect(
      new Set([cache.key('a', null), cache.key('a', 'b'), cache.key('ab', null), cache.key('a\u0001b', null)]).size,
    ).toBe(4);
  });

  it('check() refuses an id that is no id with INVALID_REQUEST, naming which', () => {
    const t = createTollgate({ apiKey: 'k', offline: true, logger: quiet });
    expect(() => t.check({ customerId: 'zz-\ud800', featureId: 'f' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('customerId must be well-formed'),
      }),
    );
    expect(() => t.check({ customerId: 'c', resourceId: 'r\u0000', featureId: 'f' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('resourceId must not contain NUL'),
      }),
    );
  });
});
