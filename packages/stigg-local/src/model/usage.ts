import { badInput, notFound, StiggError } from '../errors.js';
import { newId } from './ids.js';
import { resolveGrants, usageOf } from './entitlements.js';
import { usageKey, type Store } from './store.js';
import { consumeCredits } from './credits.js';
import { recordUsagePoint } from './usage-history.js';

export interface UsageReport {
  customerId: string;
  featureId: string;
  resourceId?: string | null;
  value: number;
  updateBehavior?: 'DELTA' | 'SET' | null;
  idempotencyKey?: string | null;
}

export interface UsageEvent {
  customerId: string;
  eventName: string;
  idempotencyKey: string;
  resourceId?: string | null;
  dimensions?: Record<string, unknown> | null;
}

/** Counters the admin stats report. */
export interface UsageCounters {
  applied: number;
  duplicates: number;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * Applies usage reports, all or none: every record is checked before any is applied. A record whose
 * idempotency key was seen in the last 24 hours is acknowledged with the current usage and not applied again.
 */
/** Usage values beyond this are refused (and no counter may pass it): far above any real usage, exact in a double. */
const MAX_USAGE_VALUE = 1e12;

export function reportUsage(store: Store, reports: UsageReport[], counters: UsageCounters) {
  const checked = reports.map((r, i) => {
    const where = reports.length > 1 ? `usages[${i}]: ` : '';
    if (!Number.isFinite(r.value) || Math.abs(r.value) > MAX_USAGE_VALUE)
      throw badInput(`${where}value must be a finite number within +-${MAX_USAGE_VALUE}`);
    if (r.updateBehavior === 'SET' && r.value < 0)
      throw badInput(`${where}value must not be negative when it sets usage`);
    const feature = store.catalog.features.get(r.featureId);
    if (!feature) throw notFound('FeatureNotFound', `${where}Feature`, r.featureId);
    if (!store.catalog.isMetered(feature)) {
      throw new StiggError('MeteringNotAvailableForFeatureType', `${where}feature ${r.featureId} is not metered`);
    }
    if (!store.customers.has(r.customerId)) throw notFound('CustomerNotFound', `${where}Customer`, r.customerId);
    const resourceId = r.resourceId ?? null;
    const resolved = resolveGrants(store, r.customerId, resourceId).get(r.featureId);
    if (!resolved) {
      throw new StiggError(
        'NoFeatureEntitlementInSubscription',
        `${where}customer ${r.customerId}${resourceId ? ` (resource ${resourceId})` : ''} has no entitlement to ${r.featureId}`,
      );
    }
    const after =
      r.updateBehavior === 'SET' ? r.value : usageOf(store, r.customerId, resourceId, resolved).value + r.value;
    if (after < 0 || after > MAX_USAGE_VALUE)
      throw badInput(`${where}usage would become ${after}, outside 0..${MAX_USAGE_VALUE}`);
    return { report: r, resourceId, resolved };
  });

  const now = store.now();
  return checked.map(({ report, resourceId, resolved }) => {
    const fresh = !report.idempotencyKey || store.claimIdempotencyKey(report.idempotencyKey);
    const current = usageOf(store, report.customerId, resourceId, resolved);
    let value = current.value;
    // Setting the value usage already has changes nothing (an import run again leaves the state as it was).
    const unchanged = report.updateBehavior === 'SET' && report.value === current.value && current.updatedAt !== null;
    if (fresh && unchanged) {
      counters.applied += 1;
    } else if (fresh) {
      value = report.updateBehavior === 'SET' ? report.value : current.value + report.value;
      store.usage.set(usageKey(report.customerId, resourceId, report.featureId), {
        value,
        periodStart: current.period?.start ?? null,
        updatedAt: now,
      });
      recordUsagePoint(store, report.customerId, resourceId, report.featureId, value, current.period?.start ?? null);
      const rate = store.catalog.features.get(report.featureId)?.creditRate;
      if (rate)
        consumeCredits(store, report.customerId, resourceId, rate.currency, (value - current.value) * rate.amount);
      counters.applied += 1;
      store.emit('usageChanged', report.customerId, resourceId, report.featureId);
    } else {
      counters.duplicates += 1;
    }
    return {
      __typename: 'UsageMeasurementWithCurrentUsage',
      id: newId(),
      customerId: report.customerId,
      featureId: report.featureId,
      resourceId,
      currentUsage: value,
      usagePeriodStart: iso(current.period?.start),
      usagePeriodEnd: iso(current.period?.end),
      nextResetDate: iso(current.period?.end),
      timestamp: new Date(now).toISOString(),
    };
  });
}

/**
 * Raw events: each adds to the usage of the catalog features whose meter counts that event name
 * (1 per event, or the value of the feature's `eventValueDimension`). Events for customers not entitled are kept
 * out of usage, as Stigg's meters would not count them towards an entitlement.
 */
export function reportEvents(store: Store, events: UsageEvent[], counters: UsageCounters): void {
  events.forEach((e, i) => {
    if (!e.idempotencyKey) throw badInput(`usageEvents[${i}].idempotencyKey is required`);
    if (!e.eventName) throw badInput(`usageEvents[${i}].eventName is required`);
  });
  for (const e of events) {
    if (!store.claimIdempotencyKey(`event:${e.idempotencyKey}`)) {
      counters.duplicates += 1;
      continue;
    }
    for (const feature of store.catalog.featuresByEvent.get(e.eventName) ?? []) {
      const dim = feature.eventValueDimension ? Number(e.dimensions?.[feature.eventValueDimension]) : 1;
      if (!Number.isFinite(dim)) continue;
      try {
        reportUsage(
          store,
          [{ customerId: e.customerId, resourceId: e.resourceId, featureId: feature.id, value: dim }],
          counters,
        );
      } catch (err) {
        if (!(err instanceof StiggError)) throw err;
      }
    }
  }
}
