import type { Catalog } from '../catalog/types.js';
import { StiggError } from '../errors.js';
import { validateCatalog } from '../catalog/validate.js';
import { publishCatalog, publishPackageVersion } from '../model/catalog-changes.js';
import { completeCheckout, openCheckouts, setPaymentRequired } from '../model/checkout.js';
import type { PackageVersionChange } from '../model/versions.js';
import { getCustomer } from '../model/customers.js';
import { provisionSubscription } from '../model/subscriptions.js';
import type { Store } from '../model/store.js';
import type { Snapshot } from '../model/records.js';
import { reportUsage } from '../model/usage.js';
import type { StalledRequests } from '../http/stalled-requests.js';
import type { StreamConnection } from '../stream/connections.js';
import type { AdminChange, AdminChanges } from './admin-changes.js';
import { type CustomersPage, type CustomerView, customersPage, customerView } from './customer-views.js';
import type { FaultSpec, Faults } from './faults.js';
import type { RateLimiter, RateLimitSettings } from './rate-limits.js';
import type { Stats, StatsSnapshot } from './stats.js';

/** The admin surface: what tests and demos do to stigg-local that Stigg's own API does not offer. */
export interface StiggLocalAdmin {
  /**
   * Calls per GraphQL root field, usage applied and refused as duplicates, open streams, calls the rate-limit
   * emulation refused (`rateLimited`) and peak accepted write rates per customer and per mutation (`writes`).
   */
  stats(): StatsSnapshot;
  /** Zeroes every counter of `stats()` (open streams excepted: they are a state, not a count). */
  resetStats(): void;
  /** Arrival times (epoch ms) of the most recent calls of a root field, oldest first. */
  callTimes(field: string): number[];
  /** Moves a customer to a plan (replacing its subscription to that product); entitlements are pushed. */
  setPlan(
    customerId: string,
    planId: string,
    opts?: { resourceId?: string; addons?: { addonId: string; quantity?: number }[] },
  ): { subscriptionId: string };
  /** Sets a metered feature's current usage; `usageUpdated` is pushed. */
  setUsage(customerId: string, featureId: string, value: number, resourceId?: string): void;
  catalog(): Catalog;
  /**
   * Customers with their current subscriptions and entitlements (usage against limits), in the order they were
   * created: those whose id, name or email contain `search`, at most `limit` (default 100, at most 1,000).
   */
  customers(opts?: { search?: string; limit?: number }): CustomersPage;
  /** One customer as `customers()` shows it; throws `CustomerNotFound`. */
  customer(customerId: string): CustomerView;
  /** The open realtime (WebSocket) connections, with the root fields each subscribes to. */
  streams(): StreamConnection[];
  /**
   * Calls `listener` with each change the dashboard shows (customers, catalog, activity, faults and limits,
   * streams), coalesced per 100 ms; returns the function that stops it.
   */
  watch(listener: (change: AdminChange) => void): () => void;
  /** Customers, subscriptions, promotional grants and usage as held now (no request logs): compare two of them to see whether anything changed. */
  state(): Pick<Snapshot, 'customers' | 'subscriptions' | 'promotions' | 'usage'>;
  /** Replaces the catalog (validated first); changed plans and add-ons are announced with `packagePublished`. */
  publishCatalog(catalog: unknown): { changedPackages: string[] };
  /**
   * Publishes a new version of one plan or add-on (`PUT /_admin/packages/{Plan|Addon}/{id}` `{entitlements?,
   * prices?, displayName?, description?, migrationType?}`): `packagePublished` is pushed with the new version.
   * With `migrationType: NEW_CUSTOMERS` (default) existing subscriptions stay on their version until
   * `migrateSubscriptionToLatest`; with `ALL_CUSTOMERS` they move now.
   */
  publishPackageVersion(
    packageType: 'Plan' | 'Addon',
    refId: string,
    change: PackageVersionChange & { migrationType?: 'NEW_CUSTOMERS' | 'ALL_CUSTOMERS' },
  ): { packageType: 'Plan' | 'Addon'; refId: string; version: number; migrationType: string };
  /**
   * Whether provisioning a paid subscription for a customer without a payment method needs a checkout
   * (`PUT /_admin/payment-required` `{customerId | "all", required}`); `all` resets the per-customer settings.
   */
  setPaymentRequired(customerId: string | 'all', required: boolean): void;
  /** Pays an open checkout (`POST /_admin/checkouts/{token or customerId}/complete`): the subscription is created. */
  completeCheckout(tokenOrCustomerId: string): { subscriptionId: string; customerId: string };
  /** Open checkouts (`GET /_admin/checkouts`). */
  checkouts(): { token: string; customerId: string; planId: string; createdAt: string }[];
  /** Adds a fault (latency, an error, apply-then-drop, or a stall); returns its id. */
  injectFault(spec: FaultSpec): number;
  /** Ends one fault, or all; calls a `stall` fault holds get their connections destroyed. */
  clearFaults(id?: number): void;
  faults(): (FaultSpec & { id: number })[];
  /** Terminates every open WebSocket connection; returns how many. */
  dropStreams(): number;
  /** Stops reading from every open WebSocket for this long: pings go unanswered, as on a half-open connection. */
  stallStreams(ms: number): number;
  /** New TCP connections (HTTP and WebSocket) are refused for this long. */
  refuseConnections(ms: number): void;
  /**
   * A network partition (`POST /_admin/connections/blackhole {seconds}` → `{dropped}`): destroys every open TCP connection at once (idle keep-alive, in-flight HTTP and
   * WebSocket alike; no close frame, no response) and refuses new connections for `ms` (as `refuseConnections`).
   * Returns how many were dropped. Over HTTP the connection asking is spared: it gets its answer, then is closed.
   * The peer's kernel still sees the close (FIN or RST); for a silent peer use `stallStreams` / `stallHttp`.
   */
  blackhole(ms: number): number;
  /**
   * Stigg hanging (`POST /_admin/http/stall {seconds}`): for `ms`, GraphQL and Edge requests are read but never answered, nor executed or counted
   * (`/_admin` still answers). When the stall ends their connections are destroyed, unanswered, so a client that
   * waited never gets a late answer. A new call replaces the running stall; `stallHttp(0)` ends it now.
   * For chosen operations only, inject a fault with `stall: true` instead.
   */
  stallHttp(ms: number): void;
  /** Turns the rate-limit emulation on or off; its `windowMs` is also the window of `stats().writes` (a change restarts those peaks). */
  setRateLimits(settings: RateLimitSettings): Required<RateLimitSettings>;
  rateLimits(): Required<RateLimitSettings>;
  /** Back to the catalog's seed customers, with no usage, keys or imports; stats, faults and stalls cleared. */
  reset(): void;
}

