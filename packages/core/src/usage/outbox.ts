import { backoff } from '../client/stigg-client.js';
import type { StiggClient } from '../client/stigg-client.js';
import type { UsageAck } from '../client/wire-types.js';
import { toTollgateError } from '../client/stigg-client.js';
import type { TollgateError } from '../errors.js';
import type { Logger } from '../options.js';
import type { TelemetrySink } from '../telemetry/sink.js';
import { deliveryVerdict } from './delivery-errors.js';
import { LagTracker } from './lag.js';
import { spilledUnits, type SpillFile } from './spill-file.js';
import { keyString, type MeterStore, type SealedRecord, type UsageKey } from './types.js';
import { WritePacer } from './write-pacer.js';
import { unrefTimer } from '../util/timers.js';

/** The end of a drain kept for what follows delivery (spilling, counting what Redis holds): up to this, a fifth at most. */
const FINISHING_MS = 1_000;
/**
 * A closing process waits this long at most (or two fifths of its delivery time, if less) before it writes itself
 * the units of keyed requests it committed while Redis was down: until then they wait for Redis, where their keys
 * are checked against the fleet's (see `ClaimRequest.final`).
 */
const LAST_RESORT_MS = 3_000;

/** Stigg accepts at most 100 records per `reportUsageBulk`. */
export const MAX_RECORDS_PER_CALL = 100;

export interface OutboxConfig {
  /** How often a delivery pass runs. */
  flushIntervalMs: number;
  /** A pass starts early once this many counters wait. */
  maxBatch: number;
  retryBaseMs: number;
  retryMaxMs: number;
  customerWritesPerMinute: number;
  bulkCallsPerMinute: number;
  /** Where usage left undelivered at close is kept for the next process (and read back at start). */
  spill?: SpillFile | null;
}

export interface OutboxEvents {
  /** Stigg applied the record (called before the store forgets it, so the cache takes Stigg's count first). */
  acknowledged(record: SealedRecord, ack: UsageAck | undefined): void;
  flushed(records: SealedRecord[]): void;
  dropped(record: SealedRecord, reason: TollgateError): void;
  failed(error: TollgateError): void;
}

/** Who may deliver what the fleet shares (the delivery lease), and under which fencing token. */
export interface DeliveryRole {
  readonly held: boolean;
  readonly currentToken: number;
}

export interface DrainReport {
  /** Units Stigg acknowledged during the drain. */
  delivered: number;
  /** Units left committed in a durable store (Redis, or the spill file), for the fleet or the next process to deliver. */
  persisted: number;
  /** Units lost: left in memory when the deadline passed, or refused by Stigg for good. */
  dropped: number;
}

const sleep = (ms: number, ref: boolean) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    if (!ref) unrefTimer(timer);
  });

/**
 * Delivers committed usage to Stigg under its limits, by design: every counter that waits goes out as one record
 * however many requests fed it; each customer is written at most `customerWritesPerMinute` times a minute (all its
 * records in one call), and calls stay under `bulkCallsPerMinute` (see WritePacer). A failed call never loses
 * units: a rate-limit refusal puts them back to be merged into the next record and slows the sender down; a
 * transient failure (5xx, timeout, network) sends the same records again with the same idempotency keys after a
 * backoff; only an answer naming the records invalid for good discards them, logged and counted.
 */
export class Outbox {
  private timer: NodeJS.Timeout | null = null;
  private passing: Promise<void> | null = null;
  private failures = 0;
  private retryAt = 0;
  private draining = false;
  private drainDeadline = 0;
  /** From this epoch ms a drain writes everything it holds itself, keyed units included (`ClaimRequest.final`). */
  private lastResortAt = 0;
  /**
   * Aborted at a drain's deadline: a call in flight then gives up, so close() does not outlast it. Made anew by
   * each pass, where the pass runs (on Cloudflare Workers a signal belongs to the request that made it), aborted
   * from the start past a drain's deadline.
   */
  private giveUp = new AbortController();
  /**
   * After a call refused for good (which record was bad is not said): customers whose next write goes out alone,
   * and counters whose records go out one per call, until the bad one is found and discarded.
   */
  private readonly alone = new Set<string>();
  private readonly oneByOne = new Set<string>();
  private readonly pacer: WritePacer;
  readonly lag = new LagTracker();
  /** Counters for metrics. */
  readonly stats = { bulkCalls: 0, recordsSent: 0, unitsDelivered: 0, failedCalls: 0, rateLimited: 0 };
  /** Set while an instrumenter is attached: each delivery runs through it. */
  telemetry: TelemetrySink | null = null;

