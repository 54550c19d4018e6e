import { describe, expect, it } from 'vitest';
import { LocalReadCounter, ReadBudget } from '../src/fleet/shared-reads.js';

const quiet = { warn: () => {}, error: () => {} };

/** A budget on a fake clock: `sleep` moves time on instead of waiting. */
function budget(perMinute: number, counter = new LocalReadCounter()) {
  const clock = { now: 10_000 };
  const b = new ReadBudget(
    perMinute,
    counter,
    quiet,
    5_000,
    () => clock.now,
    async (ms) => void (clock.now += ms),
  );
  return { b, clock };
}

describe('the read budget', () => {
  it('allows perMinute / 61 reads a second; past it, a read waits for the next second within its wait', async () => {
    const { b, clock } = budget(183); // 3 a second (a minute touches 61 one-second windows)
    for (let i = 0; i < 3; i++) expect(await b.take(clock.now)).toBe(true);
    expect(await b.take(clock.now)).toBe(false); // no wait allowed: refused
    expect(b.refused).toBe(1);
    expect(await b.take(clock.now + 2_000)).toBe(true); // waits for the next second
    expect(clock.now).toBeGreaterThanOrEqual(11_000);
    expect(b.waited).toBe(1);
  });

  it('a wait that ends before the next second is refused without waiting', async () => {
    const { b, clock } = budget(61); // 1 a second
    expect(await b.take(clock.now)).toBe(true);
    const before = clock.now;
    expect(await b.take(clock.now + 500)).toBe(false);
    expect(clock.now).toBe(before);
  });

  it('a counter that fails (Redis down) never blocks reads: the process keeps to the allowance on its own', async () => {
    let asked = 0;
    const failing = { count: async () => Promise.reject(new Error(`down ${++asked}`)) } as unknown as LocalReadCounter;
    const { b, clock } = budget(122, failing); // 2 a second
    expect(await b.take(clock.now)).toBe(true);
    expect(await b.take(clock.now)).toBe(true);
    expect(await b.take(clock.now)).toBe(false);
    expect(asked).toBe(1); // not asked again for a while: a dead Redis is not waited on per read
    expect(await b.take(clock.now + 2_000)).toBe(true);
    clock.now += 5_000;
    await b.take(clock.now);
    expect(asked).toBe(2);
  });
});
