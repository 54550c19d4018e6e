import { BoundedLru } from '../cache/lru.js';
import { fitsLimit } from '../decision/decide.js';
import { ExpiringKeys } from './expiring-keys.js';
import {
  keyString,
  type ClaimRequest,
  type KeyedCommit,
  type LocalUsage,
  type OpenUnits,
  type RecordedResponse,
  type MeterStore,
  type ReserveRequest,
  type ReserveResult,
  type SealedRecord,
  type SeenKey,
  type UsageKey,
} from './types.js';

interface Counter {
  key: UsageKey;
  reserved: number;
  /** Committed and not yet acknowledged by Stigg (open + sealed). */
  pending: number;
  /** Committed and not yet sealed into a record. */
  open: number;
  /** When the oldest open unit was committed. */
  openSince: number;
  base: number;
  basePeriod: number | null;
  /** Ids of this counter's sealed records. */
  sealed: Set<string>;
  reservations: Map<string, { units: number; expires: number }>;
  /** With `tracksRequests`: the committed requests with an idempotency key not yet handed on. */
  requests?: KeyedCommit[];
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const IDLE_KEPT_MS = 60_000;

/**
 * The meter in process memory: exact within one process, lost with it. Bounded: past `maxKeys` counters with
 * unreported usage, new usage is dropped and counted; request keys are bounded the same way.
 */
export class MemoryMeterStore implements MeterStore {
  dropped = 0;
  private readonly counters = new Map<string, Counter>();
  private readonly records = new Map<string, SealedRecord>();
  /** Counters with open units or sealed records. */
  private readonly due = new Set<string>();
  /** Committed request keys (24 h), and the responses kept for replay (bounded by bytes: past it, none is kept). */
  private readonly requestKeys: ExpiringKeys;
  private readonly responses = new BoundedLru<RecordedResponse>(10_000, 16 * 1024 * 1024);
  /** Request keys whose reservation is live, with its id. */
  private readonly inflightKeys = new Map<string, string>();
  /** Counters that went idle, oldest first, with when: forgotten once their base can no longer matter. */
  private readonly idle = new Map<string, number>();
  /** Keyed commits tracked for hand-over (bounded by `maxKeys`), and the counters that hold them. */
  private trackedRequests = 0;
  private readonly withRequests = new Set<string>();

  /**
   * @param tracksRequests keep each committed request's idempotency key with its counter's open units (`takeOpen`),
   *   for a store that hands them on to a shared one (the Redis meter's fallback while Redis is down).
   */
  constructor(
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
    private readonly tracksRequests = false,
  ) {
    this.requestKeys = new ExpiringKeys(IDEMPOTENCY_TTL_MS, maxKeys, now);
  }

  private counter(key: UsageKey): Counter {
    const id = keyString(key);
    let c = this.counters.get(id);
    if (!c) {
      c = {
        key: { customerId: key.customerId, resourceId: key.resourceId, featureId: key.featureId },
        reserved: 0,
        pending: 0,
        open: 0,
        openSince: 0,
        base: 0,
        basePeriod: null,
        sealed: new Set(),
        reservations: new Map(),
      };
      this.counters.set(id, c);
      this.forgetIdle();
    }
    return c;
  }

  private expire(c: Counter, now: number): void {
    for (const [id, r] of c.reservations) {
      if (r.expires > now) continue;
      c.reserved -= r.units;
      c.reservations.delete(id);
    }
  }

  reserve(r: ReserveRequest): ReserveResult {
    const now = this.now();
    const c = this.counter(r.key);
    this.expire(c, now);
    const base = c.basePeriod === r.period ? Math.max(c.base, r.cachedUsage) : r.cachedUsage;
    const usage = base + c.reserved + c.pending;
    const rk = r.idempotencyKey ? requestKey(r.key, r.idempotencyKey) : null;
    if (rk) {
      if (this.requestKeys.has(rk)) return { status: 'duplicate', usage, replay: this.responses.get(rk) ?? null };
      const holder = this.inflightKeys.get(rk);
      if (holder && c.reservations.has(holder)) return { status: 'in-flight', usage };
    }
    if (!fitsLimit(usage, r.units, r.limit)) return { status: 'denied', usage };
    c.reserved += r.units;
    c.reservations.set(r.reservationId, { units: r.units, expires: now + r.ttlMs });
    if (rk && this.inflightKeys.size < this.maxKeys) this.inflightKeys.set(rk, r.reservationId);
    return { status: 'reserved', usage };
  }

  async seen(key: UsageKey, idempotencyKey: string): Promise<SeenKey> {
    const rk = requestKey(key, idempotencyKey);
    if (this.requestKeys.has(rk)) return { status: 'duplicate', replay: this.responses.get(rk) ?? null };
    const holder = this.inflightKeys.get(rk);
    const held = holder ? this.counters.get(keyString(key))?.reservations.get(holder) : undefined;
    return held && held.expires > this.now() ? { status: 'in-flight' } : null;
  }

