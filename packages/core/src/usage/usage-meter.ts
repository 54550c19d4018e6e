import { enforcedLimit } from '../decision/decide.js';
import type { Decision } from '../decision/types.js';
import { TollgateError } from '../errors.js';
import type { MeterStore, RecordedResponse, UsageKey } from './types.js';
import { andThen, isPromise, type MaybePromise } from '../util/maybe-async.js';

/** What a metered request asks for. */
export interface EnterRequest {
  customerId: string;
  featureId: string;
  resourceId?: string | null;
  /** Units to reserve; default 1. */
  units?: number;
  /**
   * The request's idempotency key, scoped by the caller to what it may repeat (the guards: the route), and here
   * to the customer, resource and feature. While a request with it holds a reservation, another gets
   * `inFlight`; once it committed, another is a `duplicate` (nothing reserved, nothing counted), with the response
   * recorded at its commit in `replay` when there was one. A duplicate must not do the work again: the guards
   * send `replay`, or, without one, meter the request like any other.
   */
  idempotencyKey?: string | null;
}

/** A metered request between `enter` and `settle`. */
export interface MeteredRequest {
  decision: Decision;
  /** True when the request may proceed (units reserved, or a duplicate of a request already counted). */
  allowed: boolean;
  /** True when a request with this idempotency key was committed (its recorded response, if any, in `replay`). */
  duplicate: boolean;
  /** The response recorded for this idempotency key: send it again instead of running the handler. */
  replay: RecordedResponse | null;
  /** True when a request with this idempotency key holds a reservation now (not allowed: answer 409). */
  inFlight: boolean;
  /**
   * After the handler: `success` commits `units` (default: the units reserved) for reporting, with `response` kept
   * for replay to a retry with the same idempotency key; otherwise the reservation is released and nothing is
   * reported. Only the first call counts.
   */
  settle(outcome: { success: boolean; units?: number; response?: RecordedResponse | null }): Promise<void>;
}

export interface MeterDeps {
  store: MeterStore;
  reservationTtlMs: number;
  /** The decision for `units` from Stigg's data (cache or fetch), before the local overlay. */
  decide(request: EnterRequest, units: number): Decision | Promise<Decision>;
  committed(): void;
}

/** Tollgate's `enter` answered at once when it can be: what the guards call (internal). */
export const ENTER_AT_ONCE = Symbol('tollgate.enterAtOnce');

/** The settle of a request that reserved nothing. */
const NOOP: MeteredRequest['settle'] = () => SETTLED;

/**
 * What `settle` answers when it settled at once (its store committed or released in process memory): an adapter
 * seeing it has nothing to wait for before the response goes out.
 */
export const SETTLED: Promise<void> = Promise.resolve();

const invalidUnits = (units: number) =>
  new TollgateError('INVALID_REQUEST', `settle units must be a finite number >= 0, got ${units}`);

/**
 * The lifecycle every metered guard uses: `enter` checks and reserves, the handler runs, `settle` commits or
 * releases. Limits are enforced on Stigg's usage plus everything reserved and not yet reported, atomically in
 * the store, so concurrent requests (in one process or many sharing Redis) never overshoot. On a cache hit with a
 * store that answers in process (memory, a lease block), `enter` answers at once, without a promise.
 */
