import { entitlementsOf, presentEntitlement, resolveGrants, usageOf } from '../model/entitlements.js';
import { balanceOf, presentBalance } from '../model/credits.js';
import type { Store, StoreListener } from '../model/store.js';
import { Topic } from './topic.js';

/**
 * The four realtime topics, fed by the store. Changes made in one turn of the event loop are coalesced per
 * customer (and per usage key), and payloads are built only when someone listens.
 */
export class StreamTopics implements StoreListener {
  readonly topics = {
    entitlementsUpdated: new Topic<unknown>(),
    usageUpdated: new Topic<unknown>(),
    packagePublished: new Topic<unknown>(),
    creditBalanceUpdated: new Topic<unknown>(),
  };
  private pendingEntitlements = new Map<string, [string, string | null]>();
  private pendingUsage = new Map<string, [string, string | null, string]>();
  private pendingCredits = new Map<string, [string, string | null, string]>();
  private scheduled = false;

  constructor(private readonly store: Store) {}

  subscribe(name: keyof StreamTopics['topics']): AsyncIterableIterator<unknown> {
    return this.topics[name].subscribe();
  }

  entitlementsChanged(customerId: string, resourceId: string | null): void {
    if (this.topics.entitlementsUpdated.subscriberCount === 0) return;
    this.pendingEntitlements.set(`${customerId}\u0001${resourceId ?? ''}`, [customerId, resourceId]);
    this.schedule();
  }

  usageChanged(customerId: string, resourceId: string | null, featureId: string): void {
    if (this.topics.usageUpdated.subscriberCount === 0) return;
    this.pendingUsage.set(`${customerId}\u0001${resourceId ?? ''}\u0001${featureId}`, [
      customerId,
      resourceId,
      featureId,
    ]);
    this.schedule();
  }

  packagePublished(
    packageType: 'Plan' | 'Addon',
    packageRefId: string,
    version: number,
    migrationType: 'ALL_CUSTOMERS' | 'NEW_CUSTOMERS' = 'ALL_CUSTOMERS',
  ): void {
    this.topics.packagePublished.publish({
      accountId: this.store.catalog.accountId,
      environmentId: this.store.catalog.environmentId,
      packageType,
      packageRefId,
      packageVersion: version,
      migrationType,
    });
  }

  creditBalanceChanged(customerId: string, resourceId: string | null, currencyId: string): void {
    if (this.topics.creditBalanceUpdated.subscriberCount === 0) return;
    this.pendingCredits.set(`${customerId}\u0001${resourceId ?? ''}\u0001${currencyId}`, [
      customerId,
      resourceId,
      currencyId,
    ]);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const entitlements = this.pendingEntitlements;
    const usage = this.pendingUsage;
    this.pendingEntitlements = new Map();
    this.pendingUsage = new Map();
    const credits = this.pendingCredits;
    this.pendingCredits = new Map();
    for (const [customerId, resourceId, currencyId] of credits.values()) {
      this.topics.creditBalanceUpdated.publish(
        presentBalance(this.store, balanceOf(this.store, customerId, resourceId, currencyId), 'CreditBalanceUpdated'),
      );
    }
    for (const [customerId, resourceId] of entitlements.values()) {
      this.topics.entitlementsUpdated.publish({
        customerId,
        resourceId,
        entitlements: entitlementsOf(this.store, customerId, resourceId),
      });
    }
    for (const [customerId, resourceId, featureId] of usage.values()) {
      const resolved = resolveGrants(this.store, customerId, resourceId).get(featureId);
      if (!resolved) continue;
      const current = usageOf(this.store, customerId, resourceId, resolved);
      this.topics.usageUpdated.publish({
        usage: {
          customerId,
          resourceId,
          featureId,
          currentUsage: current.value,
          usagePeriodStart: current.period?.start ?? null,
          usagePeriodEnd: current.period?.end ?? null,
          nextResetDate: current.period?.end ?? null,
        },
        entitlement: presentEntitlement(this.store, customerId, resourceId, resolved),
      });
    }
  }
}
