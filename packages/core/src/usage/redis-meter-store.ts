import { TollgateError } from '../errors.js';
import type { Logger } from '../options.js';
import { idDigest as digest } from '../util/ids.js';
import { withTimeout } from '../util/with-timeout.js';
import type { MaybePromise } from '../util/maybe-async.js';
import { AllowanceLeases, type Block, type LeaseSettings } from './allowance-leases.js';
import { GroupCommit } from './group-commit.js';
import { MemoryMeterStore } from './memory-meter-store.js';
import * as lua from './redis-scripts.js';
import {
  keyString,
  type ClaimRequest,
  type KeyedCommit,
  type LocalUsage,
  type MeterStore,
  type OpenUnits,
  type RecordedResponse,
  type ReserveRequest,
  type ReserveResult,
  type SealedRecord,
  type SeenKey,
  type UsageKey,
} from './types.js';
import { unrefTimer } from '../util/timers.js';

/**
 * What the meter needs of a Redis client. node-redis v4/v5 clients have it: `createClient()`, `createSentinel()`
 * (commands go to the current master), `createCluster()` (commands go to the master of their first key's slot);
 * pass a cluster client through `redisOfClient` (the meter does so with one given as `usage.redis`), which waits for
 * its topology and makes it follow failovers.
 */
export interface RedisLike {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  sAdd(key: string, member: string): Promise<unknown>;
  sRem(key: string, member: string): Promise<unknown>;
  sMembers(key: string): Promise<string[]>;
  /** `INFO section` (to read `maxmemory_policy`; on a cluster, every master's, one after the other); optional. */
  info?(section?: string): Promise<string>;
}

/** What `redisOfClient` uses of a node-redis cluster client (v5 `createCluster()`). */
interface NodeRedisCluster extends RedisLike {
  masters: { client?: { isReady?: boolean; options?: unknown } }[];
  nodeClient(node: unknown): Promise<{ info(section?: string): Promise<string> }>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  readonly isOpen: boolean;
  _slots?: { rediscover?(startWith: unknown): Promise<void> };
}

function isCluster(client: unknown): client is NodeRedisCluster {
  const c = client as Partial<NodeRedisCluster> | null;
  return typeof c === 'object' && c !== null && Array.isArray(c.masters) && typeof c.nodeClient === 'function';
}

/** While a cluster node's connection fails, the topology is re-read this often (and for this long after the last failure). */
const TOPOLOGY_REFRESH_MS = 250;
const TOPOLOGY_REFRESH_FOR_MS = 3_000;
/** A cluster call unanswered this long makes the topology suspect too (a master cut off without a connection error). */
const SLOW_CALL_MS = 1_000;
/** Per cluster client: the function that starts re-reading its topology. */
const suspects = new WeakMap<object, () => void>();

/**
 * node-redis' cluster client re-reads the cluster's topology only when a node answers MOVED or ASK. A master that
 * dies answers nothing: commands for its slots wait on its reconnecting connection for good, even once its replica
 * has been promoted (redis/node-redis#2806). So while any node's connection fails (or a call goes unanswered for
 * SLOW_CALL_MS), the topology is re-read every TOPOLOGY_REFRESH_MS: once the replica is promoted, its slots go to
 * it and the dead node's connection is dropped (what waited on it fails, and the meter repeats it, idempotently).
 * Once per client: the cache level and the fleet's leases share the client and gain from it too.
 */
function followFailovers(cluster: NodeRedisCluster): () => void {
  const known = suspects.get(cluster);
  if (known) return known;
  let failingUntil = 0;
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  const rediscover = async () => {
    if (running) return;
    running = true;
    try {
      // Read from a node that answers; node-redis falls back to the root nodes if it does not.
      const live = cluster.masters.find((m) => m.client?.isReady)?.client;
      if (live) await cluster._slots!.rediscover!(live);
    } catch {
      // the next tick tries again
    } finally {
      running = false;
    }
  };
  const suspect = () => {
    failingUntil = Date.now() + TOPOLOGY_REFRESH_FOR_MS;
    if (timer) return;
    void rediscover();
    timer = setInterval(() => {
      if (Date.now() < failingUntil && cluster.isOpen) return void rediscover();
      clearInterval(timer!);
      timer = null;
    }, TOPOLOGY_REFRESH_MS);
    unrefTimer(timer);
  };
  const follows = typeof cluster._slots?.rediscover === 'function' && typeof cluster.on === 'function';
  suspects.set(cluster, follows ? suspect : () => {});
  if (follows) cluster.on('node-error', suspect);
  return suspects.get(cluster)!;
}

const discovering = new WeakMap<object, Promise<void>>();

/**
 * Resolves once the cluster client knows its masters. It counts as open from the start of `connect()`, while it
 * still reads the topology, and `@keyv/redis`' `getClient()` hands it out then: a command sent before the topology
 * is known fails (`Cannot destructure property 'master'`), and INFO would see no master at all.
 */
function topologyKnown(cluster: NodeRedisCluster): Promise<void> {
  if (cluster.masters.length > 0) return Promise.resolve();
  let known = discovering.get(cluster);
  if (!known) {
    known = new Promise<void>((resolve) => cluster.once('connect', () => resolve())).finally(() =>
      discovering.delete(cluster),
    );
    discovering.set(cluster, known);
  }
  return known;
}