  commit(
    key: UsageKey,
    reservationId: string,
    units: number,
    idempotencyKey: string | null,
    _reservedUnits?: number,
    response?: RecordedResponse | null,
  ): void {
    const c = this.counter(key);
    this.free(c, reservationId);
    if (idempotencyKey) {
      const rk = requestKey(key, idempotencyKey);
      this.inflightKeys.delete(rk);
      this.requestKeys.add(rk);
      if (response) this.responses.set(rk, response, response.body.length + rk.length + 512);
      if (this.tracksRequests) this.trackRequest(c, { idempotencyKey, units, response: response ?? null });
    }
    if (units === 0) {
      this.forgetIfIdle(c);
      return;
    }
    if (c.open === 0 && c.sealed.size === 0 && this.due.size >= this.maxKeys) {
      this.dropped += units;
      return;
    }
    if (c.open === 0) c.openSince = this.now();
    c.pending += units;
    c.open += units;
    this.due.add(keyString(key));
  }

  release(key: UsageKey, reservationId: string, _reservedUnits?: number, idempotencyKey?: string | null): void {
    if (idempotencyKey) {
      const rk = requestKey(key, idempotencyKey);
      if (this.inflightKeys.get(rk) === reservationId) this.inflightKeys.delete(rk);
    }
    const c = this.counters.get(keyString(key));
    if (c && this.free(c, reservationId)) this.forgetIfIdle(c);
  }

  private free(c: Counter, reservationId: string): boolean {
    const r = c.reservations.get(reservationId);
    if (!r) return false;
    c.reserved -= r.units;
    c.reservations.delete(reservationId);
    return true;
  }

  async pendingKeys(_shared?: boolean): Promise<UsageKey[]> {
    return [...this.due].map((id) => this.counters.get(id)!.key);
  }

  async claim(keys: UsageKey[], request: ClaimRequest): Promise<SealedRecord[]> {
    const out: SealedRecord[] = [];
    for (const key of keys) {
      const c = this.counters.get(keyString(key));
      if (!c) continue;
      for (const id of c.sealed) out.push(this.records.get(id)!);
      // Units of keyed requests wait for the shared store (see `ClaimRequest.final`), but at close.
      const held = this.tracksRequests && !request.final ? (c.requests ?? []).reduce((n, r) => n + r.units, 0) : 0;
      const units = c.open - held;
      // While a record's outcome is unknown, new units wait (merged) for the next write: at most one record a counter.
      if (units > 0 && c.sealed.size === 0) {
        const record: SealedRecord = { ...c.key, id: crypto.randomUUID(), units, since: c.openSince };
        this.records.set(record.id, record);
        c.sealed.add(record.id);
        c.open = held;
        // Their units go with the record from here: only their keys are left to hand on.
        if (held === 0) for (const r of c.requests ?? []) r.units = 0;
        out.push({ ...record, fresh: true });
      }
    }
    return out;
  }

  /** Forgets a sealed record; false when it is not (or no longer) here. */
  private settleRecord(record: SealedRecord): Counter | null {
    if (!this.records.delete(record.id)) return null;
    const c = this.counter(record);
    c.sealed.delete(record.id);
    if (c.open === 0 && c.sealed.size === 0) this.due.delete(keyString(c.key));
    return c;
  }

  async acknowledge(record: SealedRecord, currentUsage: number | null, period: number | null): Promise<void> {
    const c = this.settleRecord(record);
    if (!c) return;
    c.pending -= record.units;
    if (currentUsage !== null) {
      c.base = currentUsage;
      c.basePeriod = period;
    }
    this.forgetIfIdle(c);
  }

  async unseal(record: SealedRecord): Promise<void> {
    const c = this.settleRecord(record);
    if (!c) return;
    if (c.open === 0 || record.since < c.openSince) c.openSince = record.since;
    c.open += record.units;
    this.due.add(keyString(c.key));
  }

  async discard(record: SealedRecord): Promise<void> {
    const c = this.settleRecord(record);
    if (!c) return;
    c.pending -= record.units;
    this.dropped += record.units;
    this.forgetIfIdle(c);
  }

  /**
   * Takes every counter's open (committed, never sent) units out of this store, for the Redis store to hand them
   * to Redis once it answers again; `restoreOpen` puts back what Redis did not take.
   */
  takeOpen(): OpenUnits[] {
    const out: OpenUnits[] = [];
    for (const id of new Set([...this.due, ...this.withRequests])) {
      const c = this.counters.get(id)!;
      const requests = this.takeRequests(c);
      if (c.open <= 0 && !requests) continue;
      out.push(
        requests
          ? { key: c.key, units: c.open, since: c.openSince, requests }
          : { key: c.key, units: c.open, since: c.openSince },
      );
      c.pending -= c.open;
      c.open = 0;
      if (c.sealed.size === 0) this.due.delete(id);
      this.forgetIfIdle(c);
    }
    return out;
  }

