import type { EntitlementDef, FeatureDef, MonthlyAccordingTo, ResetPeriod, WeeklyAccordingTo } from './types.js';
import { resetOf } from './validate.js';

/** One feature as granted to a customer, after plans, add-ons, custom and promotional entitlements are combined. */
export interface Grant {
  featureId: string;
  usageLimit: number | null;
  hasUnlimitedUsage: boolean;
  hasSoftLimit: boolean;
  enumValues: string[] | null;
  resetPeriod: ResetPeriod | null;
  monthlyAccordingTo: MonthlyAccordingTo;
  weeklyAccordingTo: WeeklyAccordingTo;
}

export function grantFrom(feature: FeatureDef, ent: EntitlementDef | undefined): Grant {
  const unlimited = ent?.limit === 'unlimited';
  return {
    featureId: feature.id,
    usageLimit: feature.type === 'NUMBER' && !unlimited && typeof ent?.limit === 'number' ? ent.limit : null,
    hasUnlimitedUsage: unlimited,
    hasSoftLimit: ent?.softLimit ?? false,
    enumValues: feature.type === 'ENUM' ? [...(ent?.values ?? [])] : null,
    ...resetOf(feature, ent),
  };
}

/** Add-on units add to a limit; unlimited stays unlimited. */
export function addUnits(base: Grant | undefined, perUnit: Grant, quantity: number): Grant {
  if (!base) {
    return { ...perUnit, usageLimit: perUnit.usageLimit === null ? null : perUnit.usageLimit * quantity };
  }
  return {
    ...base,
    hasUnlimitedUsage: base.hasUnlimitedUsage || perUnit.hasUnlimitedUsage,
    hasSoftLimit: base.hasSoftLimit || perUnit.hasSoftLimit,
    usageLimit:
      base.usageLimit === null && perUnit.usageLimit === null
        ? null
        : (base.usageLimit ?? 0) + (perUnit.usageLimit ?? 0) * quantity,
    enumValues: union(base.enumValues, perUnit.enumValues),
  };
}

/**
 * Two grants of one feature from different sources (subscriptions, promotions): the more generous applies.
 * The first grant's reset period stays, so usage keeps counting in one period.
 */
export function mostGenerous(a: Grant | undefined, b: Grant): Grant {
  if (!a) return b;
  return {
    ...a,
    hasUnlimitedUsage: a.hasUnlimitedUsage || b.hasUnlimitedUsage,
    hasSoftLimit: a.hasSoftLimit || b.hasSoftLimit,
    usageLimit:
      a.usageLimit === null
        ? b.usageLimit
        : b.usageLimit === null
          ? a.usageLimit
          : Math.max(a.usageLimit, b.usageLimit),
    enumValues: union(a.enumValues, b.enumValues),
  };
}

function union(a: string[] | null, b: string[] | null): string[] | null {
  if (!a) return b;
  if (!b) return a;
  return [...new Set([...a, ...b])];
}
