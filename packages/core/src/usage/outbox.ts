import { backoff } from '../client/stigg-client.js';
import type { StiggClient } from '../client/stigg-client.js';
import type { UsageAck } from '../client/wire-types.js';
import { isTollgateError, type TollgateError } from '../errors.js';
import type { Logger } from '../options.js';
import type { MeterStore, SealedRecord } from './types.js';

/** Stigg accepts at most 100 records per `reportUsageBulk`. */
export const MAX_RECORDS_PER_CALL = 100;

export interface OutboxConfig {
  flushIntervalMs: number;
  /** Flush early once this many records are waiting. */
  maxBatch: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface OutboxEvents {
  flushed(records: SealedRecord[], acks: UsageAck[]): void;
  dropped(record: SealedRecord, reason: TollgateError): void;
  failed(error: TollgateError): void;
}

export interface DrainReport {
  /** Units Stigg acknowledged during the drain. */
  delivered: number;
  /** Units left committed in a durable store, for the next process to deliver. */
  persisted: number;
  /** Units lost: left in memory when the deadline passed, or refused by Stigg for good. */
  dropped: number;
}

/**
 * Delivers committed usage: sealed records (one per customer/resource/feature per flush, each with an idempotency
 * key kept until Stigg acknowledges it) go out in `reportUsageBulk` calls of at most 100. Failures are retried
 * with capped jittered backoff (rate limits included); a record Stigg refuses for good is dropped and reported.
 */
export class Outbox {
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private failures = 0;
  private nextAttemptAt = 0;
  private deliveredUnits = 0;
  /** Counters for metrics. */
  readonly stats = { bulkCalls: 0, recordsSent: 0, unitsDelivered: 0, failedCalls: 0 };

  constructor(
    private readonly store: MeterStore,
    private readonly client: StiggClient,
    private readonly config: OutboxConfig,
    private readonly events: OutboxEvents,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.config.flushIntervalMs);
    this.timer.unref();
  }

  /** Counters committed to since the last flush began: as many records wait. */
  private readonly openCounters = new Set<string>();

  /** Called after each commit: flushes at once when `maxBatch` records wait. */
  committed(counter: string): void {
    this.openCounters.add(counter);
    if (this.openCounters.size >= this.config.maxBatch) void this.flush();
  }

  /** One flush; concurrent calls share it. Does nothing while backing off after a failure. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (Date.now() < this.nextAttemptAt) return Promise.resolve();
    this.flushing = this.flushOnce().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    this.openCounters.clear();
    for (let first = true; ; first = false) {
      const batch = await this.store.takeBatch(MAX_RECORDS_PER_CALL, first, this.sealing ? this.config.flushIntervalMs * 0.9 : 0); // 0.9: timers drift
      if (batch.length === 0) return;
      const ok = await this.send(batch);
      if (!ok || batch.length < MAX_RECORDS_PER_CALL) return;
    }
  }

  /** Sends one batch; false when delivery must wait (the records stay sealed, same keys next time). */
  private async send(batch: SealedRecord[]): Promise<boolean> {
    this.stats.bulkCalls += 1;
    this.stats.recordsSent += batch.length;
    try {
      const acks = await this.client.reportUsageBulk(
        batch.map((r) => ({ customerId: r.customerId, resourceId: r.resourceId, featureId: r.featureId, value: r.units, updateBehavior: 'DELTA' as const, idempotencyKey: r.id })),
      );
      for (const [i, record] of batch.entries()) {
        const ack = acks[i];
        await this.store.acknowledge(record, ack?.currentUsage ?? null, ack?.usagePeriodStart ? Date.parse(ack.usagePeriodStart) : null);
        this.deliveredUnits += record.units;
        this.stats.unitsDelivered += record.units;
      }
      this.failures = 0;
      this.nextAttemptAt = 0;
      this.events.flushed(batch, acks);
      return true;
    } catch (raw) {
      const err = raw as TollgateError;
      this.stats.failedCalls += 1;
      if (isTollgateError(err) && !err.retryable && err.code !== 'UNAUTHENTICATED') {
        if (batch.length > 1) {
          // One bad record must not hold the others back: find it by sending them one by one.
          for (const record of batch) await this.send([record]);
          return true;
        }
        await this.store.discard(batch[0]!);
        this.events.dropped(batch[0]!, err);
        return true;
      }
      this.failures += 1;
      const delay = backoff(Math.min(this.failures, 10), this.config.retryBaseMs, this.config.retryMaxMs);
      this.nextAttemptAt = Date.now() + Math.max(delay, err.code === 'RATE_LIMITED' ? this.config.retryBaseMs : 0);
      this.logger.debug?.(`tollgate: usage report failed (${err.message}); next attempt in ${Math.round(this.nextAttemptAt - Date.now())} ms`);
      this.events.failed(err);
      return false;
    }
  }

  /** While running, a counter is sealed at most once per interval; a drain seals whatever is open. */
  private sealing = true;

  /** Stops the timer and delivers what it can before `deadline` (epoch ms). */
  async drain(deadline: number): Promise<DrainReport> {
    this.sealing = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const startDelivered = this.deliveredUnits;
    const droppedBefore = this.store.dropped;
    while (Date.now() < deadline) {
      await this.flushing;
      const waitFor = this.nextAttemptAt - Date.now();
      if (waitFor > 0) {
        if (Date.now() + waitFor >= deadline) break;
        await new Promise((r) => setTimeout(r, waitFor));
      }
      await this.flush();
      if ((await this.store.pendingUnits()) === 0) break;
      if (this.failures === 0) await new Promise((r) => setTimeout(r, 10));
    }
    const left = await this.store.pendingUnits();
    return {
      delivered: this.deliveredUnits - startDelivered,
      persisted: this.store.durable ? left : 0,
      dropped: this.store.dropped - droppedBefore + (this.store.durable ? 0 : left),
    };
  }
}
