import type { EntitlementSet } from '../decision/types.js';
import { TollgateError } from '../errors.js';
import type { Config } from '../options.js';
import type { Metrics } from '../events.js';
import type { ReadBudget, ReadLocks } from '../fleet/shared-reads.js';
import { idDigest } from '../util/ids.js';
import { BoundedLru } from './lru.js';
import { StoreGuard } from './store-guard.js';

/** A cached entitlement set with its provenance. */
export interface CacheEntry {
  set: EntitlementSet;
  /** Orders writes: a fetch is versioned by when it started, a push by when it arrived; older never replaces newer. */
  version: number;
  /** When Stigg last confirmed this data. */
  validatedAt: number;
  /** Earliest `validUntil` of the set (derived when the entry is stored; Stigg asks for a refetch then). */
  expiresAt?: number | null;
}

/** What a lookup found: the entry, its age, and whether it may be served without asking Stigg again. */
export interface Lookup {
  entry: CacheEntry;
  ageMs: number;
  fresh: boolean;
}

function expiryOf(entry: CacheEntry): number | null {
  let min: number | null = null;
  for (const id in entry.set.entitlements) {
    const until = entry.set.entitlements[id]!.validUntil;
    if (until !== null && (min === null || until < min)) min = until;
  }
  return min;
}

type Fetch = (customerId: string, resourceId: string | null) => Promise<EntitlementSet>;

/** A usage change pushed for one feature. */
export interface UsagePatch {
  currentUsage: number;
  usagePeriodStart: number | null;
  usagePeriodEnd: number | null;
}

/** How often a process waiting for another's read looks at the shared level. */
const FILL_POLL_MS = 20;

/** Reads shared with the fleet: a lock per key (one read per fleet), a read budget, and how long a cold read waits. */
export interface SharedReads {
  locks: ReadLocks | null;
  budget: ReadBudget;
  /** Longest a cold read waits for another process's read or for the budget before answering without Stigg. */
  waitMs: number;
}

export const isEntry = (v: unknown): v is CacheEntry =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as CacheEntry).version === 'number' &&
  typeof (v as CacheEntry).validatedAt === 'number' &&
  typeof (v as CacheEntry).set?.entitlements === 'object';

/**
 * Two levels over dumb layers: L1 in process (bounded LRU), L2 any Keyv (shared by processes). Read-through with
 * single flight, stale-while-revalidate, a max-stale bound, versioned writes; L2 trouble degrades to L1 + Stigg.
 */
export class EntitlementCache {
  private readonly l1: BoundedLru<CacheEntry>;
  private readonly l2: StoreGuard | null;
  private readonly inflight = new Map<string, Promise<CacheEntry>>();
  /** Keys whose usage changed while a load was running: that load's answer may predate the change. */
  private readonly changedDuringLoad = new Set<string>();
  /** Entries validated before this are not trusted (set on reconnect and catalog changes): revalidated lazily. */
  private invalidatedBefore = 0;
  /** Whether the stream currently keeps entries fresh. */
  streamConnected = false;

  constructor(
    private readonly config: Config,
    private readonly fetch: Fetch,
    private readonly metrics: Metrics,
    private readonly shared: SharedReads | null = null,
  ) {
    this.keyPrefix = `tollgate:v2:${config.environment}:{`;
    this.l1 = new BoundedLru(config.cache.maxEntries, config.cache.maxBytes);
    this.l2 = config.cache.store
      ? new StoreGuard(config.cache.store, config.cache.storeTimeoutMs, config.cache.storeRetryAfterMs, config.logger)
      : null;
  }

  private readonly keyPrefix: string;

  /**
   * In-process key: the customer id itself (or with the resource after a NUL, which no id holds: see util/ids.ts),
   * so a lookup hashes a short string. The in-process level serves one environment, so nothing else is in it.
   */
  key(customerId: string, resourceId: string | null): string {
    return resourceId === null ? customerId : `${customerId}\u0000${resourceId}`;
  }

  /**
   * Shared-store key: environment-scoped, never the API key; ids as digests (any id, short and distinct keys); the
   * customer in a Redis hash tag so its keys share a slot; "no resource" and every resource id apart.
   */
  storeKey(customerId: string, resourceId: string | null): string {
    return this.keyPrefix + idDigest(customerId) + (resourceId === null ? '}:none' : `}:r:${idDigest(resourceId)}`);
  }

  get l2Errors(): number {
    return this.l2?.errors ?? 0;
  }

  get l2Available(): boolean {
    return this.l2?.available ?? false;
  }

  get size(): number {
    return this.l1.size;
  }

  private freshFor(): number {
    return this.streamConnected ? this.config.cache.freshForMs : this.config.cache.freshForWhileDisconnectedMs;
  }

  private isFresh(entry: CacheEntry, now: number): boolean {
    if (entry.validatedAt <= this.invalidatedBefore || now - entry.validatedAt >= this.freshFor()) return false;
    const expiresAt = entry.expiresAt === undefined ? expiryOf(entry) : entry.expiresAt;
    return expiresAt === null || expiresAt > now;
  }

