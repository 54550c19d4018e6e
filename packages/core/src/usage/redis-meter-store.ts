import { randomUUID } from 'node:crypto';
import type { Logger } from '../options.js';
import { withTimeout } from '../util/with-timeout.js';
import { MemoryMeterStore } from './memory-meter-store.js';
import * as lua from './redis-scripts.js';
import { keyString, type MeterStore, type ReserveRequest, type ReserveResult, type SealedRecord, type UsageKey } from './types.js';

/** What the meter needs of a Redis client (node-redis v4/v5 `createClient()` has it). */
export interface RedisLike {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  sAdd(key: string, member: string): Promise<unknown>;
  sRem(key: string, member: string): Promise<unknown>;
  sMembers(key: string): Promise<string[]>;
}

const REQUEST_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The meter in Redis: reservations, unreported units and sealed records survive the process, and every
 * process sharing the Redis checks limits in one atomic script. If Redis fails, the meter goes on in process
 * memory (exact per process only) until it answers again; what was committed there is reported from there.
 */
export class RedisMeterStore implements MeterStore {
  readonly durable = true;
  private readonly local = new MemoryMeterStore();
  private readonly localReservations = new Set<string>();
  private readonly ownReserved = new Map<string, number>();
  private downUntil = 0;

  constructor(
    private readonly redis: RedisLike,
    private readonly environment: string,
    private readonly timeoutMs: number,
    private readonly retryAfterMs: number,
    private readonly logger: Logger,
  ) {}

  get dropped(): number {
    return this.local.dropped;
  }

  private prefix(customerId: string): string {
    return `tollgate:v1:${this.environment}:{${customerId}}`;
  }

  private keys(k: UsageKey) {
    const counter = `${this.prefix(k.customerId)}:u:${k.resourceId ?? '-'}:${k.featureId}`;
    return { counter, zset: `${counter}:rz`, units: `${counter}:ru`, sealed: `${this.prefix(k.customerId)}:sealed` };
  }

  private get index(): string {
    return `tollgate:v1:${this.environment}:outbox`;
  }

  private available(): boolean {
    return Date.now() >= this.downUntil;
  }

