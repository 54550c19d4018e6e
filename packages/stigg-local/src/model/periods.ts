import type { Grant } from '../catalog/grant.js';

/** A usage period: where periods are counted from, and the current one. All epoch milliseconds, UTC. */
export interface Period {
  anchor: number;
  start: number;
  end: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEKDAYS = [
  'EverySunday',
  'EveryMonday',
  'EveryTuesday',
  'EveryWednesday',
  'EveryThursday',
  'EveryFriday',
  'EverySaturday',
];

/** Calendar months added to a date, the day clamped to the month's length (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const target = new Date(
    Date.UTC(y, m, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.getTime();
}

function anchorOf(grant: Grant, subscriptionStart: number): number {
  if (grant.resetPeriod === 'MONTH' && grant.monthlyAccordingTo === 'StartOfTheMonth') {
    const d = new Date(subscriptionStart);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  if (grant.resetPeriod === 'WEEK' && grant.weeklyAccordingTo !== 'SubscriptionStart') {
    const d = new Date(subscriptionStart);
    const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    const back = (d.getUTCDay() - WEEKDAYS.indexOf(grant.weeklyAccordingTo) + 7) % 7;
    return midnight - back * DAY;
  }
  return subscriptionStart;
}

/**
 * The usage period containing `now` for a grant that resets, counted in whole periods from its anchor;
 * `null` when the grant never resets.
 */
export function currentPeriod(grant: Grant, subscriptionStart: number, now: number): Period | null {
  if (!grant.resetPeriod) return null;
  const anchor = anchorOf(grant, subscriptionStart);
  const fixed = { HOUR, DAY, WEEK: 7 * DAY } as Record<string, number>;
  const len = fixed[grant.resetPeriod];
  if (len !== undefined) {
    const n = Math.max(0, Math.floor((now - anchor) / len));
    return { anchor, start: anchor + n * len, end: anchor + (n + 1) * len };
  }
  const step = grant.resetPeriod === 'YEAR' ? 12 : 1;
  const a = new Date(anchor);
  const b = new Date(Math.max(now, anchor));
  let n = Math.floor(((b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth())) / step);
  if (addMonths(anchor, n * step) > now && n > 0) n -= 1;
  return { anchor, start: addMonths(anchor, n * step), end: addMonths(anchor, (n + 1) * step) };
}