  constructor(
    private readonly store: MeterStore,
    private readonly client: StiggClient,
    private readonly config: OutboxConfig,
    private readonly events: OutboxEvents,
    private readonly logger: Logger,
    private readonly role: DeliveryRole | null = null,
    private readonly now: () => number = Date.now,
  ) {
    this.pacer = new WritePacer(config, now);
  }

  start(): void {
    if (this.timer) return;
    this.loaded = this.takeSpilled();
    this.timer = setInterval(() => void this.flush(), this.config.flushIntervalMs);
    unrefTimer(this.timer);
  }

  /** Settled once what an earlier process spilled is back in the store (passes wait for it). */
  private loaded: Promise<void> = Promise.resolve();

  private async takeSpilled(): Promise<void> {
    const spill = this.config.spill;
    if (!spill) return;
    try {
      const usage = await spill.take((m) => this.logger.error(m));
      if (!usage) return;
      this.store.restoreLocal(usage);
      this.logger.warn(
        `tollgate: delivering ${spilledUnits(usage)} units of usage an earlier process left in ${spill.path}`,
      );
    } catch (err) {
      this.logger.error(`tollgate: cannot read the usage spill file ${spill.path}: ${(err as Error).message}`);
    }
  }

  /** At close: what is still in memory goes to the spill file (when there is one); returns the units kept there. */
  private async spillLeft(): Promise<number> {
    const spill = this.config.spill;
    if (!spill) return 0;
    const usage = this.store.takeLocal();
    const units = spilledUnits(usage);
    if (units === 0) return 0;
    try {
      await spill.put(usage);
      this.logger.warn(
        `tollgate: ${units} units of usage could not be delivered before close; kept in ${spill.path} for the next process`,
      );
      return units;
    } catch (err) {
      this.store.restoreLocal(usage);
      this.logger.error(`tollgate: cannot write the usage spill file ${spill.path}: ${(err as Error).message}`);
      return 0;
    }
  }

  private waiting = 0;

  /**
   * A write to one customer made outside the outbox (`reportUsage`): it waits for the customer's turn in the pacing
   * the outbox's own calls take, so both together stay under Stigg's per-customer write limit. `write` is told how
   * to report a rate-limit refusal of one of its attempts.
   */
  async pacedWrite<T>(customerId: string, write: (refused: () => void) => Promise<T>): Promise<T> {
    // Concurrent writers wake together: the first marks its write before any other looks again.
    for (let wait = this.pacer.customerReadyAt(customerId) - this.now(); wait > 0; ) {
      await sleep(wait, true);
      wait = this.pacer.customerReadyAt(customerId) - this.now();
    }
    this.pacer.sent([customerId]);
    const result = await write(() => this.pacer.refused([customerId]));
    this.pacer.accepted([customerId]);
    return result;
  }

  /** Called after each commit: a pass starts at once when `maxBatch` commits wait. */
  committed(): void {
    if (++this.waiting >= this.config.maxBatch) void this.flush();
  }

  /** One delivery pass: what pacing allows now. Concurrent calls share it. */
  flush(): Promise<void> {
    this.passing ??= this.pass().finally(() => (this.passing = null));
    return this.passing;
  }

  private get shared(): boolean {
    return this.role?.held ?? false;
  }

  private async pass(): Promise<void> {
    this.giveUp = new AbortController();
    if (this.draining && this.now() >= this.drainDeadline)
      this.giveUp.abort(new DOMException('the drain deadline passed', 'TimeoutError'));
    this.waiting = 0;
    await this.loaded;
    await this.store.reconcile?.(this.draining);
    if (this.now() < this.retryAt) return;
    const byCustomer = new Map<string, UsageKey[]>();
    for (const key of await this.store.pendingKeys(this.shared, this.draining)) {
      const list = byCustomer.get(key.customerId);
      if (list) list.push(key);
      else byCustomer.set(key.customerId, [key]);
    }
    // A pass lasts at most one interval (a drain: until the work is done); what is left goes in the next.
    const passEnd = this.draining ? this.drainDeadline : this.now() + this.config.flushIntervalMs;
    let batch: SealedRecord[] = [];
    const customers = [...byCustomer.keys()].sort(
      (a, b) => this.pacer.customerReadyAt(a) - this.pacer.customerReadyAt(b),
    );
    for (const customerId of customers) {
      if (this.pacer.customerReadyAt(customerId) > this.now()) break; // sorted: nobody after is ready either
      const records = await this.store.claim(byCustomer.get(customerId)!, {
        shared: this.shared,
        token: this.role?.currentToken ?? 0,
        now: this.now(),
        minSpacingMs: this.pacer.minCustomerSpacingMs * 0.9, // the store's check is a fleet-wide backstop for the pacer's
        final: this.draining && this.now() >= this.lastResortAt,
      });
      if (records.length === 0) continue;
      if (records.length > MAX_RECORDS_PER_CALL) {
        // A customer with more counters than a call holds: the rest wait for its next write.
        await this.putBack(records.splice(MAX_RECORDS_PER_CALL));
      }
      const isolated = this.alone.has(customerId) || records.some((r) => this.oneByOne.has(keyString(r)));
      if (isolated || batch.length + records.length > MAX_RECORDS_PER_CALL) {
        if (batch.length > 0 && !(await this.send(batch, passEnd))) {
          await this.putBack(records);
          return;
        }
        batch = [];
      }
      if (isolated) {
        if (!(await this.sendIsolated(customerId, records, passEnd))) return;
        continue;
      }
      batch.push(...records);
    }
    if (batch.length > 0) await this.send(batch, passEnd);
  }

