import { describe, expect, it } from 'vitest';
import { CoarseClock, type ClockSource } from '../src/util/coarse-clock.js';

/** A clock source whose time and interval ticks the test drives. */
function manualSource() {
  let time = 1_000;
  let ticking: (() => void) | null = null;
  let sinceTick = 0;
  let reads = 0;
  const source: ClockSource = {
    now: () => {
      reads += 1;
      return time;
    },
    setInterval: (run) => {
      ticking = run;
      sinceTick = 0;
      return { interval: true };
    },
    clearInterval: () => {
      ticking = null;
    },
  };
  return {
    source,
    /** Time goes on by `ms`; the interval (10 ms) fires as often as it would have. */
    advance(ms: number) {
      for (let i = 0; i < ms; i++) {
        time += 1;
        sinceTick += 1;
        if (sinceTick === 10 && ticking) {
          sinceTick = 0;
          ticking();
        }
      }
    },
    get running() {
      return ticking !== null;
    },
    get reads() {
      return reads;
    },
  };
}

describe('CoarseClock', () => {
  it('reads the source once per tick while it is read, never ahead of it', () => {
    const m = manualSource();
    const clock = new CoarseClock(10, m.source);
    expect(clock.now()).toBe(1_000);
    for (let i = 0; i < 100; i++) expect(clock.now()).toBe(1_000);
    expect(m.reads).toBe(1);
    m.advance(10);
    expect(clock.now()).toBe(1_010);
    m.advance(4); // between ticks the source is not read: the clock lags, it does not run ahead
    expect(clock.now()).toBe(1_010);
    expect(m.reads).toBe(2);
  });

  it('stops its timer after a tick with no read, and reads the time itself on the next read', () => {
    const m = manualSource();
    const clock = new CoarseClock(10, m.source);
    clock.now();
    clock.now();
    m.advance(10); // read since start: refreshed
    expect(m.running).toBe(true);
    m.advance(10); // no read in this tick: stopped, no wakeups for an idle process
    expect(m.running).toBe(false);
    m.advance(5_000);
    expect(clock.now()).toBe(6_020); // the real time at once, not the last tick's
    expect(m.running).toBe(true);
  });

  it('stop() ends the timer at once', () => {
    const m = manualSource();
    const clock = new CoarseClock(10, m.source);
    clock.now();
    clock.stop();
    expect(m.running).toBe(false);
    m.advance(50);
    expect(clock.now()).toBe(1_050);
  });
});
