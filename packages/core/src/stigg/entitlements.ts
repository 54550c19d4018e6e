import { periodAt } from '../decision/periods.js';
import type { CachedEntitlement, Decision } from '../decision/types.js';
import type { Units } from './feature-units.js';
import type {
  AccessDeniedReason,
  BooleanEntitlement,
  Entitlement,
  EntitlementFeature,
  EntitlementFragment,
  EntitlementsFallback,
  EnumEntitlement,
  MeteredEntitlement,
  MeterType,
  NumericEntitlement,
} from './sdk-shapes.js';

/** The SDK's four kinds of entitlement (its `type` field). */
export type Kind = Entitlement['type'];

/** What the SDK answers when it cannot decide, before the feature's fallback is applied over it. */
const DEFAULTS: { [K in Kind]: Extract<Entitlement, { type: K }> } = {
  BOOLEAN: { type: 'BOOLEAN', isFallback: true, hasAccess: false, accessDeniedReason: 'Unknown' },
  NUMERIC: { type: 'NUMERIC', isFallback: true, hasAccess: false, isUnlimited: false, accessDeniedReason: 'Unknown' },
  METERED: {
    type: 'METERED',
    isFallback: true,
    hasAccess: false,
    isUnlimited: false,
    hasSoftLimit: false,
    currentUsage: 0,
    requestedUsage: 1,
    accessDeniedReason: 'Unknown',
  },
  ENUM: { type: 'ENUM', isFallback: true, hasAccess: false, enumValues: [], accessDeniedReason: 'Unknown' },
};

/**
 * The SDK's fallback entitlement: its defaults for the kind, then the fallback given (the call's, else the
 * configured one) as it is, so a numeric `value`, a metered `usageLimit` and `enumValues` are kept. `hasAccess`
 * defaults to Tollgate's answer without Stigg (`onUnavailable`).
 */
export function fallbackEntitlement<K extends Kind>(
  kind: K,
  given: object | undefined,
  hasAccessWithout = false,
): Extract<Entitlement, { type: K }> {
  return { ...DEFAULTS[kind], hasAccess: hasAccessWithout, ...given } as Extract<Entitlement, { type: K }>;
}

/** What a result is made of besides the decision: the cached entitlement, or what the decision alone says of it. */
export interface Details {
  featureType: CachedEntitlement['featureType'];
  metered: boolean;
  /** Undefined when not known (only the decision was at hand). */
  meterType: MeterType | null | undefined;
  usageLimit: number | null;
  hasUnlimitedUsage: boolean;
  hasSoftLimit: boolean;
  enumValues: string[];
  resetPeriod: CachedEntitlement['resetPeriod'] | undefined;
  anchor: number | null;
  start: number | null;
  end: number | null;
}

const isMetered = (e: CachedEntitlement) =>
  e.featureType === 'NUMBER' && (e.meterType === 'Incremental' || e.meterType === 'Fluctuating');

/** A cached entitlement's details, its usage period moved to the one containing `now` when it ended (as the SDK does). */
export function detailsOf(e: CachedEntitlement, now: number): Details {
  let start = e.usagePeriodStart;
  let end = e.usagePeriodEnd;
  if (isMetered(e) && end !== null && end < now && e.resetPeriod && e.usagePeriodAnchor !== null) {
    ({ start, end } = periodAt(e.usagePeriodAnchor, e.resetPeriod, now));
  }
  return {
    featureType: e.featureType,
    metered: isMetered(e),
    meterType: e.meterType,
    usageLimit: e.usageLimit,
    hasUnlimitedUsage: e.hasUnlimitedUsage,
    hasSoftLimit: e.hasSoftLimit,
    enumValues: e.enumValues,
    resetPeriod: e.resetPeriod,
    anchor: e.usagePeriodAnchor,
    start,
    end,
  };
}

/** What the decision alone says of the entitlement (its cached entry could not be read without asking Stigg). */
export function detailsOfDecision(d: Decision): Details | null {
  if (d.featureType === null) return null;
  return {
    featureType: d.featureType,
    metered: d.currentUsage !== null,
    meterType: undefined,
    usageLimit: d.usageLimit,
    hasUnlimitedUsage: d.isUnlimited,
    hasSoftLimit: d.hasSoftLimit,
    enumValues: d.enumValues ?? [],
    resetPeriod: undefined,
    anchor: null,
    start: null,
    end: d.resetsAt?.getTime() ?? null,
  };
}

export function kindOf(details: Pick<Details, 'featureType' | 'metered'>): Kind {
  if (details.featureType === 'BOOLEAN') return 'BOOLEAN';
  if (details.featureType === 'ENUM') return 'ENUM';
  return details.metered ? 'METERED' : 'NUMERIC';
}

const date = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : new Date(ms));

function featureOf(featureId: string, d: Details, units: Units | undefined): EntitlementFeature {
  return {
    id: featureId,
    featureType: d.featureType,
    meterType: d.meterType || undefined,
    // The SDK gives '' for a feature without units; nothing when the facade could not read them.
    ...(units ? { units: units.units || '', unitsPlural: units.unitsPlural || '' } : {}),
    isMetered: d.metered,
  };
}

export interface Asked {
  requestedUsage?: number;
  requestedValues?: string[];
}

