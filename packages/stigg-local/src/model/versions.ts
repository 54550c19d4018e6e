import { grantFrom, type Grant } from '../catalog/grant.js';
import type { AddonDef, EntitlementDef, PlanDef, PriceDef } from '../catalog/types.js';
import type { SubscriptionRecord } from './records.js';
import type { Store } from './store.js';

/**
 * Package versions. A plan or add-on starts at version 1; publishing a new version for new customers only
 * (`admin.publishPackageVersion`) keeps the old definition for the subscriptions on it, which stay there until
 * `migrateSubscriptionToLatest` moves them. A catalog publish (`publishCatalog`) moves every subscription.
 */

export type PackageKind = 'plan' | 'addon';

export const packageKey = (kind: PackageKind, id: string) => `${kind}:${id}`;

/** The current version number of a package. */
export const currentVersion = (store: Store, kind: PackageKind, id: string): number =>
  store.packageVersions.get(packageKey(kind, id)) ?? 1;

/** The version of a package a subscription is on. */
export function versionOf(store: Store, sub: SubscriptionRecord, kind: PackageKind, id: string): number {
  return sub.versions?.[packageKey(kind, id)] ?? currentVersion(store, kind, id);
}

/** The definition of a package a subscription is on: an earlier one it stayed on, else the catalog's. */
function defOf<T>(store: Store, sub: SubscriptionRecord | null, kind: PackageKind, id: string, current: T): T {
  const pinned = sub?.versions?.[packageKey(kind, id)];
  if (pinned === undefined || pinned === currentVersion(store, kind, id)) return current;
  return (store.packageHistory.get(`${packageKey(kind, id)}@${pinned}`)?.def as T | undefined) ?? current;
}

export const planDefOf = (store: Store, sub: SubscriptionRecord | null, planId: string): PlanDef | undefined => {
  const current = store.catalog.plans.get(planId);
  return current ? defOf(store, sub, 'plan', planId, current) : undefined;
};

export const addonDefOf = (store: Store, sub: SubscriptionRecord | null, addonId: string): AddonDef | undefined => {
  const current = store.catalog.addons.get(addonId);
  return current ? defOf(store, sub, 'addon', addonId, current) : undefined;
};

function overlay(store: Store, base: Map<string, Grant>, entitlements: EntitlementDef[]): Map<string, Grant> {
  const grants = new Map(base);
  for (const ent of entitlements) {
    const feature = store.catalog.features.get(ent.feature);
    if (feature) grants.set(feature.id, grantFrom(feature, ent));
  }
  return grants;
}

/** What a subscription's plan grants, at the version the subscription is on. */
export function planGrantsOf(store: Store, sub: SubscriptionRecord): Map<string, Grant> {
  const def = planDefOf(store, sub, sub.planId);
  if (!def || def === store.catalog.plans.get(sub.planId)) return store.catalog.planGrants(sub.planId);
  return overlay(store, def.basePlan ? store.catalog.planGrants(def.basePlan) : new Map(), def.entitlements);
}

/** What one unit of an add-on grants, at the version the subscription is on. */
export function addonGrantsOf(store: Store, sub: SubscriptionRecord, addonId: string): Map<string, Grant> {
  const def = addonDefOf(store, sub, addonId);
  if (!def || def === store.catalog.addons.get(addonId)) return store.catalog.addonGrants(addonId);
  return overlay(store, new Map(), def.entitlements);
}

/** Whether a subscription is on an older version of its plan or of one of its add-ons. */
export function isOnOlderVersion(store: Store, sub: SubscriptionRecord): boolean {
  const older = (kind: PackageKind, id: string) => versionOf(store, sub, kind, id) < currentVersion(store, kind, id);
  return older('plan', sub.planId) || sub.addons.some((a) => older('addon', a.addonId));
}

/** Moves a subscription to the latest version of its plan and add-ons. */
export function moveToLatest(sub: SubscriptionRecord): void {
  delete sub.versions;
}

export interface PackageVersionChange {
  displayName?: string;
  description?: string;
  entitlements?: EntitlementDef[];
  prices?: PriceDef[];
}