  /** A customer that must go alone: one call for its records, or one record per call while a bad one is sought. */
  private async sendIsolated(customerId: string, records: SealedRecord[], passEnd: number): Promise<boolean> {
    this.alone.delete(customerId);
    const first = records.find((r) => this.oneByOne.has(keyString(r)));
    if (!first) return this.send(records, passEnd);
    // One record per write, at the customer's pace: the others wait for the next slots.
    await this.putBack(records.filter((r) => r !== first));
    return this.send([first], passEnd);
  }

  /** Sends one call (waiting for the call pacing); false when delivery must pause (failure or the pass is over). */
  private async send(records: SealedRecord[], passEnd: number): Promise<boolean> {
    const wait = this.pacer.callReadyAt() - this.now();
    if (wait > 0) {
      if (this.now() + wait > passEnd) {
        await this.putBack(records);
        return false;
      }
      await sleep(wait, this.draining);
    }
    const customers = new Set(records.map((r) => r.customerId));
    this.pacer.sent(customers);
    this.stats.bulkCalls += 1;
    this.stats.recordsSent += records.length;
    let acks: UsageAck[];
    const deliver = () =>
      this.client.reportUsageBulk(
        records.map((r) => ({
          customerId: r.customerId,
          resourceId: r.resourceId,
          featureId: r.featureId,
          value: r.units,
          updateBehavior: 'DELTA' as const,
          idempotencyKey: r.id,
        })),
        // One attempt: the outbox retries itself, knowing what each failure means. A drain aborts it at its deadline.
        // While draining, one stalled call may not take the whole deadline: each gets half of what is left (>= 1 s).
        this.draining
          ? {
              signal: this.giveUp.signal,
              attempts: 1,
              timeoutMs: Math.max(1_000, (this.drainDeadline - this.now()) / 2),
            }
          : { signal: this.giveUp.signal, attempts: 1 },
      );
    try {
      acks = await (this.telemetry === null ? deliver() : this.telemetry.delivery(records, deliver));
    } catch (raw) {
      return this.failed(records, customers, toTollgateError(raw, 'ReportUsageBulk'));
    }
    this.pacer.accepted(customers);
    this.failures = 0;
    this.retryAt = 0;
    const now = this.now();
    for (const [i, record] of records.entries()) {
      this.events.acknowledged(record, acks[i]);
      await this.store.acknowledge(
        record,
        acks[i]?.currentUsage ?? null,
        acks[i]?.usagePeriodEnd ? Date.parse(acks[i]!.usagePeriodEnd!) : null,
      );
      if (records.length === 1) this.oneByOne.delete(keyString(record));
      this.stats.unitsDelivered += record.units;
      this.lag.add(now - record.since);
    }
    this.events.flushed(records);
    return true;
  }

  /** Records claimed for a call that did not go out: fresh ones return to their counters, the others stay sealed. */
  private async putBack(records: SealedRecord[]): Promise<void> {
    for (const r of records) if (r.fresh) await this.store.unseal(r, this.role?.currentToken ?? 0).catch(() => {});
  }