/** An entitlement the customer has, in the SDK's shape for its kind (the SDK's ModelMapper). */
export function mapEntitlement(
  featureId: string,
  d: Decision,
  details: Details,
  units: Units | undefined,
  asked: Asked,
): Entitlement {
  const decided = { hasAccess: d.hasAccess, accessDeniedReason: (d.reason ?? undefined) as AccessDeniedReason };
  const feature = featureOf(featureId, details, units);
  switch (kindOf(details)) {
    case 'BOOLEAN':
      return { type: 'BOOLEAN', isFallback: false, ...decided, feature } satisfies BooleanEntitlement;
    case 'ENUM':
      return {
        type: 'ENUM',
        isFallback: false,
        ...decided,
        feature,
        enumValues: details.enumValues,
        requestedValues: asked.requestedValues,
      } satisfies EnumEntitlement;
    case 'NUMERIC':
      return {
        type: 'NUMERIC',
        isFallback: false,
        ...decided,
        isUnlimited: details.hasUnlimitedUsage,
        value: details.usageLimit ?? undefined,
        feature,
      } satisfies NumericEntitlement;
    case 'METERED':
      return {
        type: 'METERED',
        isFallback: false,
        ...decided,
        isUnlimited: details.hasUnlimitedUsage,
        hasSoftLimit: details.hasSoftLimit,
        usageLimit: details.usageLimit ?? undefined,
        currentUsage: d.currentUsage ?? 0,
        requestedUsage: asked.requestedUsage || 0,
        resetPeriod: details.resetPeriod ?? undefined,
        usagePeriodAnchor: date(details.anchor),
        usagePeriodStart: date(details.start),
        usagePeriodEnd: date(details.end),
        nextResetDate: date(details.end),
        feature,
      } satisfies MeteredEntitlement;
  }
}

/** The SDK's answer from a typed getter when the customer has no entitlement to the feature (or is unknown). */
export function noEntitlement(kind: Kind, d: Decision, asked: Asked): Entitlement {
  const decided = { hasAccess: false, accessDeniedReason: (d.reason ?? undefined) as AccessDeniedReason };
  switch (kind) {
    case 'BOOLEAN':
      return { type: 'BOOLEAN', ...decided, isFallback: false };
    case 'NUMERIC':
      return { type: 'NUMERIC', ...decided, isFallback: false, isUnlimited: false };
    case 'METERED':
      return {
        type: 'METERED',
        ...decided,
        currentUsage: 0,
        isFallback: false,
        isUnlimited: false,
        hasSoftLimit: false,
        requestedUsage: asked.requestedUsage || 0,
      };
    case 'ENUM':
      return {
        type: 'ENUM',
        ...decided,
        isFallback: false,
        enumValues: [],
        requestedValues: asked.requestedValues || [],
      };
  }
}

/**
 * A typed getter's answer (`kind`), or the generic `getEntitlement`'s (`kind` null: the entitlement's own kind),
 * from Tollgate's decision, following the SDK's EntitlementsService case by case.
 */
export function answer(
  kind: Kind | null,
  featureId: string,
  d: Decision,
  details: Details | null,
  units: Units | undefined,
  asked: Asked,
  fallback: Entitlement,
): Entitlement {
  if (d.isFallback) return fallback;
  if (!details) return kind === null ? { ...fallback, isFallback: true } : noEntitlement(kind, d, asked);
  if (kind !== null && kindOf(details) !== kind) return { ...fallback, accessDeniedReason: 'FeatureTypeMismatch' };
  return mapEntitlement(featureId, d, details, units, asked);
}

/** `getEntitlements` when Stigg cannot be asked: the configured fallbacks, as the SDK lists them. */
export function fallbackList(fallbacks: EntitlementsFallback | undefined): Entitlement[] {
  return Object.entries(fallbacks ?? {}).map(
    ([featureId, f]) =>
      ({ isFallback: true, accessDeniedReason: 'Unknown', feature: { id: featureId }, ...f }) as unknown as Entitlement,
  );
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A cached entitlement as Stigg's `EntitlementFragment` (what the SDK's `entitlementsUpdated` listeners get). */
export function toFragment(
  customerId: string,
  resourceId: string | null,
  e: CachedEntitlement,
  units: Units | undefined,
): EntitlementFragment {
  const metered = isMetered(e);
  return {
    __typename: 'Entitlement',
    accessDeniedReason: e.accessDeniedReason as AccessDeniedReason | null,
    customerId,
    resourceId,
    usageLimit: e.usageLimit,
    hasUnlimitedUsage: e.hasUnlimitedUsage,
    hasSoftLimit: e.hasSoftLimit,
    currentUsage: metered ? e.currentUsage : null,
    enumValues: e.featureType === 'ENUM' ? e.enumValues : null,
    usagePeriodAnchor: iso(e.usagePeriodAnchor),
    usagePeriodStart: iso(e.usagePeriodStart),
    usagePeriodEnd: iso(e.usagePeriodEnd),
    nextResetDate: iso(e.usagePeriodEnd),
    resetPeriod: e.resetPeriod,
    validUntil: e.validUntil,
    feature: {
      __typename: 'EntitlementFeature',
      featureType: e.featureType,
      meterType: e.meterType,
      ...(units ? { featureUnits: units.units, featureUnitsPlural: units.unitsPlural } : {}),
      refId: e.featureId,
    },
  };
}