  /** Whether an entry may be served without asking Stigg again. */
  fresh(entry: CacheEntry, now: number): boolean {
    return this.isFresh(entry, now);
  }

  /** The in-process entry, synchronously (the hot path: a Map lookup, no promise, no L2). */
  lookup(key: string, now: number): Lookup | undefined {
    const entry = this.l1.get(key);
    if (!entry) return undefined;
    // Never negative: `now` may be a coarse clock's, a little behind the time the entry was validated at.
    return { entry, ageMs: Math.max(0, now - entry.validatedAt), fresh: this.isFresh(entry, now) };
  }

  /** Refreshes in the background (single flight); failures keep the entry and are counted. */
  revalidate(key: string, customerId: string, resourceId: string | null): void {
    if (this.inflight.has(key)) return;
    this.load(key, customerId, resourceId, { cold: false }).catch(() => {
      this.metrics.revalidationFailures += 1;
    });
  }

  /**
   * Read-through: L2 when it holds a fresh entry, else Stigg. Concurrent loads of one key share one call; with a
   * fleet, concurrent loads across processes too. `cold` (default): a read nothing can be served without, which
   * may wait for the fleet's read or the read budget; a revalidation does not wait.
   */
  load(key: string, customerId: string, resourceId: string | null, opts: { cold?: boolean } = {}): Promise<CacheEntry> {
    const running = this.inflight.get(key);
    if (running) return running;
    const task = this.loadOnce(key, customerId, resourceId, opts.cold ?? true).finally(() => this.inflight.delete(key));
    this.inflight.set(key, task);
    return task;
  }

  private async loadOnce(
    key: string,
    customerId: string,
    resourceId: string | null,
    cold: boolean,
  ): Promise<CacheEntry> {
    const storeKey = this.storeKey(customerId, resourceId);
    let shared: unknown;
    if (this.l2) {
      shared = await this.l2.get(storeKey);
      if (isEntry(shared) && this.isFresh(shared, Date.now())) {
        this.metrics.l2Hits += 1;
        return this.putL1(key, shared);
      }
      this.metrics.l2Misses += 1;
    }
    const waitUntil = Date.now() + (cold && this.shared ? this.shared.waitMs : 0);
    let lock: string | null = null;
    if (this.l2 && this.shared?.locks) {
      const found = await this.readOfAnother(storeKey, waitUntil);
      if (found === 'busy') {
        // Another process still reads this customer: for a revalidation its answer will do, what is held stays.
        const held = this.l1.peek(key) ?? (isEntry(shared) ? shared : undefined);
        if (!cold && held) {
          this.metrics.sharedReads += 1;
          return held;
        }
      } else if (typeof found === 'string') lock = found;
      else if (found) {
        this.metrics.sharedReads += 1;
        return this.putL1(key, found);
      }
    }
    try {
      if (this.shared && !(await this.shared.budget.take(waitUntil))) {
        this.metrics.readsOverBudget += 1;
        if (isEntry(shared) && Date.now() - shared.validatedAt <= this.config.cache.maxStaleMs) {
          this.metrics.staleServed += 1;
          return this.putL1(key, shared);
        }
        throw new TollgateError(
          'RATE_LIMITED',
          `Stigg's read budget (fleet.readsPerMinute ${this.config.fleet.readsPerMinute}) had no read left within ${cold ? this.shared.waitMs : 0} ms`,
          { retryable: true },
        );
      }
      return await this.read(key, customerId, resourceId, storeKey, shared, lock !== null);
    } finally {
      if (lock) await this.shared!.locks!.release(storeKey, lock);
    }
  }

  /**
   * Before reading Stigg: the fleet's read lock for this key. Resolves with the lock's token (this process reads),
   * with a fresh entry another process read meanwhile, with 'busy' (another process still reads it when this one's
   * wait is over), or with null (Redis cannot tell: read anyway).
   */
  private async readOfAnother(storeKey: string, waitUntil: number): Promise<string | CacheEntry | 'busy' | null> {
    for (;;) {
      const attempt = await this.shared!.locks!.take(storeKey);
      if (attempt === 'unknown') return null;
      if (attempt !== 'taken') {
        // Free: but its last holder may have filled the shared level just before freeing it.
        const filled = await this.l2!.get(storeKey);
        if (isEntry(filled) && this.isFresh(filled, Date.now())) {
          await this.shared!.locks!.release(storeKey, attempt.held);
          return filled;
        }
        return attempt.held;
      }
      if (Date.now() >= waitUntil) return 'busy';
      await new Promise((r) => setTimeout(r, FILL_POLL_MS));
      const filled = await this.l2!.get(storeKey);
      if (isEntry(filled) && this.isFresh(filled, Date.now())) return filled;
    }
  }