  restoreOpen(open: OpenUnits): void {
    const c = this.counter(open.key);
    for (const r of open.requests ?? []) this.trackRequest(c, r);
    if (open.units <= 0) return;
    if (c.open === 0 || open.since < c.openSince) c.openSince = open.since;
    c.open += open.units;
    c.pending += open.units;
    this.due.add(keyString(open.key));
  }

  private trackRequest(c: Counter, request: KeyedCommit): void {
    if (this.trackedRequests >= this.maxKeys) return; // its units still count; only its key stays in this process
    (c.requests ??= []).push(request);
    this.trackedRequests += 1;
    this.withRequests.add(keyString(c.key));
  }

  private takeRequests(c: Counter): KeyedCommit[] | null {
    const requests = c.requests;
    if (!requests?.length) return null;
    c.requests = undefined;
    this.trackedRequests -= requests.length;
    this.withRequests.delete(keyString(c.key));
    return requests;
  }

  /**
   * Takes every sealed record (sent, outcome unknown) out of this store, to be handed on with its id (so that
   * sending it again stays safe); `restoreSealed` puts one back.
   */
  takeSealed(): SealedRecord[] {
    const out: SealedRecord[] = [];
    for (const record of [...this.records.values()]) {
      const c = this.settleRecord(record)!;
      c.pending -= record.units;
      this.forgetIfIdle(c);
      out.push({
        id: record.id,
        customerId: record.customerId,
        resourceId: record.resourceId,
        featureId: record.featureId,
        units: record.units,
        since: record.since,
      });
    }
    return out;
  }

  restoreSealed(record: SealedRecord): void {
    if (this.records.has(record.id)) return;
    const c = this.counter(record);
    const kept: SealedRecord = {
      id: record.id,
      customerId: c.key.customerId,
      resourceId: c.key.resourceId,
      featureId: c.key.featureId,
      units: record.units,
      since: record.since,
    };
    this.records.set(kept.id, kept);
    c.sealed.add(kept.id);
    c.pending += kept.units;
    this.due.add(keyString(c.key));
  }

  /** Everything committed here and not yet acknowledged, taken out (to spill to a file at close). */
  takeLocal(): LocalUsage {
    return { sealed: this.takeSealed(), open: this.takeOpen() };
  }

  /** Puts back usage taken out by `takeLocal` (read back from a spill file at start). */
  restoreLocal(usage: LocalUsage): void {
    for (const r of usage.sealed) this.restoreSealed(r);
    for (const o of usage.open) this.restoreOpen(o);
  }

  /** Counters with sealed records (sent, outcome unknown): only this store can finish them. */
  sealedKeys(): UsageKey[] {
    const out: UsageKey[] = [];
    for (const id of this.due) if (this.counters.get(id)!.sealed.size > 0) out.push(this.counters.get(id)!.key);
    return out;
  }

  /** Whether this store holds the record (the Redis store asks before sending it to Redis). */
  holds(record: SealedRecord): boolean {
    return this.records.has(record.id);
  }

  localOverlay(key: UsageKey): number {
    const c = this.counters.get(keyString(key));
    return c ? c.reserved + c.pending : 0;
  }

  async pendingUnits(_shared?: boolean): Promise<{ local: number; shared: number; unconfirmed: number }> {
    let n = 0;
    for (const id of this.due) n += this.counters.get(id)!.pending;
    return { local: n, shared: 0, unconfirmed: 0 };
  }

  /** An idle counter is kept a minute (its base guards decisions made from a cache that predates Stigg's answer), then forgotten. */
  private forgetIfIdle(c: Counter): void {
    if (c.reserved !== 0 || c.pending !== 0 || c.reservations.size !== 0) return;
    const id = keyString(c.key);
    this.idle.delete(id);
    this.idle.set(id, this.now());
  }

  private forgetIdle(): void {
    const now = this.now();
    for (const [id, since] of this.idle) {
      if (now - since < IDLE_KEPT_MS) break;
      this.idle.delete(id);
      const c = this.counters.get(id);
      if (c && c.reserved === 0 && c.pending === 0 && c.reservations.size === 0 && !c.requests)
        this.counters.delete(id);
    }
  }
}

/** A request key is scoped to its counter: the same key from another customer, resource or feature is another request. */
export const requestKey = (key: UsageKey, idempotencyKey: string) => `${keyString(key)}\u0000${idempotencyKey}`;