/**
 * A node-redis client (`createClient`, `createCluster`, `createSentinel`) obtained on each call (`@keyv/redis`'
 * `getClient()` connects on first use), made fit for Tollgate's use: a cluster client is waited on until it knows its
 * topology, and made to follow failovers. For everything Tollgate does with a shared client (meter, leases, pub/sub).
 */
export function readyClient<T>(client: () => Promise<T>): () => Promise<T> {
  return async () => {
    const c = await client();
    if (isCluster(c)) {
      followFailovers(c);
      await topologyKnown(c);
    }
    return c;
  };
}

/**
 * The meter's Redis from a node-redis client (see `readyClient`). On a cluster, INFO is every master's, and a call
 * unanswered for SLOW_CALL_MS has the client re-read the topology.
 */
export function redisOfClient(client: () => Promise<unknown>): RedisLike {
  const get = readyClient(client) as () => Promise<RedisLike>;
  const call = async <T>(op: (c: RedisLike) => Promise<T>): Promise<T> => {
    const c = await get();
    if (!isCluster(c)) return op(c);
    const slow = setTimeout(followFailovers(c), SLOW_CALL_MS);
    try {
      return await op(c);
    } finally {
      clearTimeout(slow);
    }
  };
  return {
    eval: (script, options) => call((c) => c.eval(script, options)),
    sAdd: (key, member) => call((c) => c.sAdd(key, member)),
    sRem: (key, member) => call((c) => c.sRem(key, member)),
    sMembers: (key) => call((c) => c.sMembers(key)),
    info: async (section) => {
      const c = await get();
      if (!isCluster(c)) return c.info!(section);
      const replies = await Promise.all(c.masters.map(async (m) => (await c.nodeClient(m)).info(section)));
      return replies.join('\r\n');
    },
  };
}

/**
 * A Redis given to Tollgate (`usage.redis`) as Tollgate uses it: a node-redis cluster client is wrapped by
 * `redisOfClient`; anything else is used as it is.
 */
export function usableRedis(redis: RedisLike): RedisLike {
  return isCluster(redis) ? redisOfClient(async () => redis) : redis;
}

const REQUEST_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A reservation in Redis expires this long after its owner last renewed it (every third of it while the request
 * runs, up to the reservation TTL): a process that dies frees what it held within seconds, not at the TTL.
 */
export const RESERVATION_HEARTBEAT_MS = 10_000;
/** Eviction policies that may drop the meter's keys (they have no TTL, so `volatile-*` policies leave them). */
const EVICTING = /^allkeys-/;
/** Meter calls that failed are repeated (idempotently) for this long, then their units count as unconfirmed. */
const REPEAT_FOR_MS = lua.TOMBSTONE_MS - 30_000;
/** Units metered in process while Redis is down are delivered from the process once it has been down this long. */
const LOCAL_DELIVERY_AFTER_MS = 10_000;

/** Units committed in process, handed to Redis in one call (repeated under its id until Redis confirms it). */
interface HandOver {
  id: string;
  key: UsageKey;
  plain: number;
  requests: KeyedCommit[];
  since: number;
}

/** Most requests with an idempotency key in one hand-over call. */
const HAND_OVER_CHUNK = 200;

/** A meter call whose outcome is unknown (timed out, failed): repeated until Redis answers. */
interface Unconfirmed {
  /** `spend`: requests committed through an allowance block (`reservationId` is the write's id). */
  kind: 'commit' | 'release' | 'spend';
  key: UsageKey;
  reservationId: string;
  /** A spend's block, and the units it reserved for those requests. */
  block?: Block;
  reserved?: number;
  units: number;
  idempotencyKey: string | null;
  since: number;
  /** A commit's response to keep with its request key. */
  response?: RecordedResponse | null;
}

/** A grant's outcome, shared by the requests of its counter that waited for it. */
type GrantOutcome =
  | { status: 'granted'; usage: number }
  | { status: 'denied'; usage: number; units: number }
  | { status: 'failed' };

/** What a committed request key holds: its recorded response, or none ('1'). */
function recorded(value: string | undefined): RecordedResponse | null {
  if (!value || value === '1') return null;
  try {
    return JSON.parse(value) as RecordedResponse;
  } catch {
    return null;
  }
}

/**
 * The meter in Redis: reservations, unreported units and sealed records survive the process, and every process
 * sharing the Redis checks limits in one atomic script. If Redis fails, new reservations are made in process
 * memory (exact per process only) until it answers again, and what was committed there is reported from there.
 * A call whose outcome is unknown (a timeout: Redis may still run it) is never redone locally: it is repeated
 * against Redis, where every script is idempotent by reservation id, so nothing is counted twice.
 */
export class RedisMeterStore implements MeterStore {
  private readonly local = new MemoryMeterStore(100_000, Date.now, true);
  private readonly localReservations = new Set<string>();
  private readonly ownReserved = new Map<string, number>();
  private readonly unconfirmed = new Map<string, Unconfirmed>();
  private readonly handOversUnconfirmed = new Map<string, HandOver>();
  private downUntil = 0;
  /** When Redis stopped answering (0 while it answers). */
  private downSince = 0;
  /** Units given up on after Redis did not confirm them for minutes (they reach Stigg only if Redis applied them). */
  unconfirmedUnits = 0;
  /** Meter calls Redis refused for lack of memory (the units were kept in process and delivered from here). */
  outOfMemory = 0;
  /**
   * Units of requests committed after another request with the same idempotency key (one metered apart while
   * Redis was down, answered on another process): not counted, since the request was.
   */
  duplicateUnits = 0;
  /** Live reservations this process made in Redis, by counter, with when they end for good (the reservation TTL). */
  private readonly live = new Map<string, { key: UsageKey; ids: Map<string, number> }>();
  private heartbeat: NodeJS.Timeout | null = null;
  /** Set when Redis evicts keys and the meter was told to stay in process memory instead. */
  private disabled = false;
  /** Called with meter errors worth an `error` event (Redis out of memory). */
  onError: (err: Error) => void = () => {};