  private async read(
    key: string,
    customerId: string,
    resourceId: string | null,
    storeKey: string,
    shared: unknown,
    awaitShared: boolean,
  ): Promise<CacheEntry> {
    const started = Date.now();
    this.metrics.fetches += 1;
    this.changedDuringLoad.delete(key);
    let set: EntitlementSet;
    try {
      set = await this.fetch(customerId, resourceId);
    } catch (err) {
      // Stigg cannot be asked: the shared level's older copy, within max-stale, beats no answer (a process that
      // just started has nothing in process yet). Served as stale; revalidated on later use.
      if (isEntry(shared) && started - shared.validatedAt <= this.config.cache.maxStaleMs) {
        this.metrics.staleServed += 1;
        return this.putL1(key, shared);
      }
      throw err;
    }
    // An answer vouches for Stigg's state as of when it was asked, not when it arrived: a reconnect (or catalog
    // change) while Stigg was answering leaves it to be confirmed again on next use. So does a usage change pushed
    // meanwhile.
    const validatedAt = this.changedDuringLoad.delete(key) ? 0 : started;
    const entry = this.putL1(key, { set, version: started, validatedAt });
    if (entry.version === started) {
      // Under the fleet's lock the others wait for this write: it is done before the lock is released.
      const written = this.putL2(storeKey, entry);
      if (awaitShared) await written;
    }
    return entry;
  }

  /** Versioned write to L1: returns the entry that is now current (the existing one unless this one is newer). */
  private putL1(key: string, entry: CacheEntry): CacheEntry {
    const current = this.l1.peek(key);
    if (current && current.version >= entry.version) return current;
    entry.expiresAt = expiryOf(entry);
    this.l1.set(key, entry, JSON.stringify(entry.set).length + key.length);
    return entry;
  }

  private async putL2(storeKey: string, entry: CacheEntry): Promise<void> {
    if (!this.l2) return;
    const current = await this.l2.get(storeKey);
    if (isEntry(current) && current.version >= entry.version) return;
    await this.l2.set(storeKey, entry, this.config.cache.maxStaleMs);
  }

  /**
   * A pushed entitlement list: replaces what is cached (in L1 only where this process holds it) and L2. Returns
   * the entry and the shared write (a fleet's stream holder tells the others once it is done).
   */
  applyPush(
    customerId: string,
    resourceId: string | null,
    set: EntitlementSet,
  ): { entry: CacheEntry; stored: Promise<void> } {
    const key = this.key(customerId, resourceId);
    const now = Date.now();
    // A push supersedes whatever is held, even written in the same millisecond.
    const entry: CacheEntry = { set, version: Math.max(now, (this.l1.peek(key)?.version ?? 0) + 1), validatedAt: now };
    this.applyPushHere(customerId, resourceId, entry);
    return { entry, stored: this.putL2(this.storeKey(customerId, resourceId), entry) };
  }

  /** A pushed entry in process only (another process of the fleet wrote the shared level). */
  applyPushHere(customerId: string, resourceId: string | null, entry: CacheEntry): void {
    const key = this.key(customerId, resourceId);
    // Held here, or being loaded (so the load's older answer cannot replace this one).
    if (this.l1.peek(key) || this.inflight.has(key))
      this.putL1(key, { ...entry, validatedAt: Math.min(entry.validatedAt, Date.now()) });
  }

  /**
   * A pushed usage change for one feature: patched where cached; the shared copy is dropped if not held here.
   * With `shared: false`, in process only (another process of the fleet updated the shared level).
   */
  applyUsage(
    customerId: string,
    resourceId: string | null,
    featureId: string,
    patch: UsagePatch,
    shared = true,
  ): Promise<void> {
    const key = this.key(customerId, resourceId);
    const current = this.l1.peek(key);
    const ent = current?.set.entitlements[featureId];
    if (!current || !ent) {
      if (this.inflight.has(key)) this.changedDuringLoad.add(key);
      return shared && this.l2
        ? this.l2.delete(this.storeKey(customerId, resourceId)).then(() => {})
        : Promise.resolve();
    }
    const next: CacheEntry = {
      set: { entitlements: { ...current.set.entitlements, [featureId]: { ...ent, ...patch } } },
      version: Math.max(Date.now(), current.version + 1),
      validatedAt: current.validatedAt,
    };
    this.putL1(key, next);
    return shared ? this.putL2(this.storeKey(customerId, resourceId), next) : Promise.resolve();
  }

  /** Everything cached must be confirmed again before it counts as fresh; done lazily, on next use. */
  invalidateAll(): void {
    this.invalidatedBefore = Date.now();
  }

  /** Drops a customer's entries (all resources) here and in L2, after a change made through this client. */
  async dropCustomer(customerId: string): Promise<void> {
    const resources = [...this.l1.keys()].flatMap((k) =>
      k === customerId ? [null] : k.startsWith(`${customerId}\u0000`) ? [k.slice(customerId.length + 1)] : [],
    );
    for (const r of resources) this.l1.delete(this.key(customerId, r));
    const shared = new Set([null, ...resources].map((r) => this.storeKey(customerId, r)));
    await Promise.all([...shared].map((k) => this.l2?.delete(k)));
  }

  async settle(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()]);
  }

  clear(): void {
    this.l1.clear();
  }
}
