import { periodAt } from './periods.js';
import type { CachedEntitlement, CheckRequest, Decision, EntitlementSet } from './types.js';

function hasAny(features: Record<string, CachedEntitlement>): boolean {
  for (const _ in features) return true;
  return false;
}

const isMetered = (e: CachedEntitlement) =>
  e.featureType === 'NUMBER' && (e.meterType === 'Incremental' || e.meterType === 'Fluctuating');

function base(request: CheckRequest, ent: CachedEntitlement | undefined, ageMs: number, isStale: boolean): Decision {
  return {
    hasAccess: false,
    reason: null,
    featureId: request.featureId,
    featureType: ent?.featureType ?? null,
    usageLimit: null,
    currentUsage: null,
    requestedUsage: request.requestedUsage ?? 0,
    isUnlimited: false,
    hasSoftLimit: false,
    resetsAt: null,
    enumValues: null,
    isFallback: false,
    isStale,
    ageMs,
  };
}

/**
 * The one rule for "may these units be used": usage counted so far plus the units asked for stays within the
 * limit (no limit: always). `decide`, the overlay in `check`, and the meter stores all ask it (the Redis meter's
 * Lua script mirrors it, since it runs inside Redis).
 */
export function fitsLimit(usage: number, units: number, limit: number | null): boolean {
  return limit === null || usage + units <= limit;
}

/** The limit a decision enforces on metered usage, or null when there is none to enforce (unlimited, soft, not metered, fallback). */
export function enforcedLimit(d: Decision): number | null {
  if (d.isFallback || d.currentUsage === null || d.isUnlimited || d.hasSoftLimit) return null;
  return d.usageLimit ?? 0;
}

/**
 * The decision Stigg's own SDK makes (wire reference 6.2) from a customer's entitlements: a pure function of the
 * entitlement set, the request and the time. `ageMs`/`isStale` describe the data and are passed through.
 */
export function decide(set: EntitlementSet, request: CheckRequest, now: number, ageMs = 0, isStale = false): Decision {
  const features = set.entitlements;
  const ent = features[request.featureId];
  const d = base(request, ent, ageMs, isStale);
  if (!ent) {
    // An empty list is how Stigg says it knows no such customer (or none with entitlements).
    d.reason = hasAny(features) ? 'NoFeatureEntitlementInSubscription' : 'CustomerNotFound';
    return d;
  }

  if (ent.featureType === 'NUMBER') {
    d.isUnlimited = ent.hasUnlimitedUsage;
    d.usageLimit = ent.hasUnlimitedUsage ? null : ent.usageLimit;
  }
  if (ent.featureType === 'ENUM') d.enumValues = ent.enumValues;
  if (isMetered(ent)) {
    d.hasSoftLimit = ent.hasSoftLimit;
    let usage = ent.currentUsage;
    let end = ent.usagePeriodEnd;
    if (end !== null && end < now && ent.resetPeriod && ent.usagePeriodAnchor !== null) {
      // The cached period ended: Stigg's SDK counts usage from 0 in the period that contains now.
      usage = 0;
      end = periodAt(ent.usagePeriodAnchor, ent.resetPeriod, now).end;
    }
    d.currentUsage = usage;
    d.resetsAt = end === null ? null : new Date(end);
  }
  if (ent.accessDeniedReason) {
    d.reason = ent.accessDeniedReason;
    return d;
  }

  switch (ent.featureType) {
    case 'BOOLEAN':
      d.hasAccess = true;
      break;
    case 'ENUM':
      d.hasAccess = (request.requestedValues ?? []).every((v) => ent.enumValues.includes(v));
      if (!d.hasAccess) d.reason = 'RequestedValuesMismatch';
      break;
    case 'NUMBER':
      if (!isMetered(ent) || ent.hasUnlimitedUsage || ent.hasSoftLimit) d.hasAccess = true;
      else {
        d.hasAccess = fitsLimit(d.currentUsage ?? 0, d.requestedUsage, ent.usageLimit ?? 0);
        if (!d.hasAccess) d.reason = 'RequestedUsageExceedingLimit';
      }
      break;
  }
  return d;
}
