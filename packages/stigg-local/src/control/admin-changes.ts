import type { Catalog } from '../catalog/types.js';
import type { Store, StoreListener } from '../model/store.js';
import type { StreamConnection } from '../stream/connections.js';
import { type CustomersPage, type CustomerView, customersPage, customerView } from './customer-views.js';
import type { FaultSpec } from './faults.js';
import type { RateLimitSettings } from './rate-limits.js';
import type { StatsSnapshot } from './stats.js';

/** `stats()` with the calls of the last minute per root field (from the kept arrival times: at most 1,000). */
export interface ActivityView extends StatsSnapshot {
  lastMinute: Record<string, number>;
}

/** What the admin surface has switched on: active faults and the rate-limit emulation. */
export interface ControlsView {
  faults: (FaultSpec & { id: number })[];
  rateLimits: Required<RateLimitSettings>;
}

/** Everything the dashboard shows, at one moment (the first event of `GET /_admin/events`). */
export interface DashboardSnapshot {
  catalog: { version: number; catalog: Catalog };
  /** The first 100 customers. */
  customers: CustomersPage;
  activity: ActivityView;
  controls: ControlsView;
  streams: StreamConnection[];
}

/**
 * A change `admin.watch()` reports (and `GET /_admin/events` sends, as the event of that name). Changes made
 * close together are coalesced: at most one report of each kind per 100 ms, a customer in it once.
 */
export type AdminChange =
  /** These customers changed (usage, subscriptions, entitlements, details); `total` is how many are held now. */
  | { type: 'customers'; total: number; customers: CustomerView[] }
  /** Too much changed to list (a reset, a catalog touching many customers): read everything again. */
  | { type: 'resync' }
  | { type: 'catalog'; version: number; catalog: Catalog }
  /** Calls, usage counters, refusals: sent when they differ from the last report (after calls, and every second). */
  | { type: 'activity'; activity: ActivityView }
  | { type: 'controls'; controls: ControlsView }
  | { type: 'streams'; streams: StreamConnection[] };

export interface ChangeSources {
  activity(): ActivityView;
  controls(): ControlsView;
  streams(): StreamConnection[];
  /** Where a listener's exception is reported. */
  log(message: string): void;
}

/** Changed customers reported one by one per report; past this, a `resync`. */
const MAX_CUSTOMERS_PER_REPORT = 200;
const FLUSH_INTERVAL_MS = 100;
const POLL_INTERVAL_MS = 1000;

/**
 * Turns store changes and admin actions into `AdminChange` reports for watchers (the dashboard's event stream).
 * Does nothing while nobody watches; what it holds between reports is bounded (at most 200 customer ids).
 */
export class AdminChanges implements StoreListener {
  private readonly listeners = new Set<(change: AdminChange) => void>();
  private dirtyCustomers = new Set<string>();
  private resyncPending = false;
  private catalogPending = false;
  private sent = { activity: '', controls: '', streams: '' };
  private timer: NodeJS.Timeout | null = null;
  private poller: NodeJS.Timeout | null = null;
  private lastFlush = 0;

  constructor(
    private readonly store: Store,
    private readonly sources: ChangeSources,
  ) {}

  get watchers(): number {
    return this.listeners.size;
  }

  watch(listener: (change: AdminChange) => void): () => void {
    this.listeners.add(listener);
    if (!this.poller) {
      // A new watcher reads a snapshot first: report only what differs from now on.
      this.sent = this.current().json;
      this.poller = setInterval(() => this.schedule(), POLL_INTERVAL_MS);
      this.poller.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  snapshot(): DashboardSnapshot {
    return {
      catalog: { version: this.store.catalog.version, catalog: this.store.catalog.catalog },
      customers: customersPage(this.store),
      activity: this.sources.activity(),
      controls: this.sources.controls(),
      streams: this.sources.streams(),
    };
  }

  entitlementsChanged(customerId: string): void {
    this.customerChanged(customerId);
  }

  usageChanged(customerId: string): void {
    this.customerChanged(customerId);
  }

  customerChanged(customerId: string): void {
    if (this.listeners.size === 0 || this.resyncPending) return;
    if (this.dirtyCustomers.size >= MAX_CUSTOMERS_PER_REPORT && !this.dirtyCustomers.has(customerId)) {
      this.resync();
      return;
    }
    this.dirtyCustomers.add(customerId);
    this.schedule();
  }

  packagePublished(): void {
    this.catalogChanged();
  }

  /** The catalog was replaced (a change of features alone publishes no package). */
  catalogChanged(): void {
    if (this.listeners.size === 0) return;
    this.catalogPending = true;
    this.schedule();
  }

  /** Something the activity, controls or streams views show may have changed: compare and report soon. */
  poke(): void {
    if (this.listeners.size > 0) this.schedule();
  }

  /** Everything changed (a reset): watchers are told to read it all again. */
  resync(): void {
    if (this.listeners.size === 0) return;
    this.resyncPending = true;
    this.dirtyCustomers.clear();
    this.schedule();
  }

  /** Stops reporting; watchers are dropped. */
  close(): void {
    this.listeners.clear();
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.poller) clearInterval(this.poller);
    this.timer = this.poller = null;
    this.dirtyCustomers.clear();
    this.resyncPending = this.catalogPending = false;
  }

  private current() {
    const activity = this.sources.activity();
    const controls = this.sources.controls();
    const streams = this.sources.streams();
    return {
      activity,
      controls,
      streams,
      json: {
        activity: JSON.stringify(activity),
        controls: JSON.stringify(controls),
        streams: JSON.stringify(streams),
      },
    };
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, this.lastFlush + FLUSH_INTERVAL_MS - Date.now()));
    this.timer.unref();
  }

  private flush(): void {
    this.timer = null;
    this.lastFlush = Date.now();
    const changes: AdminChange[] = [];
    if (this.resyncPending) {
      this.resyncPending = this.catalogPending = false;
      changes.push({ type: 'resync' });
    }
    if (this.catalogPending) {
      this.catalogPending = false;
      changes.push({ type: 'catalog', version: this.store.catalog.version, catalog: this.store.catalog.catalog });
    }
    if (this.dirtyCustomers.size > 0) {
      const customers: CustomerView[] = [];
      for (const id of this.dirtyCustomers) {
        const view = customerView(this.store, id);
        if (view) customers.push(view);
      }
      this.dirtyCustomers.clear();
      changes.push({ type: 'customers', total: this.store.customers.size, customers });
    }
    const { activity, controls, streams, json } = this.current();
    if (json.activity !== this.sent.activity) changes.push({ type: 'activity', activity });
    if (json.controls !== this.sent.controls) changes.push({ type: 'controls', controls });
    if (json.streams !== this.sent.streams) changes.push({ type: 'streams', streams });
    this.sent = json;
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (err) {
          this.sources.log(`stigg-local: an admin watcher failed: ${(err as Error)?.stack ?? String(err)}`);
        }
      }
    }
  }
}
