import { addUnits, mostGenerous, type Grant } from '../catalog/grant.js';
import { currentPeriod, type Period } from './periods.js';
import type { SubscriptionRecord } from './records.js';
import { usageKey, type Store } from './store.js';
import { addonGrantsOf, planGrantsOf } from './versions.js';
import { balanceOf, grantsOf } from './credits.js';

/** A grant with what its usage is counted against: the start of the subscription (or promotion) it came from. */
export interface ResolvedGrant {
  grant: Grant;
  anchorStart: number;
  updatedAt: number;
}

const ACTIVE_STATUSES = new Set(['ACTIVE', 'IN_TRIAL']);

/** A subscription's status as of `now`: a cancellation or end date that has passed ends it. */
export function statusOf(
  sub: SubscriptionRecord,
  now: number,
): 'ACTIVE' | 'IN_TRIAL' | 'CANCELED' | 'EXPIRED' | 'NOT_STARTED' {
  if (sub.status === 'CANCELED') return 'CANCELED';
  if (sub.cancellationDate && Date.parse(sub.cancellationDate) <= now) return 'CANCELED';
  if (sub.endDate && Date.parse(sub.endDate) <= now) return 'EXPIRED';
  if (Date.parse(sub.startDate) > now) return 'NOT_STARTED';
  return sub.status;
}

export const isActive = (sub: SubscriptionRecord, now: number): boolean => ACTIVE_STATUSES.has(statusOf(sub, now));

/** The subscriptions that make up an entitlement list: customer-level ones, or those of one resource. */
export function activeSubscriptions(store: Store, customerId: string, resourceId: string | null): SubscriptionRecord[] {
  const now = store.now();
  return store
    .subscriptionsOf(customerId)
    .filter((s) => s.resourceId === resourceId && isActive(s, now))
    .sort((a, b) => a.startDate.localeCompare(b.startDate));
}

/** What one subscription grants: its plan (with base plans), custom entitlements replacing, add-ons adding. */
export function subscriptionGrants(store: Store, sub: SubscriptionRecord): Map<string, Grant> {
  const grants = new Map(planGrantsOf(store, sub));
  for (const custom of sub.customGrants) grants.set(custom.featureId, custom);
  for (const { addonId, quantity } of sub.addons) {
    for (const [featureId, perUnit] of addonGrantsOf(store, sub, addonId)) {
      grants.set(featureId, addUnits(grants.get(featureId), perUnit, quantity));
    }
  }
  return grants;
}

/** Every feature a customer (or one of its resources) is granted, with where its usage periods start. */
export function resolveGrants(store: Store, customerId: string, resourceId: string | null): Map<string, ResolvedGrant> {
  const out = new Map<string, ResolvedGrant>();
  if (!store.customers.has(customerId)) return out;
  const merge = (grant: Grant, anchorStart: number, updatedAt: number) => {
    const prev = out.get(grant.featureId);
    out.set(grant.featureId, {
      grant: mostGenerous(prev?.grant, grant),
      anchorStart: prev?.anchorStart ?? anchorStart,
      updatedAt: Math.max(prev?.updatedAt ?? 0, updatedAt),
    });
  };
  for (const sub of activeSubscriptions(store, customerId, resourceId)) {
    const start = Date.parse(sub.startDate);
    const updated = Date.parse(sub.updatedAt);
    for (const grant of subscriptionGrants(store, sub).values()) merge(grant, start, updated);
  }
  const now = store.now();
  const subscribedHere = out.size > 0 || resourceId === null;
  if (subscribedHere) {
    for (const promo of store.promotions.get(customerId) ?? []) {
      if (promo.endDate && Date.parse(promo.endDate) <= now) continue;
      merge(promo.grant, Date.parse(promo.startDate), Date.parse(promo.createdAt));
    }
  }
  return out;
}

