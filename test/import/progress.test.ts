/** Progress: a bar redrawn in place on a terminal, plain lines elsewhere. */
import { describe, expect, it, vi } from 'vitest';
import { ProgressView } from '../../packages/cli/src/import/progress.js';

describe('ProgressView', () => {
  it('draws a bar with counts, rate and ETA in place on a terminal', () => {
    vi.useFakeTimers({ now: 0 });
    const out: string[] = [];
    const view = new ProgressView((t) => out.push(t), true);
    view.handle({ type: 'phase', phase: 'usage', total: 1000 });
    vi.setSystemTime(2000);
    view.handle({ type: 'progress', phase: 'usage', done: 250, total: 1000 });
    const bar = out.at(-1)!;
    expect(bar.startsWith('\r\x1b[2K')).toBe(true);
    expect(bar).toContain('[########----------------------] 250/1,000 25%  125/s  ETA 6s');
    view.handle({ type: 'phase-done', phase: 'usage', done: 1000 });
    expect(out.at(-1)).toBe('usage: 1,000 done in 2s\n');
    vi.useRealTimers();
  });

  it('writes plain lines, at most one per interval, when not a terminal', () => {
    vi.useFakeTimers({ now: 0 });
    const out: string[] = [];
    const view = new ProgressView((t) => out.push(t), false, 5000);
    view.handle({ type: 'phase', phase: 'customers', total: 100 });
    vi.setSystemTime(1000);
    view.handle({ type: 'progress', phase: 'customers', done: 10, total: 100 });
    vi.setSystemTime(6000);
    view.handle({ type: 'progress', phase: 'customers', done: 60, total: 100 });
    expect(out).toEqual(['importing customers (100 records)\n', 'customers: 60/100 60%  10/s  ETA 4s\n']);
    expect(out.join('')).not.toContain('\r');
    vi.useRealTimers();
  });
});
