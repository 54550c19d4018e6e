import { CatalogIndex } from '../catalog/catalog-index.js';
import type { Catalog } from '../catalog/types.js';
import type {
  CustomerRecord,
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
  packagePublished?(packageType: 'Plan' | 'Addon', packageRefId: string, version: number): void;
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
  private readonly listeners = new Set<StoreListener>();

  constructor(
    catalog: Catalog,
    /** The clock every rule reads; tests move it to cross usage periods. */
    readonly now: () => number = Date.now,
  ) {
    this.catalog = new CatalogIndex(catalog);
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
  }

  clear(): void {
    this.customers.clear();
    this.subscriptions.clear();
    this.subscriptionsByCustomer.clear();
    this.promotions.clear();
    this.usage.clear();
    this.idempotencyKeys.clear();
    this.importTasks.clear();
  }
}