  private async call<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(op(), this.timeoutMs, `meter ${what}`);
    } catch (err) {
      if (this.available()) this.logger.warn(`tollgate: Redis meter ${what} failed (${(err as Error).message}); metering in process for ${this.retryAfterMs} ms`);
      this.downUntil = Date.now() + this.retryAfterMs;
      throw err;
    }
  }

  private run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.redis.eval(script, { keys, arguments: args.map(String) });
  }

  async reserve(r: ReserveRequest): Promise<ReserveResult> {
    if (this.available()) {
      const k = this.keys(r.key);
      const requestKey = `${this.prefix(r.key.customerId)}:k:${r.idempotencyKey ?? ''}`;
      try {
        const [status, usage] = (await this.call('reserve', () =>
          this.run(lua.RESERVE, [k.counter, k.zset, k.units, requestKey], [
            Date.now(),
            r.ttlMs,
            r.reservationId,
            r.units,
            r.limit ?? -1,
            r.cachedUsage,
            r.periodStart ?? '',
            r.idempotencyKey ? '1' : '0',
          ]),
        )) as [ReserveResult['status'], string];
        if (status === 'reserved') this.ownReserved.set(keyString(r.key), (this.ownReserved.get(keyString(r.key)) ?? 0) + r.units);
        return { status, usage: Number(usage) };
      } catch {
        // fall through to process memory
      }
    }
    this.localReservations.add(r.reservationId);
    return this.local.reserve(r);
  }

  private dropOwn(key: UsageKey, units: number): void {
    const id = keyString(key);
    const left = (this.ownReserved.get(id) ?? 0) - units;
    if (left > 0) this.ownReserved.set(id, left);
    else this.ownReserved.delete(id);
  }

  async commit(key: UsageKey, reservationId: string, units: number, idempotencyKey: string | null, reservedUnits: number): Promise<void> {
    if (this.localReservations.delete(reservationId)) return this.local.commit(key, reservationId, units, idempotencyKey, reservedUnits);
    this.dropOwn(key, reservedUnits);
    const k = this.keys(key);
    const member = JSON.stringify([key.customerId, key.resourceId, key.featureId]);
    try {
      // Indexed before and after: a crash in between leaves an index entry with nothing behind it (harmless),
      // and a flush that removed the entry meanwhile cannot strand these units.
      await this.call('commit', () => this.redis.sAdd(this.index, member));
      await this.call('commit', () =>
        this.run(lua.COMMIT, [k.counter, k.zset, k.units, `${this.prefix(key.customerId)}:k:${idempotencyKey ?? ''}`], [
          reservationId,
          units,
          idempotencyKey ? '1' : '0',
          REQUEST_KEY_TTL_MS,
        ]),
      );
      await this.call('commit', () => this.redis.sAdd(this.index, member));
    } catch {
      await this.local.commit(key, reservationId, units, idempotencyKey, reservedUnits);
    }
  }

  async release(key: UsageKey, reservationId: string, reservedUnits: number): Promise<void> {
    if (this.localReservations.delete(reservationId)) return this.local.release(key, reservationId, reservedUnits);
    this.dropOwn(key, reservedUnits);
    const k = this.keys(key);
    // If Redis cannot be told, the reservation expires there by itself.
    await this.call('release', () => this.run(lua.RELEASE, [k.counter, k.zset, k.units], [reservationId])).catch(() => {});
  }

  async takeBatch(max: number, sealOpen: boolean, intervalMs: number): Promise<SealedRecord[]> {
    const records = new Map<string, SealedRecord>();
    for (const r of await this.local.takeBatch(max, sealOpen, intervalMs)) records.set(r.id, r);
    if (!this.available()) return [...records.values()];
    try {
      const members = await this.call('flush', () => this.redis.sMembers(this.index));
      for (const member of members) {
        if (records.size >= max) break;
        const [customerId, resourceId, featureId] = JSON.parse(member) as [string, string | null, string];
        const key = { customerId, resourceId, featureId };
        let mine = await this.seal(key, sealOpen, intervalMs);
        if (mine.length === 0 && sealOpen && !(await this.hasOpen(key))) {
          await this.call('flush', () => this.redis.sRem(this.index, member));
          // A commit may have landed between the two: keep the counter indexed if it did.
          if (await this.hasOpen(key)) await this.call('flush', () => this.redis.sAdd(this.index, member));
        }
        for (const r of mine) records.set(r.id, r);
      }
    } catch {
      // what is left in Redis is sent by a later flush, here or in another process
    }
    return [...records.values()].slice(0, max);
  }

  private async hasOpen(key: UsageKey): Promise<boolean> {
    return Number(await this.call('flush', () => this.run(lua.OPEN, [this.keys(key).counter], []))) > 0;
  }

  private async seal(key: UsageKey, sealOpen: boolean, intervalMs: number): Promise<SealedRecord[]> {
    const k = this.keys(key);
    const values = (await this.call('seal', () =>
      this.run(lua.SEAL, [k.counter, k.sealed], [randomUUID(), key.customerId, key.resourceId ?? '', key.featureId, sealOpen ? '1' : '0', Date.now(), intervalMs]),
    )) as string[];
    return values
      .map((v) => JSON.parse(v) as { id: string; customerId: string; resourceId: string; featureId: string; units: string })
      .filter((r) => r.featureId === key.featureId && (r.resourceId || null) === key.resourceId)
      .map((r) => ({ id: r.id, customerId: r.customerId, resourceId: r.resourceId || null, featureId: r.featureId, units: Number(r.units) }));
  }

  async acknowledge(record: SealedRecord, currentUsage: number | null, periodStart: number | null): Promise<void> {
    await this.local.acknowledge(record, currentUsage, periodStart);
    const k = this.keys(record);
    await this.call('acknowledge', () =>
      this.run(lua.ACKNOWLEDGE, [k.counter, k.sealed], [record.id, record.units, currentUsage ?? '', periodStart ?? '']),
    ).catch(() => {});
  }

  async discard(record: SealedRecord): Promise<void> {
    await this.local.discard(record);
    const k = this.keys(record);
    await this.call('discard', () => this.run(lua.DISCARD, [k.counter, k.sealed], [record.id, record.units])).catch(() => {});
  }

  localOverlay(key: UsageKey): number {
    return (this.ownReserved.get(keyString(key)) ?? 0) + this.local.localOverlay(key);
  }

  async pendingUnits(): Promise<number> {
    let total = await this.local.pendingUnits();
    try {
      for (const member of await this.call('pending', () => this.redis.sMembers(this.index))) {
        const [customerId, resourceId, featureId] = JSON.parse(member) as [string, string | null, string];
        total += Number(await this.call('pending', () => this.run(lua.PENDING, [this.keys({ customerId, resourceId, featureId }).counter], [])));
      }
    } catch {
      // unknown: Redis is not answering
    }
    return total;
  }
}
