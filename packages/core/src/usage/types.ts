/** Which usage counter: Stigg meters per customer, resource and feature. */
export interface UsageKey {
  customerId: string;
  resourceId: string | null;
  featureId: string;
}

/** Aggregated committed units, sealed with the idempotency key they are reported under (kept across retries and restarts). */
export interface SealedRecord extends UsageKey {
  /** Also the record's idempotency key at Stigg. */
  id: string;
  units: number;
}

export interface ReserveRequest {
  key: UsageKey;
  reservationId: string;
  units: number;
  /** Enforced limit; null when there is none to enforce (unlimited, soft limit, not metered, fallback). */
  limit: number | null;
  /** Usage Stigg reported last (from the cache), and the start of its period. */
  cachedUsage: number;
  periodStart: number | null;
  /** A request's idempotency key: a committed key is not counted again. */
  idempotencyKey: string | null;
  /** A reservation not settled within this is released (its process died). */
  ttlMs: number;
}

export interface ReserveResult {
  status: 'reserved' | 'denied' | 'duplicate';
  /** Usage counted before this request: Stigg's, plus reserved and not yet reported units. */
  usage: number;
}

/**
 * Where reservations, committed-but-unreported units and sealed records live: process memory, or Redis
 * (atomic Lua scripts, so that processes sharing it never overshoot a limit together).
 */
export interface MeterStore {
  readonly durable: boolean;
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /** Turns a reservation of `reservedUnits` into `units` committed (to report); the request key is remembered. */
  commit(key: UsageKey, reservationId: string, units: number, idempotencyKey: string | null, reservedUnits: number): Promise<void>;
  release(key: UsageKey, reservationId: string, reservedUnits: number): Promise<void>;
  /**
   * Records awaiting delivery, at most `max`. With `sealOpen`, open units are first sealed into new records,
   * except for counters sealed less than `intervalMs` ago: a counter yields at most one record per interval.
   */
  takeBatch(max: number, sealOpen: boolean, intervalMs: number): Promise<SealedRecord[]>;
  /** Stigg applied the record: forget it; Stigg's usage becomes the new base. */
  acknowledge(record: SealedRecord, currentUsage: number | null, periodStart: number | null): Promise<void>;
  /** A record Stigg refuses for good (unknown customer, ...): forget it, counted as dropped. */
  discard(record: SealedRecord): Promise<void>;
  /** Units reserved or unreported for this key as this process knows them, synchronously (for `check`). */
  localOverlay(key: UsageKey): number;
  /** Units committed and not yet acknowledged, everywhere this store can see. */
  pendingUnits(): Promise<number>;
  /** Units the store had to drop (memory store over its bound). */
  readonly dropped: number;
}

export const keyString = (k: UsageKey) => `${k.customerId}\u0001${k.resourceId ?? ''}\u0001${k.featureId}`;
