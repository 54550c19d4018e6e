import { CatalogIndex } from '../catalog/catalog-index.js';
import type { Catalog } from '../catalog/types.js';
import { validateCatalog } from '../catalog/validate.js';
import { notFound } from '../errors.js';
import { upsertCustomer } from './customers.js';
import { packageKey, type PackageVersionChange } from './versions.js';
import type { SubscriptionRecord } from './records.js';
import { provisionSubscription } from './subscriptions.js';
import type { Store } from './store.js';

/** Creates the catalog's seed customers and their subscriptions (used when the state starts empty). */
export function seedCustomers(store: Store): void {
  for (const seed of store.catalog.catalog.customers ?? []) {
    upsertCustomer(store, { customerId: seed.id, name: seed.name ?? null, email: seed.email ?? null });
    for (const s of seed.subscriptions ?? []) {
      const plan = store.catalog.plans.get(s.plan);
      provisionSubscription(store, {
        customerId: seed.id,
        planId: s.plan,
        resourceId: s.resourceId ?? null,
        subscriptionId: `subscription-${seed.id}-${s.plan}${s.resourceId ? `-${s.resourceId}` : ''}`,
        addons: s.addons?.map((a) => ({ addonId: a.addon, quantity: a.quantity ?? 1 })) ?? null,
        billingPeriod: plan && store.catalog.pricingTypeOf(plan) === 'PAID' ? 'MONTHLY' : null,
        startDate: s.startDate ?? null,
      });
    }
  }
}

/**
 * Replaces the catalog (already validated). Plans and add-ons that differ are announced with
 * `packagePublished`, and every customer's entitlements are pushed again.
 */
export function publishCatalog(store: Store, catalog: Catalog): { changedPackages: string[] } {
  const before = store.catalog;
  const version = before.version + 1;
  store.catalog = new CatalogIndex(catalog, version, new Date(store.now()));
  const changed: string[] = [];
  const key = (x: unknown) => JSON.stringify(x);
  for (const plan of catalog.plans) {
    if (key(before.plans.get(plan.id)) !== key(plan)) {
      changed.push(plan.id);
      movedEveryone(store, 'plan', plan.id, version);
      store.emit('packagePublished', 'Plan', plan.id, version);
    }
  }
  for (const addon of catalog.addons ?? []) {
    if (key(before.addons.get(addon.id)) !== key(addon)) {
      changed.push(addon.id);
      movedEveryone(store, 'addon', addon.id, version);
      store.emit('packagePublished', 'Addon', addon.id, version);
    }
  }
  for (const customerId of store.customers.keys()) store.touchCustomer(customerId);
  return { changedPackages: changed };
}

/** A package published for every customer: subscriptions that stayed on earlier versions move to this one. */
function movedEveryone(store: Store, kind: 'plan' | 'addon', id: string, version: number): void {
  const k = packageKey(kind, id);
  store.packageVersions.set(k, version);
  for (const sub of store.subscriptions.values()) {
    if (sub.versions?.[k] === undefined) continue;
    delete sub.versions[k];
    if (Object.keys(sub.versions).length === 0) delete sub.versions;
  }
}

/**
 * Publishes a new version of one plan or add-on (its entitlements, prices, names changed). With
 * `NEW_CUSTOMERS` (the default) subscriptions on it stay on the version they have until migrated
 * (`migrateSubscriptionToLatest`); with `ALL_CUSTOMERS` they all move now. Announced with `packagePublished`.
 */
export function publishPackageVersion(
  store: Store,
  packageType: 'Plan' | 'Addon',
  refId: string,
  change: PackageVersionChange,
  migrationType: 'NEW_CUSTOMERS' | 'ALL_CUSTOMERS' = 'NEW_CUSTOMERS',
): { packageType: 'Plan' | 'Addon'; refId: string; version: number; migrationType: string } {
  const catalog = store.catalog.catalog;
  const kind = packageType === 'Plan' ? 'plan' : 'addon';
  const list: { id: string }[] = packageType === 'Plan' ? catalog.plans : (catalog.addons ?? []);
  const old = list.find((p) => p.id === refId);
  if (!old) throw notFound(packageType === 'Plan' ? 'PlanNotFound' : 'AddonNotFound', packageType, refId);
  const next = { ...old };
  for (const [k, v] of Object.entries(change)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
  const replaced = list.map((p) => (p.id === refId ? next : p));
  const nextCatalog = validateCatalog(
    { ...catalog, ...(packageType === 'Plan' ? { plans: replaced } : { addons: replaced }) },
    `(new version of ${refId})`,
  );
  const k = packageKey(kind, refId);
  const previous = store.packageVersions.get(k) ?? 1;
  const version = store.catalog.version + 1;
  const uses = (s: SubscriptionRecord) =>
    packageType === 'Plan' ? s.planId === refId : s.addons.some((a) => a.addonId === refId);
  if (migrationType === 'NEW_CUSTOMERS') {
    store.packageHistory.set(`${k}@${previous}`, { key: k, version: previous, def: old });
    for (const sub of store.subscriptions.values())
      if (uses(sub) && sub.versions?.[k] === undefined) sub.versions = { ...sub.versions, [k]: previous };
  } else {
    movedEveryone(store, kind, refId, version);
  }
  store.packageVersions.set(k, version);
  store.catalog = new CatalogIndex(nextCatalog, version, new Date(store.now()));
  store.emit('packagePublished', packageType, refId, version, migrationType);
  if (migrationType === 'ALL_CUSTOMERS') {
    const customers = new Set([...store.subscriptions.values()].filter(uses).map((s) => s.customerId));
    for (const customerId of customers) store.touchCustomer(customerId);
  }
  return { packageType, refId, version, migrationType };
}
