import type { Catalog } from '../catalog/types.js';
import { validateCatalog } from '../catalog/validate.js';
import { publishCatalog } from '../model/catalog-changes.js';
import { getCustomer } from '../model/customers.js';
import { provisionSubscription } from '../model/subscriptions.js';
import type { Store } from '../model/store.js';
import type { Snapshot } from '../model/records.js';
import { reportUsage } from '../model/usage.js';
import type { FaultSpec, Faults } from './faults.js';
import type { RateLimiter, RateLimitSettings } from './rate-limits.js';
import type { Stats, StatsSnapshot } from './stats.js';

/** The admin surface: what tests and demos do to stigg-local that Stigg's own API does not offer. */
export interface StiggLocalAdmin {
  /** Calls per GraphQL root field, usage applied and refused as duplicates, open streams. */
  stats(): StatsSnapshot;
  resetStats(): void;
  /** Arrival times (epoch ms) of the most recent calls of a root field, oldest first. */
  callTimes(field: string): number[];
  /** Moves a customer to a plan (replacing its subscription to that product); entitlements are pushed. */
  setPlan(customerId: string, planId: string, opts?: { resourceId?: string; addons?: { addonId: string; quantity?: number }[] }): { subscriptionId: string };
  /** Sets a metered feature's current usage; `usageUpdated` is pushed. */
  setUsage(customerId: string, featureId: string, value: number, resourceId?: string): void;
  catalog(): Catalog;
  /** Customers, subscriptions, promotional grants and usage as held now (no request logs): compare two of them to see whether anything changed. */
  state(): Pick<Snapshot, 'customers' | 'subscriptions' | 'promotions' | 'usage'>;
  /** Replaces the catalog (validated first); changed plans and add-ons are announced with `packagePublished`. */
  publishCatalog(catalog: unknown): { changedPackages: string[] };
  injectFault(spec: FaultSpec): number;
  clearFaults(id?: number): void;
  faults(): (FaultSpec & { id: number })[];
  /** Terminates every open WebSocket connection; returns how many. */
  dropStreams(): number;
  /** Stops reading from every open WebSocket for this long: pings go unanswered, as on a half-open connection. */
  stallStreams(ms: number): number;
  /** New TCP connections (HTTP and WebSocket) are refused for this long. */
  refuseConnections(ms: number): void;
  setRateLimits(settings: RateLimitSettings): Required<RateLimitSettings>;
  rateLimits(): Required<RateLimitSettings>;
  /** Back to the catalog's seed customers, with no usage, keys or imports; stats and faults cleared. */
  reset(): void;
}

export interface AdminDeps {
  store: Store;
  stats: Stats;
  faults: Faults;
  rateLimiter: RateLimiter;
  dropStreams(): number;
  stallStreams(ms: number): number;
  refuseConnections(ms: number): void;
  reseed(): void;
}

export function createAdmin(d: AdminDeps): StiggLocalAdmin {
  return {
    stats: () => d.stats.snapshot(),
    resetStats: () => d.stats.reset(),
    callTimes: (field) => d.stats.callTimes(field),
    setPlan(customerId, planId, opts = {}) {
      getCustomer(d.store, customerId);
      const plan = d.store.catalog.plans.get(planId);
      const sub = provisionSubscription(d.store, {
        customerId,
        planId,
        resourceId: opts.resourceId ?? null,
        addons: opts.addons ?? null,
        billingPeriod: plan && d.store.catalog.pricingTypeOf(plan) === 'PAID' ? 'MONTHLY' : null,
      });
      return { subscriptionId: sub.subscriptionId };
    },
    setUsage(customerId, featureId, value, resourceId) {
      reportUsage(d.store, [{ customerId, featureId, resourceId, value, updateBehavior: 'SET' }], { applied: 0, duplicates: 0 });
    },
    catalog: () => d.store.catalog.catalog,
    state: () => {
      const { customers, subscriptions, promotions, usage } = d.store.snapshot();
      return structuredClone({ customers, subscriptions, promotions, usage });
    },
    publishCatalog: (catalog) => publishCatalog(d.store, validateCatalog(catalog, '(published)')),
    injectFault: (spec) => d.faults.add(spec),
    clearFaults: (id) => d.faults.clear(id),
    faults: () => d.faults.list(),
    dropStreams: () => d.dropStreams(),
    stallStreams: (ms) => d.stallStreams(ms),
    refuseConnections: (ms) => d.refuseConnections(ms),
    setRateLimits: (settings) => d.rateLimiter.configure(settings),
    rateLimits: () => d.rateLimiter.current(),
    reset() {
      d.faults.clear();
      d.rateLimiter.configure({ enabled: false });
      d.reseed();
      d.stats.reset();
    },
  };
}
