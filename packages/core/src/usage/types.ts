import type { MaybePromise } from '../util/maybe-async.js';

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
  /** When the oldest of its units was committed (epoch ms): delivery lag is measured from it. */
  since: number;
  /** Sealed by the claim that returned it (never sent): if its call does not go out, it may be unsealed. */
  fresh?: boolean;
}

/** Usage a process holds in memory: records sent with an unknown outcome (kept with their ids), and units never sent. */
export interface LocalUsage {
  sealed: SealedRecord[];
  open: OpenUnits[];
}

/** A counter's units committed in process and not yet sent. */
export interface OpenUnits {
  key: UsageKey;
  units: number;
  since: number;
  /**
   * The requests with an idempotency key among them (their units are part of `units`; 0 once sent from the process),
   * so that handing them to a shared store registers their keys there and counts a request another process has
   * already counted once.
   */
  requests?: KeyedCommit[];
}

/** One request with an idempotency key committed in process. */
export interface KeyedCommit {
  idempotencyKey: string;
  units: number;
  response: RecordedResponse | null;
}

/**
 * What a store knows of a request key: committed (`duplicate`), held by a live reservation (`in-flight`), nothing
 * (null), or `unknown`: the store shared by the fleet did not answer, so an attempt committed elsewhere cannot be
 * ruled out.
 */
export type SeenKey =
  | { status: 'duplicate'; replay: RecordedResponse | null }
  | { status: 'in-flight' }
  | { status: 'unknown' }
  | null;

export interface ReserveRequest {
  key: UsageKey;
  reservationId: string;
  units: number;
  /** Enforced limit; null when there is none to enforce (unlimited, soft limit, not metered, fallback). */
  limit: number | null;
  /** Usage Stigg reported last (from the cache), and the period it belongs to (its end; null: none). */
  cachedUsage: number;
  period: number | null;
  /** A request's idempotency key: a committed key is not counted again. */
  idempotencyKey: string | null;
  /** A reservation not settled within this is released (its process died). */
  ttlMs: number;
}

export interface ReserveResult {
  /**
   * `duplicate`: a request with this idempotency key was committed (its recorded response in `replay`, when one
   * was kept); `in-flight`: one with this key holds a reservation now.
   */
  status: 'reserved' | 'denied' | 'duplicate' | 'in-flight';
  /** Usage counted before this request: Stigg's, plus reserved and not yet reported units. */
  usage: number;
  replay?: RecordedResponse | null;
}

/** A response kept with its request's idempotency key, sent again to a retry instead of running the handler. */
export interface RecordedResponse {
  status: number;
  headers: Record<string, string | string[]>;
  /** The body, base64. */
  body: string;
}

/** Who claims a customer's records for a write, and under which pacing (see `MeterStore.claim`). */
export interface ClaimRequest {
  /** Also claim from the store shared by the fleet (this process holds the delivery lease). */
  shared: boolean;
  /** The lease's fencing token (0 without a lease): a store that saw a newer token refuses an older one. */
  token: number;
  now: number;
  /** The customer is not written again sooner than this after its last write, whoever wrote it. */
  minSpacingMs: number;
  /**
   * The last writes before close. Until then, units of requests with an idempotency key committed in process while
   * Redis was down are not written from the process: they wait for Redis, where their keys are checked (a retry of
   * one of them metered on another process too is counted once there, not twice at Stigg).
   */
  final?: boolean;
}

/**
 * Where reservations, committed-but-unreported units and sealed records live: process memory, or Redis
 * (atomic Lua scripts, so that processes sharing it never overshoot a limit together). `reserve`, `commit` and
 * `release` answer at once when they can (in process memory, units of a lease block), a promise otherwise.
 */
export interface MeterStore {
  reserve(request: ReserveRequest): MaybePromise<ReserveResult>;
  /**
   * What is known of a request key without reserving: committed (`duplicate`, with its recorded response), held by
   * a live reservation (`in-flight`), or nothing. Asked when a request is denied before it reserves (its customer
   * is at the limit now, Stigg cannot be asked), so that a retry of a request that did succeed gets its answer.
   * `unknown` when the shared store does not answer.
   */
  seen(key: UsageKey, idempotencyKey: string): Promise<SeenKey>;
  /**
   * Turns a reservation of `reservedUnits` into `units` committed (to report); the request key is remembered,
   * with `response` to replay to a retry when given.
   */
  commit(
    key: UsageKey,
    reservationId: string,
    units: number,
    idempotencyKey: string | null,
    reservedUnits: number,
    response?: RecordedResponse | null,
  ): MaybePromise<void>;
  /** Frees a reservation; its request key (in flight) is forgotten, so a retry runs. */
  release(
    key: UsageKey,
    reservationId: string,
    reservedUnits: number,
    idempotencyKey?: string | null,
  ): MaybePromise<void>;
  /**
   * Counters with units this process should deliver now: its own (with Redis, only those Redis cannot take, or
   * everything with `final`, at close) and, with `shared`, the fleet's.
   */
  pendingKeys(shared: boolean, final?: boolean): Promise<UsageKey[]>;
  /**
   * One write's worth of one customer: the open units of each counter are sealed into one new record (so every
   * unit never sent is merged into it), and every record of these counters awaiting delivery is returned, those
   * sealed before unchanged (same id: their outcome may be unknown). `keys` all belong to one customer. Returns
   * nothing when the store refuses the claim: a newer lease holder wrote, or the customer was written less than
   * `minSpacingMs` ago.
   */
  claim(keys: UsageKey[], request: ClaimRequest): Promise<SealedRecord[]>;
  /** Stigg applied the record: forget it; Stigg's usage becomes the new base. */
  acknowledge(record: SealedRecord, currentUsage: number | null, period: number | null): Promise<void>;
  /** Stigg refused the call without applying it (rate limit): the units return to their counter, merged into its next record. */
  unseal(record: SealedRecord, token: number): Promise<void>;
  /** A record Stigg refuses for good (unknown customer, ...): forget it, counted as dropped. */
  discard(record: SealedRecord): Promise<void>;
  /** Units reserved or unreported for this key as this process knows them, synchronously (for `check`). */
  localOverlay(key: UsageKey): number;
  /**
   * Units committed and not yet acknowledged: in process (`local`, including `unconfirmed`: sent to the shared store
   * without an answer yet), and (with `shared`) in the shared store when it answers.
   */
  pendingUnits(shared: boolean): Promise<{ local: number; shared: number; unconfirmed: number }>;
  /**
   * Repeats store calls whose outcome was unknown (Redis timed out), now that the store may answer, and hands
   * units kept in process to the shared store. With `final` (at close) it asks the shared store at once, whatever
   * its last failure, and hands over sealed records too (with their ids).
   */
  reconcile?(final?: boolean): Promise<void>;
  /** Takes out what this process holds in memory (to spill it to a file at close). */
  takeLocal(): LocalUsage;
  /** Puts back usage spilled by an earlier process. */
  restoreLocal(usage: LocalUsage): void;
  /** Units the store had to drop (memory store over its bound). */
  readonly dropped: number;
}

/**
 * One string per counter, unambiguous whatever characters the ids hold (each id length-prefixed; a null resource
 * and "" differ). In process only: never stored.
 */
export const keyString = (k: UsageKey) =>
  `${k.customerId.length}:${k.customerId}${k.resourceId === null ? '-' : `${k.resourceId.length}:${k.resourceId}`}${k.featureId}`;