  private readonly redis: RedisLike;
  /** Allowance leases, when on: blocks held here, grants in flight by counter, commits waiting for their write. */
  private readonly leases: AllowanceLeases | null;
  private readonly granting = new Map<string, Promise<GrantOutcome>>();
  private readonly spendWrites: GroupCommit<{ block: Block; reserved: number; units: number }, undefined>;

  constructor(
    redis: RedisLike,
    private readonly environment: string,
    private readonly timeoutMs: number,
    private readonly retryAfterMs: number,
    private readonly logger: Logger,
    leases: LeaseSettings | null = null,
  ) {
    this.redis = usableRedis(redis);
    this.leases = leases ? new AllowanceLeases(leases) : null;
    this.spendWrites = new GroupCommit((items) => this.writeSpends(items));
  }

  /** Allowance leases: blocks held now, their units not spent yet, and blocks granted so far. */
  leaseFigures(): { blocks: number; unitsHeld: number; grants: number } {
    return this.leases?.figures() ?? { blocks: 0, unitsHeld: 0, grants: 0 };
  }

  get dropped(): number {
    return this.local.dropped;
  }

  private prefix(customerId: string): string {
    return `tollgate:v2:${this.environment}:{${digest(customerId)}}`;
  }

  private keys(k: UsageKey, idempotencyKey: string | null = null) {
    const p = this.prefix(k.customerId);
    const counter = `${p}:u:${digest(JSON.stringify([k.resourceId, k.featureId]))}`;
    return {
      counter,
      zset: `${counter}:rz`,
      units: `${counter}:ru`,
      sealed: `${p}:sealed`,
      meta: `${p}:meta`,
      request: `${p}:k:${digest(JSON.stringify([k.resourceId, k.featureId, idempotencyKey ?? '']))}`,
    };
  }

  private get index(): string {
    return `tollgate:v2:${this.environment}:outbox`;
  }

  /** The delivery lease's keys (one hash tag: the lease script touches both). */
  get leaseKeys(): { lease: string; fence: string } {
    return {
      lease: `tollgate:v2:{${this.environment}}:lease:usage`,
      fence: `tollgate:v2:{${this.environment}}:fence:usage`,
    };
  }

  private available(): boolean {
    return !this.disabled && Date.now() >= this.downUntil;
  }

  /**
   * Redis' eviction policy, read with INFO: one that may evict the meter's keys would lose committed usage without
   * a trace. Returns the policy and whether it evicts; null when it cannot be read.
   */
  async evictionPolicy(): Promise<{ policy: string; evicts: boolean } | null> {
    if (!this.redis.info) return null;
    try {
      const info = await withTimeout(this.redis.info('memory'), this.timeoutMs, 'INFO memory');
      // A cluster's INFO is every master's: one that evicts is enough to lose usage.
      const policies = [...info.matchAll(/maxmemory_policy:(\S+)/g)].map((m) => m[1]!);
      const policy = policies.find((p) => EVICTING.test(p)) ?? policies[0];
      return policy ? { policy, evicts: EVICTING.test(policy) } : null;
    } catch {
      return null;
    }
  }

  /** From now on the meter stays in process memory (Redis evicts keys; the user chose this over failing). */
  disable(): void {
    this.disabled = true;
  }

