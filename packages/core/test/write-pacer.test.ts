import { describe, expect, it } from 'vitest';
import { WritePacer } from '../src/usage/write-pacer.js';

describe('write pacer', () => {
  it('spaces each customer 60 s / limit apart, so no minute holds more than the limit', () => {
    let now = 0;
    const pacer = new WritePacer({ customerWritesPerMinute: 20, bulkCallsPerMinute: 600 }, () => now);
    const writes: number[] = [];
    for (now = 0; now < 180_000; now += 100) {
      if (pacer.customerReadyAt('busy') <= now) {
        pacer.sent(['busy']);
        writes.push(now);
      }
    }
    for (const start of writes)
      expect(writes.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(20);
    expect(writes.length).toBeGreaterThanOrEqual(59);
    expect(pacer.customerReadyAt('quiet')).toBe(-Infinity); // another customer is not held back
  });

  it('paces bulk calls for the key', () => {
    let now = 0;
    const pacer = new WritePacer({ customerWritesPerMinute: 20, bulkCallsPerMinute: 500 }, () => now);
    pacer.sent(['a']);
    expect(pacer.callReadyAt()).toBe(120);
    now = 120;
    expect(pacer.callReadyAt()).toBeLessThanOrEqual(now);
  });

  it('slows the key and the refused customers down on a rate-limit answer, and recovers on success', () => {
    let now = 0;
    const pacer = new WritePacer({ customerWritesPerMinute: 20, bulkCallsPerMinute: 600 }, () => now);
    pacer.sent(['a', 'b']);
    pacer.refused(['a', 'b']);
    expect(pacer.customerReadyAt('a')).toBe(4_500);
    expect(pacer.callReadyAt()).toBe(150);
    pacer.refused(['a']);
    expect(pacer.customerReadyAt('a')).toBe(6_750);
    expect(pacer.customerReadyAt('b')).toBe(4_500);
    for (let i = 0; i < 8; i++) pacer.refused(['a']);
    expect(pacer.customerReadyAt('a')).toBe(12_000); // capped at 4x
    now = 12_000;
    for (let i = 0; i < 30; i++) {
      pacer.sent(['a']);
      pacer.accepted(['a']);
    }
    expect(pacer.customerReadyAt('a') - now).toBeLessThan(3_100);
  });
});