export class UsageMeter {
  /** Requests entered and not yet settled. */
  inflight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: MeterDeps) {}

  /** Resolves when every entered request has settled, or at `deadline` (epoch ms). */
  async idle(deadline: number): Promise<void> {
    if (this.inflight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((r) => this.idleWaiters.push(r)),
      new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
  }

  /** Checks and reserves; throws (or rejects) a `TollgateError` for invalid units. */
  enter(request: EnterRequest): MaybePromise<MeteredRequest> {
    const units = request.units ?? 1;
    if (!Number.isFinite(units) || units < 0)
      throw new TollgateError('INVALID_REQUEST', `units must be a finite number >= 0, got ${units}`);
    // Counted from here, not from the reservation: close() waits for a request still deciding or reserving.
    this.inflight += 1;
    let metered: MaybePromise<MeteredRequest>;
    try {
      metered = this.reserveFor(request, units);
    } catch (err) {
      this.done();
      throw err;
    }
    if (!isPromise(metered)) return this.entered(metered);
    return metered.then(
      (m) => this.entered(m),
      (err: unknown) => {
        this.done();
        throw err;
      },
    );
  }

  /** A request that reserved nothing has nothing to settle: it is done here. */
  private entered(metered: MeteredRequest): MeteredRequest {
    if (metered.settle === NOOP) this.done();
    return metered;
  }

  private done(): void {
    this.inflight -= 1;
    if (this.inflight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private reserveFor(request: EnterRequest, units: number): MaybePromise<MeteredRequest> {
    return andThen(this.deps.decide(request, units), (decision) =>
      decision.hasAccess ? this.reserve(request, units, decision) : this.refuse(request, decision),
    );
  }

  /**
   * Denied now (the limit reached since, Stigg out of reach): a retry of a request that did succeed still gets its
   * answer, and one whose first attempt still runs is told so.
   */
  private refuse(request: EnterRequest, decision: Decision): MaybePromise<MeteredRequest> {
    const noop = refused(decision);
    if (!request.idempotencyKey) return noop;
    return this.deps.store.seen(keyOf(request), request.idempotencyKey).then((seen): MeteredRequest => {
      if (seen?.status === 'duplicate') return { ...noop, allowed: true, duplicate: true, replay: seen.replay };
      if (seen?.status === 'in-flight') return { ...noop, inFlight: true };
      // The fleet's store did not answer: an attempt with this key may have succeeded on another process, so the
      // denial is not final. Answered as unavailable (503, Retry-After): the retry gets the answer once it answers.
      if (seen?.status === 'unknown')
        return { ...noop, decision: { ...decision, hasAccess: false, isFallback: true, reason: 'Unknown' } };
      return noop;
    });
  }

  private reserve(request: EnterRequest, units: number, decision: Decision): MaybePromise<MeteredRequest> {
    const key = keyOf(request);
    const reservationId = crypto.randomUUID();
    const idempotencyKey = request.idempotencyKey ?? null;
    const reservation = this.deps.store.reserve({
      key,
      reservationId,
      units,
      limit: enforcedLimit(decision),
      cachedUsage: decision.currentUsage ?? 0,
      period: decision.resetsAt?.getTime() ?? null,
      idempotencyKey,
      ttlMs: this.deps.reservationTtlMs,
    });
    return andThen(reservation, (result): MeteredRequest => {
      const seen = decision.currentUsage === null ? decision : { ...decision, currentUsage: result.usage };
      if (result.status === 'denied')
        return refused({ ...seen, hasAccess: false, reason: 'RequestedUsageExceedingLimit' });
      if (result.status === 'in-flight') return { ...refused(seen), allowed: false, inFlight: true };
      if (result.status === 'duplicate')
        return { ...refused(seen), allowed: true, duplicate: true, replay: result.replay ?? null };
      return {
        decision: seen,
        allowed: true,
        duplicate: false,
        replay: null,
        inFlight: false,
        settle: this.settlement(key, reservationId, units, idempotencyKey),
      };
    });
  }

  /** The settle of one reservation: only its first call counts; at once when the store answers in process. */
  private settlement(
    key: UsageKey,
    reservationId: string,
    units: number,
    idempotencyKey: string | null,
  ): MeteredRequest['settle'] {
    let settled = false;
    return ({ success, units: actual, response }) => {
      if (settled) return SETTLED;
      settled = true;
      const used = actual ?? units;
      const valid = Number.isFinite(used) && used >= 0;
      const commit = success && valid;
      const after = () => {
        try {
          if (commit) this.deps.committed();
        } finally {
          this.done();
        }
        // Nothing is reported for units that are not a number: the reservation was released, the caller is told.
        if (success && !valid) throw invalidUnits(used);
      };
      let written: MaybePromise<void>;
      try {
        written = commit
          ? this.deps.store.commit(key, reservationId, used, idempotencyKey, units, response ?? null)
          : this.deps.store.release(key, reservationId, units, idempotencyKey);
      } catch (err) {
        this.done();
        return Promise.reject(err);
      }
      if (isPromise(written))
        return written.then(after, (err: unknown) => {
          this.done();
          throw err;
        });
      try {
        after();
        return SETTLED;
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
}

/** A metered request that reserved nothing: allowed as its decision says, nothing to settle. */
const refused = (decision: Decision): MeteredRequest => ({
  decision,
  allowed: decision.hasAccess,
  duplicate: false,
  replay: null,
  inFlight: false,
  settle: NOOP,
});

const keyOf = (request: EnterRequest): UsageKey => ({
  customerId: request.customerId,
  resourceId: request.resourceId ?? null,
  featureId: request.featureId,
});
