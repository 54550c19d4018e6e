import { badInput, notFound } from '../errors.js';
import { getUnarchivedCustomer } from './customers.js';
import type { UsagePoint } from './records.js';
import { usageKey, type Store } from './store.js';

/** Points kept per usage counter: the latest ones (a bounded series, oldest dropped first). */
export const USAGE_HISTORY_POINTS = 1000;

/** Records the value a usage counter has after a report. */
export function recordUsagePoint(
  store: Store,
  customerId: string,
  resourceId: string | null,
  featureId: string,
  value: number,
  periodStart: number | null,
): void {
  const key = usageKey(customerId, resourceId, featureId);
  let series = store.usageHistory.get(key);
  if (!series) store.usageHistory.set(key, (series = []));
  series.push([store.now(), value, periodStart]);
  if (series.length > USAGE_HISTORY_POINTS) series.splice(0, series.length - USAGE_HISTORY_POINTS);
}

export interface HistoryQuery {
  customerId: string;
  resourceId: string | null;
  featureId: string;
  startDate: string;
  endDate?: string | null;
}

/**
 * The points of a counter within [startDate, endDate] (endDate default now). A point is a reset point when it is
 * the first of a new usage period; each one also answers a `PERIODIC_RESET` marker at its period's start.
 */
export function usageHistoryOf(store: Store, q: HistoryQuery) {
  getUnarchivedCustomer(store, q.customerId);
  if (!store.catalog.features.has(q.featureId)) throw notFound('FeatureNotFound', 'Feature', q.featureId);
  const start = Date.parse(q.startDate);
  const end = q.endDate ? Date.parse(q.endDate) : store.now();
  if (Number.isNaN(start) || Number.isNaN(end)) throw badInput('startDate and endDate must be ISO-8601 dates');
  if (end < start) throw badInput('endDate must not be before startDate');
  const series: UsagePoint[] = store.usageHistory.get(usageKey(q.customerId, q.resourceId, q.featureId)) ?? [];
  const points: { timestamp: number; value: number; isResetPoint: boolean }[] = [];
  const markers: { timestamp: number; type: 'PERIODIC_RESET' }[] = [];
  series.forEach(([timestamp, value, periodStart], i) => {
    const previous = series[i - 1];
    const isResetPoint = !!previous && periodStart !== null && previous[2] !== periodStart;
    if (timestamp < start || timestamp > end) return;
    points.push({ timestamp, value, isResetPoint });
    if (isResetPoint && periodStart !== null && periodStart >= start)
      markers.push({ timestamp: periodStart, type: 'PERIODIC_RESET' });
  });
  return { start, end, points, markers };
}
