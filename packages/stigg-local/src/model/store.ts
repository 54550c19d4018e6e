import { CatalogIndex } from '../catalog/catalog-index.js';
import type { Catalog } from '../catalog/types.js';
import type {
  CheckoutRecord,
  CreditGrantRecord,
  CustomerRecord,
  PackageVersionRecord,
  UsagePoint,
  ImportTaskRecord,
  PromotionRecord,
  Snapshot,
  SubscriptionRecord,
  UsageRecord,
} from './records.js';

/** What changed, for the stream and for persistence. */
export interface StoreListener {
  entitlementsChanged?(customerId: string, resourceId: string | null): void;
  usageChanged?(customerId: string, resourceId: string | null, featureId: string): void;
  packagePublished?(
    packageType: 'Plan' | 'Addon',
    packageRefId: string,
    version: number,
    migrationType?: 'ALL_CUSTOMERS' | 'NEW_CUSTOMERS',
  ): void;
  /** A customer's credit balance in one currency changed (a grant, a void, consumption). */
  creditBalanceChanged?(customerId: string, resourceId: string | null, currencyId: string): void;
  /** A customer was created or its details (name, email, ...) changed. */
  customerChanged?(customerId: string): void;
  stateChanged?(): void;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export const usageKey = (customerId: string, resourceId: string | null, featureId: string): string =>
  `${customerId}\u0001${resourceId ?? ''}\u0001${featureId}`;

/** All of stigg-local's state for one environment, with the indexes reads need. Domain rules live beside it. */
export class Store {
  catalog: CatalogIndex;
  readonly customers = new Map<string, CustomerRecord>();
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  readonly subscriptionsByCustomer = new Map<string, Set<string>>();
  readonly promotions = new Map<string, PromotionRecord[]>();
  readonly usage = new Map<string, UsageRecord>();
  readonly idempotencyKeys = new Map<string, number>();
  readonly importTasks = new Map<string, ImportTaskRecord>();
  /** Credit grants by grant id. */
  readonly creditGrants = new Map<string, CreditGrantRecord>();
  /** Per usage counter (`usageKey`), its latest points, oldest first (at most `USAGE_HISTORY_POINTS`). */
  readonly usageHistory = new Map<string, UsagePoint[]>();
  /** The current version of each package (`plan:<id>` / `addon:<id>`) that has been published again; else 1. */
  readonly packageVersions = new Map<string, number>();
  /** Earlier versions of packages, by `<key>@<version>`. */
  readonly packageHistory = new Map<string, PackageVersionRecord>();
  /** Subscriptions with a scheduled update still to apply. */
  readonly scheduled = new Set<string>();
  /** Pending checkouts by token: in memory only (a restart forgets them, as an expired checkout session). */
  readonly checkouts = new Map<string, CheckoutRecord>();
  /** Payment required (admin `setPaymentRequired`): for every customer, and per customer. In memory only. */
  readonly paymentRequired = { all: false, customers: new Map<string, boolean>() };
  /** Rules that apply what became due as the clock moved (scheduled updates); run before reads and writes. */
  readonly settlers: ((store: Store) => void)[] = [];
  private settling = false;
  private readonly listeners = new Set<StoreListener>();

  constructor(
    catalog: Catalog,
    /** The clock every rule reads; tests move it to cross usage periods. */
    readonly now: () => number = Date.now,
  ) {
    this.catalog = new CatalogIndex(catalog);
  }

  /** Applies whatever became due by `now()` (scheduled subscription updates). Cheap when nothing is pending. */
  settle(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      for (const settler of this.settlers) settler(this);
    } finally {
      this.settling = false;
    }
  }