  /** Starts renewing this process' live reservations (the heartbeat that frees them when it dies). */
  start(): void {
    if (this.heartbeat) return;
    const every = Math.min(RESERVATION_HEARTBEAT_MS, this.leases?.settings.ttlMs ?? RESERVATION_HEARTBEAT_MS) / 3;
    this.heartbeat = setInterval(() => void this.renewLive(), every);
    unrefTimer(this.heartbeat);
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private track(key: UsageKey, reservationId: string, endsAt: number): void {
    const id = keyString(key);
    let entry = this.live.get(id);
    if (!entry) this.live.set(id, (entry = { key, ids: new Map() }));
    entry.ids.set(reservationId, endsAt);
  }

  private untrack(key: UsageKey, reservationId: string): void {
    const id = keyString(key);
    const entry = this.live.get(id);
    if (entry?.ids.delete(reservationId) && entry.ids.size === 0) this.live.delete(id);
  }

  /** Renewed even while the meter skips Redis after a failure: an expired reservation frees units the fleet may then overuse. */
  private async renewLive(): Promise<void> {
    if (this.disabled) return;
    const now = Date.now();
    if (this.leases && !(await this.renewBlocks(now))) return;
    for (const [id, entry] of this.live) {
      const renew: string[] = [];
      for (const [reservationId, endsAt] of entry.ids) {
        if (endsAt <= now)
          entry.ids.delete(reservationId); // past its TTL: left to expire
        else renew.push(reservationId);
      }
      if (renew.length === 0) {
        this.live.delete(id);
        continue;
      }
      const k = this.keys(entry.key);
      try {
        await this.call('heartbeat', () =>
          this.run(lua.RENEW, [k.counter, k.zset, k.units], [now + RESERVATION_HEARTBEAT_MS, ...renew]),
        );
      } catch {
        return;
      }
    }
  }

  /** Renews the allowance blocks held here (grouped by counter); false when Redis did not answer. */
  private async renewBlocks(now: number): Promise<boolean> {
    const byCounter = new Map<string, Block[]>();
    for (const block of this.leases!.held()) {
      const id = keyString(block.key);
      const list = byCounter.get(id);
      if (list) list.push(block);
      else byCounter.set(id, [block]);
    }
    for (const blocks of byCounter.values()) {
      const k = this.keys(blocks[0]!.key);
      try {
        await this.call('heartbeat', () =>
          this.run(
            lua.RENEW,
            [k.counter, k.zset, k.units],
            [now + this.leases!.settings.ttlMs, ...blocks.map((b) => b.id)],
          ),
        );
        this.leases!.renewed(blocks, now);
      } catch {
        return false;
      }
    }
    return true;
  }

  private async call<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      const result = await withTimeout(op(), this.timeoutMs, `meter ${what}`);
      this.downSince = 0;
      return result;
    } catch (err) {
      if (this.downSince === 0) this.downSince = Date.now();
      if (this.available())
        this.logger.warn(
          `tollgate: Redis meter ${what} failed (${(err as Error).message}); metering in process for ${this.retryAfterMs} ms`,
        );
      this.downUntil = Date.now() + this.retryAfterMs;
      throw err;
    }
  }

  private run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.redis.eval(script, { keys, arguments: args.map(String) });
  }

  async seen(key: UsageKey, idempotencyKey: string): Promise<SeenKey> {
    // Committed here while Redis was down (not handed over yet), or in Redis.
    const here = await this.local.seen(key, idempotencyKey);
    if (here) return here;
    if (!this.available()) return { status: 'unknown' };
    const k = this.keys(key, idempotencyKey);
    try {
      const [status, value] = (await this.call('seen', () => this.run(lua.SEEN, [k.request, k.units], []))) as [
        string,
        string?,
      ];
      if (status === 'duplicate') return { status, replay: recorded(value) };
      return status === 'in-flight' ? { status } : null;
    } catch {
      return { status: 'unknown' };
    }
  }

  reserve(r: ReserveRequest): MaybePromise<ReserveResult> {
    if (!this.leases || r.idempotencyKey) return this.reserveInRedis(r);
    // Units from the counter's block, here and now; a grant (or no block) takes a round trip.
    const usage = this.leases.spend(r.key, r.reservationId, r.units, r.limit, r.period, r.ttlMs);
    if (usage !== null) return { status: 'reserved', usage };
    return this.fromBlock(r).then((fromBlock) => fromBlock ?? this.reserveInRedis(r));
  }

  /** One reservation in Redis (a Lua script), or in process memory while Redis is out of reach. */
  private async reserveInRedis(r: ReserveRequest): Promise<ReserveResult> {
    if (this.available()) {
      const k = this.keys(r.key, r.idempotencyKey);
      try {
        const [status, usage, seen] = (await this.call('reserve', () =>
          this.run(
            lua.RESERVE,
            [k.counter, k.zset, k.units, k.request],
            [
              Date.now(),
              Math.min(r.ttlMs, RESERVATION_HEARTBEAT_MS),
              r.reservationId,
              r.units,
              r.limit ?? -1,
              r.cachedUsage,
              r.period ?? '',
              r.idempotencyKey ? '1' : '0',
              r.ttlMs,
            ],
          ),
        )) as [ReserveResult['status'] | 'stale', string, string?];
        if (status === 'reserved') {
          this.ownReserved.set(keyString(r.key), (this.ownReserved.get(keyString(r.key)) ?? 0) + r.units);
          if (r.ttlMs > RESERVATION_HEARTBEAT_MS) this.track(r.key, r.reservationId, Date.now() + r.ttlMs);
        }
        if (status === 'duplicate') return { status, usage: Number(usage), replay: recorded(seen) };
        if (status !== 'stale') return { status, usage: Number(usage) };
      } catch {
        // Redis may still make this reservation later: release it (idempotently) once Redis answers again.
        this.repeat({
          kind: 'release',
          key: r.key,
          reservationId: r.reservationId,
          units: 0,
          idempotencyKey: null,
          since: Date.now(),
        });
      }
    }
    this.localReservations.add(r.reservationId);
    return this.local.reserve(r);
  }

  /**
   * Allowance leases, for a request without an idempotency key: units from the counter's block, or a new block (one
   * grant at a time per counter: the requests arriving meanwhile wait for it and spend from it). Null when there is
   * no block and Redis cannot grant one: the request is metered as without leases.
   */
  private async fromBlock(r: ReserveRequest): Promise<ReserveResult | null> {
    const leases = this.leases!;
    const id = keyString(r.key);
    for (;;) {
      const usage = leases.spend(r.key, r.reservationId, r.units, r.limit, r.period, r.ttlMs);
      if (usage !== null) return { status: 'reserved', usage };
      if (!this.available()) return null;
      const pending = this.granting.get(id);
      if (pending) {
        const outcome = await pending;
        if (outcome.status === 'failed') return null;
        // Denied for as many units or fewer: so is this request (the block's limit rule is `fitsLimit`'s).
        if (outcome.status === 'denied' && outcome.units <= r.units) return { status: 'denied', usage: outcome.usage };
        continue;
      }
      const grant = this.grant(r).finally(() => this.granting.delete(id));
      this.granting.set(id, grant);
      const outcome = await grant;
      if (outcome.status === 'failed') return null;
      return { status: outcome.status === 'granted' ? 'reserved' : 'denied', usage: outcome.usage };
    }
  }

  /** One GRANT: a block for the counter, `r`'s units taken from it. */
  private async grant(r: ReserveRequest): Promise<GrantOutcome> {
    const leases = this.leases!;
    const k = this.keys(r.key);
    const blockId = crypto.randomUUID();
    try {
      const [status, usage, size] = (await this.call('grant', () =>
        this.run(
          lua.GRANT,
          [k.counter, k.zset, k.units],
          [
            Date.now(),
            leases.settings.ttlMs,
            blockId,
            r.units,
            r.limit ?? -1,
            r.cachedUsage,
            r.period ?? '',
            leases.settings.maxUnits,
            leases.settings.share,
          ],
        ),
      )) as [string, string, string];
      if (status === 'denied') return { status, usage: Number(usage), units: r.units };
      const block = {
        id: blockId,
        key: r.key,
        limit: r.limit,
        period: r.period,
        usageBefore: Number(usage),
        size: Number(size),
      };
      return { status: 'granted', usage: leases.granted(block, r.reservationId, r.units, r.ttlMs) };
    } catch {
      // Redis may still grant it later: the block is given back (idempotently) once Redis answers again.
      this.repeat({
        kind: 'release',
        key: r.key,
        reservationId: blockId,
        units: 0,
        idempotencyKey: null,
        since: Date.now(),
      });
      return { status: 'failed' };
    }
  }

  /**
   * Writes the commits of requests that spent from blocks, gathered while the previous write ran: one SPEND per
   * block, under a fresh id (repeated under it when its outcome is unknown). Units Redis never took are counted in
   * process, as a commit's; the block's units reserved for them go back with the block.
   */
  private async writeSpends(items: { block: Block; reserved: number; units: number }[]): Promise<undefined[]> {
    const byBlock = new Map<Block, Unconfirmed & { block: Block; reserved: number }>();
    for (const item of items) {
      let op = byBlock.get(item.block);
      if (!op)
        byBlock.set(
          item.block,
          (op = {
            kind: 'spend',
            key: item.block.key,
            reservationId: crypto.randomUUID(),
            block: item.block,
            reserved: 0,
            units: 0,
            idempotencyKey: null,
            since: Date.now(),
          }),
        );
      op.reserved += item.reserved;
      op.units += item.units;
    }
    await Promise.all(
      [...byBlock.values()].map(async (op) => {
        const sent = this.available() ? await this.send(op) : 'unsent';
        if (sent === false) return this.repeat(op);
        if (sent !== true && op.units > 0) this.local.restoreOpen({ key: op.key, units: op.units, since: op.since });
        this.leases!.flushed(op.block, op.reserved);
      }),
    );
    return items.map(() => undefined);
  }

  /** Gives back to Redis the blocks that are due (idle, retired; every one with `all`), each once nothing of it is pending. */
  private async returnBlocks(all: boolean): Promise<void> {
    for (const block of this.leases?.due(all) ?? []) {
      const op: Unconfirmed = {
        kind: 'release',
        key: block.key,
        reservationId: block.id,
        units: 0,
        idempotencyKey: null,
        since: Date.now(),
      };
      if ((await this.send(op)) !== true) this.repeat(op);
    }
  }

  private dropOwn(key: UsageKey, units: number): void {
    const id = keyString(key);
    const left = (this.ownReserved.get(id) ?? 0) - units;
    if (left > 0) this.ownReserved.set(id, left);
    else this.ownReserved.delete(id);
  }

  commit(
    key: UsageKey,
    reservationId: string,
    units: number,
    idempotencyKey: string | null,
    reservedUnits: number,
    response?: RecordedResponse | null,
  ): MaybePromise<void> {
    const spend = this.leases?.settle(reservationId, true);
    // Spent from a block: written with the other commits of this turn, in one pipeline.
    if (spend) return this.spendWrites.add({ block: spend.block, reserved: spend.units, units });
    if (this.localReservations.delete(reservationId))
      return this.local.commit(key, reservationId, units, idempotencyKey, reservedUnits, response);
    return this.commitInRedis(key, reservationId, units, idempotencyKey, reservedUnits, response);
  }

  private async commitInRedis(
    key: UsageKey,
    reservationId: string,
    units: number,
    idempotencyKey: string | null,
    reservedUnits: number,
    response?: RecordedResponse | null,
  ): Promise<void> {
    this.dropOwn(key, reservedUnits);
    this.untrack(key, reservationId);
    const op: Unconfirmed = {
      kind: 'commit',
      key,
      reservationId,
      units,
      idempotencyKey,
      since: Date.now(),
      response: response ?? null,
    };
    const sent = this.available() ? await this.send(op) : 'unsent';
    if (sent === 'refused' || sent === 'unsent') {
      // The COMMIT never ran in Redis: Redis is known to be down, its first command of the commit failed before the
      // script was sent, or it refused the script unrun (out of memory). The units are counted in process (handed
      // to Redis or delivered from here later); the Redis reservation is released once Redis answers.
      await this.local.commit(key, reservationId, units, idempotencyKey, reservedUnits, response);
      this.repeat({ ...op, kind: 'release', units: 0 });
    } else if (!sent) this.repeat(op);
  }

  release(
    key: UsageKey,
    reservationId: string,
    reservedUnits: number,
    idempotencyKey: string | null = null,
  ): MaybePromise<void> {
    // Spent from a block: the units go back to it, for the next request.
    if (this.leases?.settle(reservationId, false)) return;
    if (this.localReservations.delete(reservationId))
      return this.local.release(key, reservationId, reservedUnits, idempotencyKey);
    return this.releaseInRedis(key, reservationId, reservedUnits, idempotencyKey);
  }

  private async releaseInRedis(
    key: UsageKey,
    reservationId: string,
    reservedUnits: number,
    idempotencyKey: string | null,
  ): Promise<void> {
    this.dropOwn(key, reservedUnits);
    this.untrack(key, reservationId);
    const op: Unconfirmed = { kind: 'release', key, reservationId, units: 0, idempotencyKey, since: Date.now() };
    if ((await this.send(op)) !== true) this.repeat(op);
  }

  /**
   * Runs a commit or release: true when Redis confirmed it, 'refused' when Redis refused it unrun (out of memory),
   * 'unsent' when a commit failed before its script was sent, false when its outcome is unknown (a timeout: Redis
   * may still run it).
   */
  private async send(op: Unconfirmed): Promise<boolean | 'refused' | 'unsent'> {
    const k = this.keys(op.key, op.idempotencyKey);
    let scriptSent = false;
    let committed = false;
    try {
      if (op.kind === 'release') {
        const keys = op.idempotencyKey ? [k.counter, k.zset, k.units, k.request] : [k.counter, k.zset, k.units];
        await this.call('release', () => this.run(lua.RELEASE, keys, [op.reservationId, Date.now()]));
        return true;
      }
      const member = JSON.stringify([op.key.customerId, op.key.resourceId, op.key.featureId]);
      // Indexed before and after: a crash in between leaves an index entry with nothing behind it (harmless),
      // and a delivery that removed the entry meanwhile cannot strand these units.
      await this.call('commit', () => this.redis.sAdd(this.index, member));
      scriptSent = true;
      const counted = await this.call('commit', () =>
        op.kind === 'spend'
          ? this.run(
              lua.SPEND,
              [k.counter, k.zset, k.units],
              [op.reservationId, Date.now(), op.block!.id, op.reserved!, op.units],
            )
          : this.run(
              lua.COMMIT,
              [k.counter, k.zset, k.units, k.request],
              [
                op.reservationId,
                op.units,
                op.idempotencyKey ? '1' : '0',
                REQUEST_KEY_TTL_MS,
                Date.now(),
                op.response ? JSON.stringify(op.response) : '1',
              ],
            ),
      );
      committed = true;
      if (op.kind === 'commit' && Number(counted) === 2) this.duplicateUnits += op.units;
      await this.call('commit', () => this.redis.sAdd(this.index, member));
      return true;
    } catch (err) {
      // Past the COMMIT the units are in Redis (indexed by the first add): only the second add failed.
      if (committed) return true;
      if (!/\bOOM\b/.test((err as Error)?.message ?? '')) return scriptSent ? false : 'unsent';
      this.outOfMemory += 1;
      this.onError(
        new TollgateError(
          'UNAVAILABLE',
          `Redis is out of memory (maxmemory): ${op.units} committed units are kept in process and delivered from here`,
          { cause: err },
        ),
      );
      return 'refused';
    }
  }

  private repeat(op: Unconfirmed): void {
    this.unconfirmed.set(op.reservationId, op);
  }

  /**
   * Repeats the meter calls whose outcome is unknown, now that Redis may answer (gives up on those older than
   * minutes), then hands what was committed in process to Redis. With `final` (at close): asks Redis at once, and
   * hands over sealed records too.
   */
  async reconcile(final = false): Promise<void> {
    if (this.disabled || (!final && !this.available())) return;
    await this.returnBlocks(final);
    for (const op of [...this.unconfirmed.values()]) {
      // A refusal now proves nothing about an earlier attempt that timed out: it is repeated like any failure.
      if ((await this.send(op)) === true) {
        this.unconfirmed.delete(op.reservationId);
        if (op.block) this.leases!.flushed(op.block, op.reserved!);
      } else if (Date.now() - op.since > REPEAT_FOR_MS) {
        this.unconfirmed.delete(op.reservationId);
        if (op.block) this.leases!.flushed(op.block, op.reserved!);
        if (op.kind !== 'release') {
          this.unconfirmedUnits += op.units;
          this.logger.error(
            `tollgate: Redis did not confirm ${op.units} committed units of ${op.key.featureId} for minutes; they reach Stigg only if Redis applied them`,
          );
        }
      } else return; // still down: try again later
    }
    for (const op of [...this.handOversUnconfirmed.values()]) {
      if ((await this.sendHandOver(op)) === true) this.handOversUnconfirmed.delete(op.id);
      else if (Date.now() - op.since > REPEAT_FOR_MS) {
        this.handOversUnconfirmed.delete(op.id);
        const units = op.plain + op.requests.reduce((n, r) => n + r.units, 0);
        this.unconfirmedUnits += units;
        this.logger.error(
          `tollgate: Redis did not confirm ${units} units handed over for minutes; they reach Stigg only if Redis applied them`,
        );
      } else return;
    }
    // Handed over only once Redis has answered again (not merely past its retry-after), one by one, stopping at the
    // first failure: what is not handed over stays in process.
    if (!final && !this.available()) return;
    if (this.downSince !== 0 && !(await this.answers())) return;
    if (!(await this.handOverOpen())) return;
    if (final) await this.handOverSealed();
  }

  /**
   * Hands the units committed in process to Redis, one counter at a time; false when Redis stopped answering.
   * Requests with an idempotency key go one by one under their keys: one that another process counted meanwhile (a
   * client's retry answered there) is not counted again, and a later retry finds its key.
   */
  private async handOverOpen(): Promise<boolean> {
    const open = this.local.takeOpen();
    while (open.length > 0) {
      const next = open[0]!;
      // One call per counter (a request at a time would leave the units in process, where a kill loses them, for
      // as many round trips), its requests in chunks.
      for (;;) {
        const requests = next.requests?.slice(0, HAND_OVER_CHUNK) ?? [];
        const keyed = requests.reduce((n, r) => n + r.units, 0);
        const last = (next.requests?.length ?? 0) <= HAND_OVER_CHUNK;
        const plain = last ? next.units - keyed : 0;
        if (requests.length === 0 && plain <= 0) break;
        const outcome = await this.handOver(next.key, plain, requests);
        if (outcome !== 'stays') {
          next.requests?.splice(0, requests.length);
          next.units -= keyed + plain;
        }
        if (outcome !== 'done') return this.restoreOpen(open);
        if (last) break;
      }
      open.shift();
    }
    return true;
  }

  /**
   * One hand-over call under a fresh id: 'done' when Redis took it, 'repeated' when its outcome is unknown (it is
   * repeated with the same id, idempotently: never doubled), 'stays' when it never ran in Redis.
   */
  private async handOver(
    key: UsageKey,
    plain: number,
    requests: KeyedCommit[],
  ): Promise<'done' | 'repeated' | 'stays'> {
    const op: HandOver = { id: crypto.randomUUID(), key, plain, requests, since: Date.now() };
    const sent = await this.sendHandOver(op);
    if (sent === 'unsent') return 'stays';
    if (sent) return 'done';
    this.handOversUnconfirmed.set(op.id, op);
    return 'repeated';
  }

  /** Runs a hand-over: true when Redis confirmed it, false when its outcome is unknown, 'unsent' when it never ran. */
  private async sendHandOver(op: HandOver): Promise<boolean | 'unsent'> {
    const k = this.keys(op.key);
    const member = JSON.stringify([op.key.customerId, op.key.resourceId, op.key.featureId]);
    try {
      await this.call('hand-over', () => this.redis.sAdd(this.index, member));
    } catch {
      return 'unsent';
    }
    try {
      const args: (string | number)[] = [op.id, Date.now(), op.plain, REQUEST_KEY_TTL_MS];
      for (const r of op.requests) args.push(r.units, r.response ? JSON.stringify(r.response) : '1');
      const requestKeys = op.requests.map((r) => this.keys(op.key, r.idempotencyKey).request);
      const duplicate = Number(
        await this.call('hand-over', () => this.run(lua.HAND_OVER, [k.counter, k.zset, k.units, ...requestKeys], args)),
      );
      if (duplicate > 0) this.duplicateUnits += duplicate;
      return true;
    } catch (err) {
      if (/\bOOM\b/.test((err as Error)?.message ?? '')) return 'unsent'; // refused unrun
      return false;
    }
  }

  private restoreOpen(open: OpenUnits[]): false {
    for (const o of open) if (o.units > 0 || o.requests?.length) this.local.restoreOpen(o);
    return false;
  }

  /**
   * Hands the records this process sealed (sent, outcome unknown) to Redis under their ids: the fleet's next write
   * sends each with the same idempotency key. One that fails stays here too: should Redis have taken it anyway, it
   * is sent twice under one key, which Stigg applies once.
   */
  private async handOverSealed(): Promise<void> {
    const sealed = this.local.takeSealed();
    while (sealed.length > 0) {
      const record = sealed.shift()!;
      const k = this.keys(record);
      const member = JSON.stringify([record.customerId, record.resourceId, record.featureId]);
      try {
        await this.call('hand-over', () => this.redis.sAdd(this.index, member));
        await this.call('hand-over', () =>
          this.run(
            lua.ADOPT,
            [k.counter, k.sealed, `${this.prefix(record.customerId)}:adopted:${digest(record.id)}`],
            [
              record.id,
              record.customerId,
              record.resourceId ?? '',
              record.featureId,
              record.units,
              record.since,
              REQUEST_KEY_TTL_MS,
            ],
          ),
        );
      } catch {
        for (const r of [record, ...sealed]) this.local.restoreSealed(r);
        return;
      }
    }
  }

  takeLocal(): LocalUsage {
    return this.local.takeLocal();
  }

  restoreLocal(usage: LocalUsage): void {
    this.local.restoreLocal(usage);
  }

  /** Whether Redis answers now (a no-op script); after an outage, what proves it is back. */
  private async answers(): Promise<boolean> {
    try {
      await this.call('probe', () => this.run('return 1', [], []));
      this.downUntil = 0;
      return true;
    } catch {
      return false;
    }
  }

  /** Units committed whose Redis call has not been confirmed yet. */
  private unconfirmedCommits(key?: UsageKey): number {
    let n = 0;
    const id = key && keyString(key);
    for (const op of this.unconfirmed.values())
      if (op.kind !== 'release' && (!id || keyString(op.key) === id)) n += op.units;
    for (const op of this.handOversUnconfirmed.values())
      if (!id || keyString(op.key) === id) n += op.plain + op.requests.reduce((u, r) => u + r.units, 0);
    return n;
  }

  /**
   * Units committed in process while Redis was down are handed to Redis when it answers again, so that the fleet's
   * one delivering process writes them, within the fleet's pacing. They are delivered from here only when Redis
   * stays down (past LOCAL_DELIVERY_AFTER_MS), when the meter stays in process (an evicting Redis), or at close.
   */
  private deliversLocally(final: boolean): boolean {
    return final || this.disabled || (this.downSince > 0 && Date.now() - this.downSince > LOCAL_DELIVERY_AFTER_MS);
  }

  async pendingKeys(shared: boolean, final = false): Promise<UsageKey[]> {
    const keys = this.deliversLocally(final) ? await this.local.pendingKeys() : this.local.sealedKeys();
    if (!shared || !this.available()) return keys;
    try {
      const seen = new Set(keys.map(keyString));
      for (const member of await this.call('deliver', () => this.redis.sMembers(this.index))) {
        const [customerId, resourceId, featureId] = JSON.parse(member) as [string, string | null, string];
        const key = { customerId, resourceId, featureId };
        if (!seen.has(keyString(key))) keys.push(key);
      }
    } catch {
      // what is in Redis is delivered by a later pass
    }
    return keys;
  }

  async claim(keys: UsageKey[], request: ClaimRequest): Promise<SealedRecord[]> {
    const records = await this.local.claim(keys, request);
    if (!request.shared || !this.available() || keys.length === 0) return records;
    const first = this.keys(keys[0]!);
    const args: (string | number)[] = [request.token, request.now, request.minSpacingMs];
    const fresh = new Set<string>();
    for (const key of keys) {
      const id = crypto.randomUUID();
      fresh.add(id);
      args.push(id, key.customerId, key.resourceId ?? '', key.featureId);
    }
    try {
      const values = (await this.call('claim', () =>
        this.run(lua.CLAIM, [first.meta, first.sealed, ...keys.map((k) => this.keys(k).counter)], args),
      )) as string[];
      for (const v of values) {
        const r = JSON.parse(v) as {
          id: string;
          customerId: string;
          resourceId: string;
          featureId: string;
          units: string;
          since: string;
        };
        records.push({
          id: r.id,
          customerId: r.customerId,
          resourceId: r.resourceId || null,
          featureId: r.featureId,
          units: Number(r.units),
          since: Number(r.since),
          fresh: fresh.has(r.id),
        });
      }
      await this.unindexIdle(keys);
    } catch {
      // sent by a later pass
    }
    return records;
  }

  /** Counters with nothing open and nothing sealed leave the delivery index. */
  private async unindexIdle(keys: UsageKey[]): Promise<void> {
    for (const key of keys) {
      const k = this.keys(key);
      const [open, pending] = (await this.call('deliver', () => this.run(lua.STATE, [k.counter, k.sealed], []))) as [
        string,
        string,
        number,
      ];
      if (Number(open) > 0 || Number(pending) > 0) continue;
      const member = JSON.stringify([key.customerId, key.resourceId, key.featureId]);
      await this.call('deliver', () => this.redis.sRem(this.index, member));
      // A commit may have landed between the two: keep the counter indexed if it did.
      const [again] = (await this.call('deliver', () => this.run(lua.STATE, [k.counter, k.sealed], []))) as [string];
      if (Number(again) > 0) await this.call('deliver', () => this.redis.sAdd(this.index, member));
    }
  }

  async acknowledge(record: SealedRecord, currentUsage: number | null, period: number | null): Promise<void> {
    if (this.local.holds(record)) return this.local.acknowledge(record, currentUsage, period);
    const k = this.keys(record);
    await this.call('acknowledge', () =>
      this.run(lua.ACKNOWLEDGE, [k.counter, k.sealed], [record.id, record.units, currentUsage ?? '', period ?? '']),
    ).catch(() => {});
  }

  async unseal(record: SealedRecord, token: number): Promise<void> {
    if (this.local.holds(record)) return this.local.unseal(record);
    const k = this.keys(record);
    await this.call('unseal', () => this.run(lua.UNSEAL, [k.counter, k.sealed], [record.id, token])).catch(() => {});
  }

  async discard(record: SealedRecord): Promise<void> {
    if (this.local.holds(record)) return this.local.discard(record);
    const k = this.keys(record);
    await this.call('discard', () => this.run(lua.DISCARD, [k.counter, k.sealed], [record.id, record.units])).catch(
      () => {},
    );
  }

  localOverlay(key: UsageKey): number {
    const own = this.ownReserved.get(keyString(key)) ?? 0;
    return (
      own +
      (this.leases?.inflightUnits(key) ?? 0) +
      this.local.localOverlay(key) +
      (this.unconfirmed.size + this.handOversUnconfirmed.size > 0 ? this.unconfirmedCommits(key) : 0)
    );
  }

  async pendingUnits(includeShared: boolean): Promise<{ local: number; shared: number; unconfirmed: number }> {
    const unconfirmed = this.unconfirmedCommits();
    const local = (await this.local.pendingUnits()).local + unconfirmed;
    let shared = 0;
    if (!includeShared) return { local, shared, unconfirmed };
    try {
      for (const member of await this.call('pending', () => this.redis.sMembers(this.index))) {
        const [customerId, resourceId, featureId] = JSON.parse(member) as [string, string | null, string];
        const k = this.keys({ customerId, resourceId, featureId });
        const [, pending] = (await this.call('pending', () => this.run(lua.STATE, [k.counter, k.sealed], []))) as [
          string,
          string,
        ];
        shared += Number(pending);
      }
    } catch {
      // unknown: Redis is not answering
    }
    return { local, shared, unconfirmed };
  }
}
