import { randomUUID } from 'node:crypto';
import { keyString, type MeterStore, type ReserveRequest, type ReserveResult, type SealedRecord, type UsageKey } from './types.js';

interface Counter {
  key: UsageKey;
  reserved: number;
  pending: number;
  open: number;
  base: number;
  basePeriod: number | null;
  sealedAt: number;
  reservations: Map<string, { units: number; expires: number }>;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The meter in process memory: exact within one process, lost with it. Bounded: past `maxKeys` distinct
 * counters with unreported usage, new usage is dropped and counted.
 */
export class MemoryMeterStore implements MeterStore {
  readonly durable = false;
  dropped = 0;
  private readonly counters = new Map<string, Counter>();
  private readonly sealed = new Map<string, SealedRecord>();
  private readonly committedKeys = new Map<string, number>();

  constructor(private readonly maxKeys = 100_000) {}

  private counter(key: UsageKey): Counter {
    const id = keyString(key);
    let c = this.counters.get(id);
    if (!c) this.counters.set(id, (c = { key, reserved: 0, pending: 0, open: 0, base: 0, basePeriod: null, sealedAt: 0, reservations: new Map() }));
    return c;
  }

  private expire(c: Counter, now: number): void {
    for (const [id, r] of c.reservations) {
      if (r.expires > now) continue;
      c.reserved -= r.units;
      c.reservations.delete(id);
    }
  }

  async reserve(r: ReserveRequest): Promise<ReserveResult> {
    const now = Date.now();
    const c = this.counter(r.key);
    this.expire(c, now);
    const base = c.basePeriod === r.periodStart ? Math.max(c.base, r.cachedUsage) : r.cachedUsage;
    const usage = base + c.reserved + c.pending;
    if (r.idempotencyKey && (this.committedKeys.get(r.idempotencyKey) ?? 0) > now) return { status: 'duplicate', usage };
    if (r.limit !== null && usage + r.units > r.limit) return { status: 'denied', usage };
    c.reserved += r.units;
    c.reservations.set(r.reservationId, { units: r.units, expires: now + r.ttlMs });
    return { status: 'reserved', usage };
  }

  async commit(key: UsageKey, reservationId: string, units: number, idempotencyKey: string | null, _reservedUnits?: number): Promise<void> {
    const c = this.counter(key);
    const r = c.reservations.get(reservationId);
    if (r) {
      c.reserved -= r.units;
      c.reservations.delete(reservationId);
    }
    if (c.open === 0 && this.openKeys() >= this.maxKeys) {
      this.dropped += units;
      return;
    }
    c.pending += units;
    c.open += units;
    if (idempotencyKey) this.committedKeys.set(idempotencyKey, Date.now() + IDEMPOTENCY_TTL_MS);
    if (this.committedKeys.size > this.maxKeys) this.pruneKeys();
  }

  async release(key: UsageKey, reservationId: string, _reservedUnits?: number): Promise<void> {
    const c = this.counter(key);
    const r = c.reservations.get(reservationId);
    if (!r) return;
    c.reserved -= r.units;
    c.reservations.delete(reservationId);
  }

  async takeBatch(max: number, sealOpen: boolean, intervalMs: number): Promise<SealedRecord[]> {
    const now = Date.now();
    if (sealOpen) for (const c of this.counters.values()) {
      if (c.open <= 0 || now - c.sealedAt < intervalMs) continue;
      const record: SealedRecord = { ...c.key, id: randomUUID(), units: c.open };
      this.sealed.set(record.id, record);
      c.open = 0;
      c.sealedAt = now;
    }
    return [...this.sealed.values()].slice(0, max);
  }

  async acknowledge(record: SealedRecord, currentUsage: number | null, periodStart: number | null): Promise<void> {
    if (!this.sealed.delete(record.id)) return;
    const c = this.counter(record);
    c.pending -= record.units;
    if (currentUsage !== null) {
      c.base = currentUsage;
      c.basePeriod = periodStart;
    }
    this.forgetIfIdle(c);
  }

  async discard(record: SealedRecord): Promise<void> {
    if (!this.sealed.delete(record.id)) return;
    const c = this.counter(record);
    c.pending -= record.units;
    this.dropped += record.units;
    this.forgetIfIdle(c);
  }

  localOverlay(key: UsageKey): number {
    const c = this.counters.get(keyString(key));
    return c ? c.reserved + c.pending : 0;
  }

  async pendingUnits(): Promise<number> {
    let n = 0;
    for (const c of this.counters.values()) n += c.pending;
    return n;
  }

  private openKeys(): number {
    let n = this.sealed.size;
    for (const c of this.counters.values()) if (c.open > 0) n += 1;
    return n;
  }

  private forgetIfIdle(c: Counter): void {
    if (c.reserved === 0 && c.pending === 0 && c.open === 0 && c.reservations.size === 0 && Date.now() - c.sealedAt > 60_000) {
      this.counters.delete(keyString(c.key));
    }
  }

  private pruneKeys(): void {
    const now = Date.now();
    for (const [k, exp] of this.committedKeys) if (exp <= now) this.committedKeys.delete(k);
  }
}
