import { entitlementsOf, statusOf } from '../model/entitlements.js';
import type { Store } from '../model/store.js';

/** One subscription as the dashboard shows it. */
export interface SubscriptionView {
  subscriptionId: string;
  planId: string;
  /** The plan's display name (its id when the catalog no longer has it). */
  planName: string;
  productId: string | null;
  resourceId: string | null;
  /** As of now: a passed cancellation or end date shows as `CANCELED` / `EXPIRED`. */
  status: 'ACTIVE' | 'IN_TRIAL' | 'CANCELED' | 'EXPIRED' | 'NOT_STARTED';
  addons: { addonId: string; quantity: number }[];
  startDate: string;
  endDate: string | null;
  cancellationDate: string | null;
}

/** One entitlement of a customer (or of one of its resources), with its usage when the feature is metered. */
export interface EntitlementSummary {
  featureId: string;
  featureName: string;
  featureType: string;
  /** Usage is counted (`Incremental` or `Fluctuating`). */
  metered: boolean;
  resourceId: string | null;
  /** `null` when unlimited or not a number. */
  usageLimit: number | null;
  hasUnlimitedUsage: boolean;
  hasSoftLimit: boolean;
  /** Metered features only. */
  currentUsage: number | null;
  /** Plural units (`calls`), when the catalog names them. */
  units: string | null;
  enumValues: string[] | null;
  /** When metered usage resets next (ISO date), `null` when it never does. */
  nextResetDate: string | null;
  isGranted: boolean;
}

/** A customer with its subscriptions and entitlements, as `GET /_admin/customers` returns it. */
export interface CustomerView {
  customerId: string;
  name: string | null;
  email: string | null;
  archived: boolean;
  createdAt: string;
  /** Subscriptions not ended (active, in trial, not yet started); `endedSubscriptions` counts the others. */
  subscriptions: SubscriptionView[];
  endedSubscriptions: number;
  /** The customer's entitlements, then each resource's. */
  entitlements: EntitlementSummary[];
}

/** A page of customers: `total` held, `matched` by the search, the first `limit` of those. */
export interface CustomersPage {
  total: number;
  matched: number;
  customers: CustomerView[];
}

/** Customers listed at most per page (a store may hold an import of 100,000). */
export const MAX_CUSTOMERS_PAGE = 1000;
export const DEFAULT_CUSTOMERS_PAGE = 100;

export function customerView(store: Store, customerId: string): CustomerView | null {
  const customer = store.customers.get(customerId);
  if (!customer) return null;
  const now = store.now();
  const subscriptions: SubscriptionView[] = [];
  let ended = 0;
  for (const sub of store.subscriptionsOf(customerId)) {
    const status = statusOf(sub, now);
    if (status === 'CANCELED' || status === 'EXPIRED') {
      ended += 1;
      continue;
    }
    const plan = store.catalog.plans.get(sub.planId);
    subscriptions.push({
      subscriptionId: sub.subscriptionId,
      planId: sub.planId,
      planName: plan?.displayName ?? sub.planId,
      productId: plan?.product ?? null,
      resourceId: sub.resourceId,
      status,
      addons: sub.addons.map((a) => ({ ...a })),
      startDate: sub.startDate,
      endDate: sub.endDate,
      cancellationDate: sub.cancellationDate,
    });
  }
  const entitlements: EntitlementSummary[] = [];
  for (const scope of store.scopesOf(customerId)) {
    for (const e of entitlementsOf(store, customerId, scope)) {
      const feature = store.catalog.features.get(e.feature.refId);
      entitlements.push({
        featureId: e.feature.refId,
        featureName: e.feature.displayName,
        featureType: e.feature.featureType,
        metered: feature ? store.catalog.isMetered(feature) : false,
        resourceId: scope,
        usageLimit: e.usageLimit,
        hasUnlimitedUsage: e.hasUnlimitedUsage,
        hasSoftLimit: e.hasSoftLimit,
        currentUsage: e.currentUsage,
        units: e.feature.featureUnitsPlural ?? e.feature.featureUnits,
        enumValues: e.enumValues,
        nextResetDate: e.nextResetDate,
        isGranted: e.isGranted,
      });
    }
  }
  return {
    customerId,
    name: customer.name,
    email: customer.email,
    archived: customer.archived,
    createdAt: customer.createdAt,
    subscriptions,
    endedSubscriptions: ended,
    entitlements,
  };
}

/**
 * Customers in the order they were created, those whose id, name or email contain `search` (case-insensitive),
 * at most `limit` of them (default 100, at most 1,000).
 */
export function customersPage(store: Store, opts: { search?: string; limit?: number } = {}): CustomersPage {
  const limit = Math.max(0, Math.min(MAX_CUSTOMERS_PAGE, Math.floor(opts.limit ?? DEFAULT_CUSTOMERS_PAGE)));
  const needle = opts.search?.trim().toLowerCase() ?? '';
  const customers: CustomerView[] = [];
  let matched = 0;
  for (const c of store.customers.values()) {
    if (
      needle &&
      !c.customerId.toLowerCase().includes(needle) &&
      !c.name?.toLowerCase().includes(needle) &&
      !c.email?.toLowerCase().includes(needle)
    )
      continue;
    matched += 1;
    if (customers.length < limit) customers.push(customerView(store, c.customerId)!);
  }
  return { total: store.customers.size, matched, customers };
}
