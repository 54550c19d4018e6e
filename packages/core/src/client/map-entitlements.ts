import type { CachedEntitlement, EntitlementSet } from '../decision/types.js';
import type { WireEntitlement } from './wire-types.js';

const ms = (iso: string | null) => (iso ? Date.parse(iso) : null);

/** Stigg's entitlement list -> the cached set, keyed by feature id (entitlements without a feature are dropped, as the SDK does). */
export function toEntitlementSet(list: WireEntitlement[]): EntitlementSet {
  const entitlements: Record<string, CachedEntitlement> = {};
  for (const e of list) {
    if (!e.feature) continue;
    entitlements[e.feature.refId] = {
      featureId: e.feature.refId,
      featureType: e.feature.featureType,
      meterType: e.feature.meterType,
      accessDeniedReason: e.accessDeniedReason,
      usageLimit: e.usageLimit,
      hasUnlimitedUsage: e.hasUnlimitedUsage,
      hasSoftLimit: !!e.hasSoftLimit,
      enumValues: e.enumValues ?? [],
      currentUsage: e.currentUsage ?? 0,
      resetPeriod: e.resetPeriod,
      usagePeriodAnchor: ms(e.usagePeriodAnchor),
      usagePeriodStart: ms(e.usagePeriodStart),
      usagePeriodEnd: ms(e.usagePeriodEnd),
      validUntil: e.validUntil ?? null,
    };
  }
  return { entitlements };
}
