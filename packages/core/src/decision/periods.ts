import type { ResetPeriod } from './types.js';

const FIXED: Partial<Record<ResetPeriod, number>> = { HOUR: 3_600_000, DAY: 86_400_000, WEEK: 7 * 86_400_000 };

/** Calendar months added to a date, the day clamped to the month's length (as dayjs does, which Stigg's SDK uses). */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.getTime();
}

function add(ms: number, period: ResetPeriod, n: number): number {
  const fixed = FIXED[period];
  if (fixed !== undefined) return ms + n * fixed;
  return addMonths(ms, n * (period === 'YEAR' ? 12 : 1));
}

/**
 * The period containing `now` counted in whole periods from `anchor` (Stigg's SDK does this when a cached
 * usage period has ended: usage is then 0 in the new period).
 */
export function periodAt(anchor: number, period: ResetPeriod, now: number): { start: number; end: number } {
  const fixed = FIXED[period];
  let n: number;
  if (fixed !== undefined) n = Math.floor((now - anchor) / fixed);
  else {
    const a = new Date(anchor);
    const b = new Date(now);
    n = Math.floor(
      ((b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth()) /
        (period === 'YEAR' ? 12 : 1),
    );
    if (add(anchor, period, n) > now) n -= 1;
  }
  n = Math.max(0, n);
  return { start: add(anchor, period, n), end: add(anchor, period, n + 1) };
}