  listen(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit<K extends keyof StoreListener>(event: K, ...args: Parameters<NonNullable<StoreListener[K]>>): void {
    for (const l of this.listeners) (l[event] as ((...a: unknown[]) => void) | undefined)?.(...args);
    if (event !== 'stateChanged') for (const l of this.listeners) l.stateChanged?.();
  }

  /** The entitlement lists a customer has: the customer-level one and one per resource it subscribes with. */
  scopesOf(customerId: string): (string | null)[] {
    const scopes = new Set<string | null>([null]);
    for (const sub of this.subscriptionsOf(customerId)) if (sub.resourceId) scopes.add(sub.resourceId);
    return [...scopes];
  }

  /** Tell listeners every entitlement list of this customer may have changed. */
  touchCustomer(customerId: string): void {
    for (const scope of this.scopesOf(customerId)) this.emit('entitlementsChanged', customerId, scope);
  }

  subscriptionsOf(customerId: string): SubscriptionRecord[] {
    const ids = this.subscriptionsByCustomer.get(customerId);
    if (!ids) return [];
    const out: SubscriptionRecord[] = [];
    for (const id of ids) {
      const sub = this.subscriptions.get(id);
      if (sub) out.push(sub);
    }
    return out;
  }

  putSubscription(sub: SubscriptionRecord): void {
    this.subscriptions.set(sub.subscriptionId, sub);
    let set = this.subscriptionsByCustomer.get(sub.customerId);
    if (!set) this.subscriptionsByCustomer.set(sub.customerId, (set = new Set()));
    set.add(sub.subscriptionId);
  }

  /** Records an idempotency key; false when it was seen within the last 24 hours. */
  claimIdempotencyKey(key: string): boolean {
    const now = this.now();
    const expires = this.idempotencyKeys.get(key);
    if (expires !== undefined && expires > now) return false;
    this.idempotencyKeys.set(key, now + IDEMPOTENCY_TTL_MS);
    return true;
  }

  pruneIdempotencyKeys(): void {
    const now = this.now();
    for (const [key, expires] of this.idempotencyKeys) if (expires <= now) this.idempotencyKeys.delete(key);
  }

  snapshot(): Snapshot {
    return {
      version: 1,
      customers: [...this.customers.values()],
      subscriptions: [...this.subscriptions.values()],
      promotions: [...this.promotions.values()].flat(),
      usage: [...this.usage.entries()],
      idempotencyKeys: [...this.idempotencyKeys.entries()],
      importTasks: [...this.importTasks.values()],
      creditGrants: [...this.creditGrants.values()],
      usageHistory: [...this.usageHistory.entries()],
      packageVersions: [...this.packageVersions.entries()],
      packageHistory: [...this.packageHistory.values()],
    };
  }

  restore(snapshot: Snapshot): void {
    this.clear();
    for (const c of snapshot.customers) this.customers.set(c.customerId, c);
    // Files written before subscriptions held a coupon have no `couponId`.
    for (const s of snapshot.subscriptions) this.putSubscription({ ...s, couponId: s.couponId ?? null });
    for (const p of snapshot.promotions)
      this.promotions.set(p.customerId, [...(this.promotions.get(p.customerId) ?? []), p]);
    for (const [k, v] of snapshot.usage) this.usage.set(k, v);
    for (const [k, v] of snapshot.idempotencyKeys) this.idempotencyKeys.set(k, v);
    for (const t of snapshot.importTasks) this.importTasks.set(t.id, t);
    for (const g of snapshot.creditGrants ?? []) this.creditGrants.set(g.grantId, g);
    for (const [k, v] of snapshot.usageHistory ?? []) this.usageHistory.set(k, v);
    for (const [k, v] of snapshot.packageVersions ?? []) this.packageVersions.set(k, v);
    for (const h of snapshot.packageHistory ?? []) this.packageHistory.set(`${h.key}@${h.version}`, h);
    for (const s of this.subscriptions.values())
      if (s.scheduledUpdates?.some((u) => u.status === 'Scheduled')) this.scheduled.add(s.subscriptionId);
  }

  clear(): void {
    this.customers.clear();
    this.subscriptions.clear();
    this.subscriptionsByCustomer.clear();
    this.promotions.clear();
    this.usage.clear();
    this.idempotencyKeys.clear();
    this.importTasks.clear();
    this.creditGrants.clear();
    this.usageHistory.clear();
    this.packageVersions.clear();
    this.packageHistory.clear();
    this.scheduled.clear();
    this.checkouts.clear();
    this.paymentRequired.all = false;
    this.paymentRequired.customers.clear();
  }
}