  private async failed(records: SealedRecord[], customers: Set<string>, err: TollgateError): Promise<boolean> {
    this.stats.failedCalls += 1;
    this.events.failed(err);
    const verdict = deliveryVerdict(err);
    if (verdict === 'final') {
      // Which record is bad is not said. The records stay sealed (should Stigg have applied part of the call,
      // their keys make sending them again safe) and go again apart: each customer alone, then one per call.
      if (customers.size > 1) {
        for (const c of customers) this.alone.add(c);
        return true;
      }
      if (records.length > 1) {
        for (const r of records) this.oneByOne.add(keyString(r));
        return true;
      }
      const [record] = records;
      this.oneByOne.delete(keyString(record!));
      await this.store.discard(record!);
      this.logger.error(
        `tollgate: Stigg refused ${record!.units} units of ${record!.featureId} for ${record!.customerId} for good: ${err.message}`,
      );
      this.events.dropped(record!, err);
      return true;
    }
    if (verdict === 'refused') {
      this.stats.rateLimited += 1;
      this.pacer.refused(customers);
      // Nothing was applied: fresh units are merged into the next record; records sent before keep their keys.
      await this.putBack(records);
    }
    this.failures += 1;
    // While draining, the deadline is close: retry soon rather than wait out a long backoff past it.
    const cap = this.draining ? Math.min(this.config.retryMaxMs, 1_000) : this.config.retryMaxMs;
    const delay = Math.max(
      backoff(Math.min(this.failures, 10), this.config.retryBaseMs, cap),
      verdict === 'refused' ? this.config.retryBaseMs : 0,
    );
    this.retryAt = this.now() + delay;
    this.logger.debug?.(`tollgate: usage report failed (${err.message}); next attempt in ${Math.round(delay)} ms`);
    return false;
  }

  /**
   * Stops the timer and delivers, within the pacing and before `deadline` (epoch ms), what this process holds in
   * memory and, while it holds the delivery lease, what the fleet shares in Redis. What is left in Redis is
   * reported as persisted: the next lease holder delivers it.
   */
  async drain(deadline: number): Promise<DrainReport> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.draining = true;
    // Delivery stops a little before the deadline: the rest of the time is for keeping what is left (the spill
    // file) and counting what the fleet holds in Redis.
    const finishing = Math.min(FINISHING_MS, Math.max(0, deadline - this.now()) / 5);
    const deliverUntil = deadline - finishing;
    this.drainDeadline = deliverUntil;
    this.lastResortAt = deliverUntil - Math.min(LAST_RESORT_MS, Math.max(0, deliverUntil - this.now()) * 0.4);
    const startDelivered = this.stats.unitsDelivered;
    const droppedBefore = this.store.dropped;
    const abortAt = setTimeout(
      () => this.giveUp.abort(new DOMException('the drain deadline passed', 'TimeoutError')),
      Math.max(0, deliverUntil - this.now()),
    );
    try {
      return await this.drainUntil(deliverUntil, deadline, startDelivered, droppedBefore);
    } finally {
      clearTimeout(abortAt);
    }
  }

  private async drainUntil(
    deliverUntil: number,
    deadline: number,
    startDelivered: number,
    droppedBefore: number,
  ): Promise<DrainReport> {
    // Waits for `p`, or gives `otherwise` at the deadline; the timer goes as soon as `p` answers (a ref'd timer left
    // behind would hold the process open until the deadline).
    const untilDeadline = async <T>(p: Promise<T>, otherwise: T, until = deadline): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          p,
          new Promise<T>((r) => (timer = setTimeout(() => r(otherwise), Math.max(0, until - this.now())))),
        ]);
      } finally {
        clearTimeout(timer);
      }
    };
    await untilDeadline(this.passing ?? Promise.resolve(), undefined, deliverUntil);
    // A backoff from before the drain may have outlived the outage: the drain tries at once.
    this.retryAt = Math.min(this.retryAt, this.now());
    for (let first = true; this.now() < deliverUntil; first = false) {
      // What is in memory must go now; the fleet's share too while this process holds the lease (it would
      // otherwise wait for the next holder), within the same deadline.
      const pending = await untilDeadline(this.store.pendingUnits(this.shared), null, deliverUntil);
      if (!pending || (pending.local === 0 && pending.shared === 0)) break;
      if (this.retryAt >= deliverUntil) break;
      // Customers become ready one by one (pacing): look again shortly rather than compute when.
      if (!first) await sleep(Math.min(Math.max(this.retryAt - this.now(), 25), deliverUntil - this.now(), 250), true);
      await untilDeadline(this.flush(), undefined, deliverUntil);
    }
    const spilled = await this.spillLeft();
    // The fleet's count takes a Redis call per counter: bounded like the rest (past it, only what is in process).
    const inProcess = await this.store.pendingUnits(false);
    const left = await untilDeadline(this.store.pendingUnits(true), inProcess);
    if (left.unconfirmed > 0) {
      this.logger.warn(
        `tollgate: ${left.unconfirmed} committed units were sent to Redis without an answer before close; counted as persisted: the fleet delivers them if Redis applied them`,
      );
    }
    return {
      delivered: this.stats.unitsDelivered - startDelivered,
      // Sent to Redis without an answer (a stall): Redis runs such commands when it resumes, so they are the fleet's.
      persisted: left.shared + left.unconfirmed + spilled,
      dropped: this.store.dropped - droppedBefore + left.local - left.unconfirmed,
    };
  }
}