export interface AdminDeps {
  store: Store;
  stats: Stats;
  faults: Faults;
  rateLimiter: RateLimiter;
  stalls: StalledRequests;
  dropStreams(): number;
  stallStreams(ms: number): number;
  refuseConnections(ms: number): void;
  blackhole(ms: number): number;
  reseed(): void;
  streams(): StreamConnection[];
  changes: AdminChanges;
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
      reportUsage(d.store, [{ customerId, featureId, resourceId, value, updateBehavior: 'SET' }], {
        applied: 0,
        duplicates: 0,
      });
    },
    catalog: () => d.store.catalog.catalog,
    customers: (opts) => customersPage(d.store, opts),
    customer: (customerId) => {
      getCustomer(d.store, customerId);
      return customerView(d.store, customerId)!;
    },
    streams: () => d.streams(),
    watch: (listener) => d.changes.watch(listener),
    state: () => {
      const { customers, subscriptions, promotions, usage } = d.store.snapshot();
      return structuredClone({ customers, subscriptions, promotions, usage });
    },
    publishCatalog: (catalog) => {
      const published = publishCatalog(d.store, validateCatalog(catalog, '(published)'));
      d.changes.catalogChanged();
      return published;
    },
    publishPackageVersion: (packageType, refId, change) => {
      if (packageType !== 'Plan' && packageType !== 'Addon')
        throw new StiggError('BadUserInput', 'packageType must be Plan or Addon');
      const { migrationType, ...rest } = change;
      const published = publishPackageVersion(d.store, packageType, refId, rest, migrationType ?? 'NEW_CUSTOMERS');
      d.changes.catalogChanged();
      return published;
    },
    setPaymentRequired: (customerId, required) => setPaymentRequired(d.store, customerId, required),
    completeCheckout: (tokenOrCustomerId) => {
      d.store.settle();
      const { subscription } = completeCheckout(d.store, tokenOrCustomerId);
      return { subscriptionId: subscription.subscriptionId, customerId: subscription.customerId };
    },
    checkouts: () => openCheckouts(d.store),
    injectFault: (spec) => {
      const id = d.faults.add(spec);
      d.changes.poke();
      return id;
    },
    clearFaults: (id) => {
      d.faults.clear(id);
      d.stalls.endFaults(id);
      d.changes.poke();
    },
    faults: () => d.faults.list(),
    dropStreams: () => d.dropStreams(),
    stallStreams: (ms) => d.stallStreams(ms),
    refuseConnections: (ms) => d.refuseConnections(ms),
    blackhole: (ms) => d.blackhole(ms),
    stallHttp: (ms) => d.stalls.stallHttp(ms),
    setRateLimits: (settings) => {
      const resolved = d.rateLimiter.configure(settings);
      d.stats.setWriteWindow(resolved.windowMs);
      d.changes.poke();
      return resolved;
    },
    rateLimits: () => d.rateLimiter.current(),
    reset() {
      d.faults.clear();
      d.stalls.endAll();
      d.stats.setWriteWindow(d.rateLimiter.configure({ enabled: false }).windowMs);
      d.reseed();
      d.stats.reset();
      d.changes.resync();
    },
  };
}