/** Current usage of a grant: what was reported in the current period, 0 once the period has reset. */
export function usageOf(store: Store, customerId: string, resourceId: string | null, resolved: ResolvedGrant) {
  const period = currentPeriod(resolved.grant, resolved.anchorStart, store.now());
  const record = store.usage.get(usageKey(customerId, resourceId, resolved.grant.featureId));
  const stale = record && period && record.periodStart !== null && record.periodStart < period.start;
  return { value: record && !stale ? record.value : 0, period, updatedAt: record?.updatedAt ?? null };
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

function resetConfiguration(grant: Grant) {
  switch (grant.resetPeriod) {
    case 'MONTH':
      return { __typename: 'MonthlyResetPeriodConfig', monthlyAccordingTo: grant.monthlyAccordingTo };
    case 'WEEK':
      return { __typename: 'WeeklyResetPeriodConfig', weeklyAccordingTo: grant.weeklyAccordingTo };
    case 'YEAR':
      return { __typename: 'YearlyResetPeriodConfig', yearlyAccordingTo: 'SubscriptionStart' };
    default:
      return null;
  }
}

export function presentFeature(store: Store, featureId: string) {
  const f = store.catalog.features.get(featureId);
  return {
    __typename: 'EntitlementFeature',
    refId: featureId,
    displayName: f?.displayName ?? featureId,
    description: f?.description ?? null,
    featureType: f?.type ?? 'BOOLEAN',
    meterType: f?.meterType ?? 'None',
    featureUnits: f?.units ?? null,
    featureUnitsPlural: f?.unitsPlural ?? null,
    unitTransformation: null,
  };
}

/** One `Entitlement` as Stigg's API returns it (every field of the SDK's EntitlementFragment). */
export function presentEntitlement(
  store: Store,
  customerId: string,
  resourceId: string | null,
  resolved: ResolvedGrant,
) {
  const { grant } = resolved;
  const feature = store.catalog.features.get(grant.featureId);
  const metered = feature ? store.catalog.isMetered(feature) : false;
  const usage = metered ? usageOf(store, customerId, resourceId, resolved) : null;
  const period: Period | null = usage?.period ?? null;
  const archived = store.customers.get(customerId)?.archived ?? false;
  // A feature paid in credits is denied while the balance that pays for it is used up.
  const rate = feature?.creditRate;
  const scope =
    rate && resourceId !== null && grantsOf(store, customerId, resourceId, rate.currency).length === 0
      ? null
      : resourceId;
  const balance = rate ? balanceOf(store, customerId, scope, rate.currency) : null;
  const noCredits = balance !== null && balance.currentBalance <= 0;
  return {
    __typename: 'Entitlement',
    isGranted: !archived && !noCredits,
    accessDeniedReason: archived ? 'CustomerIsArchived' : noCredits ? 'InsufficientCredits' : null,
    customerId,
    resourceId,
    usageLimit: grant.hasUnlimitedUsage ? null : grant.usageLimit,
    hasUnlimitedUsage: grant.hasUnlimitedUsage,
    hasSoftLimit: grant.hasSoftLimit,
    currentUsage: usage ? usage.value : null,
    requestedUsage: null,
    requestedValues: null,
    enumValues: grant.enumValues,
    entitlementUpdatedAt: iso(Math.max(resolved.updatedAt, store.catalog.publishedAt.getTime())),
    usageUpdatedAt: metered ? iso(usage?.updatedAt ?? resolved.updatedAt) : null,
    usagePeriodAnchor: iso(period?.anchor),
    usagePeriodStart: iso(period?.start),
    usagePeriodEnd: iso(period?.end),
    nextResetDate: iso(period?.end),
    resetPeriod: period ? grant.resetPeriod : null,
    resetPeriodConfiguration: period ? resetConfiguration(grant) : null,
    feature: presentFeature(store, grant.featureId),
    creditRate: rate ? { __typename: 'CreditRate', amount: rate.amount, currencyId: rate.currency } : null,
    validUntil: balance?.validUntil ?? null,
  };
}

export type EntitlementView = ReturnType<typeof presentEntitlement>;

/** A customer's (or resource's) entitlement list; `[]` for unknown customers and customers without one. */
export function entitlementsOf(store: Store, customerId: string, resourceId: string | null): EntitlementView[] {
  const out: EntitlementView[] = [];
  for (const resolved of resolveGrants(store, customerId, resourceId).values()) {
    out.push(presentEntitlement(store, customerId, resourceId, resolved));
  }
  return out;
}
