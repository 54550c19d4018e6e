import { CatalogIndex } from '../catalog/catalog-index.js';
import type { Catalog } from '../catalog/types.js';
import { upsertCustomer } from './customers.js';
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
      store.emit('packagePublished', 'Plan', plan.id, version);
    }
  }
  for (const addon of catalog.addons ?? []) {
    if (key(before.addons.get(addon.id)) !== key(addon)) {
      changed.push(addon.id);
      store.emit('packagePublished', 'Addon', addon.id, version);
    }
  }
  for (const customerId of store.customers.keys()) store.touchCustomer(customerId);
  return { changedPackages: changed };
}
