import { runtime } from '#runtime';
import { EntitlementCache, type Lookup } from './cache/entitlement-cache.js';
import { FleetStream } from './fleet/fleet-stream.js';
import { RedisLease } from './fleet/lease.js';
import { LocalReadCounter, ReadBudget, ReadLocks, RedisReadCounter } from './fleet/shared-reads.js';
import { Management, reportUsageProblem, type ReportUsageInput, type UsageReportAck } from './client/management.js';
import { toEntitlementSet } from './client/map-entitlements.js';
import { StiggClient, toTollgateError } from './client/stigg-client.js';
import { decide, enforcedLimit, fitsLimit } from './decision/decide.js';
import type { CachedEntitlement, CheckRequest, Decision } from './decision/types.js';
import { ConfigError, TollgateError } from './errors.js';
import { newMetrics, TollgateEmitter, type Metrics, type StreamState } from './events.js';
import { resolveConfig, type Config, type Options } from './options.js';
import {
  INSTRUMENT,
  type DecisionKind,
  type Instrumentable,
  type TelemetrySink,
  type TelemetrySource,
} from './telemetry/sink.js';
import { StiggStream, type StreamHandlers } from './stream/stigg-stream.js';
import { MemoryMeterStore } from './usage/memory-meter-store.js';
import { Outbox, type DrainReport } from './usage/outbox.js';
import { RedisMeterStore } from './usage/redis-meter-store.js';
import { SpillFile } from './usage/spill-file.js';
import { idProblem } from './util/ids.js';
import type { MeterStore } from './usage/types.js';
import { ENTER_AT_ONCE, SETTLED, UsageMeter, type EnterRequest, type MeteredRequest } from './usage/usage-meter.js';
import { andThen, type MaybePromise } from './util/maybe-async.js';
import { CoarseClock } from './util/coarse-clock.js';

/** `Tollgate[CHECK_RESOLVED]`: `check` for ids a guard has checked already. */
export const CHECK_RESOLVED = Symbol('tollgate.checkResolved');

/** How long `ready()` waits for the stream's first connection before going on without it. */
const STREAM_READY_WAIT_MS = 5_000;

/**
 * How long the work handed to a request's `waitUntil` may go on after its response (Cloudflare Workers: 30 s).
 * `backgroundWork()` starts no delivery later than one Stigg call's time (`timeoutMs`) and a margin before it.
 */
const WAIT_UNTIL_LIMIT_MS = 30_000;
const WAIT_UNTIL_MARGIN_MS = 5_000;
/** How often `backgroundWork()` looks again at usage the pacing held back. */
const BACKGROUND_POLL_MS = 250;

/**
 * The Tollgate client: decisions from a two-level cache kept fresh by Stigg's stream, and Stigg's management calls.
 * One per process (per Stigg environment); `close()` it on shutdown.
 */
export class Tollgate extends Management implements Instrumentable {
  readonly events = new TollgateEmitter();
  private readonly config: Config;
  private readonly cache: EntitlementCache;
  /** Stigg's stream of this process (every-instance mode), or null. */
  private readonly stream: StiggStream | null;
  /** The fleet's one stream (fleet mode), or null. */
  private readonly fleetStream: FleetStream | null;
  private readonly readBudget: ReadBudget;
  private readonly counters: Metrics = newMetrics();
  /** The time a cache hit is decided at (see CoarseClock); where work ends with its request (Workers), Date.now. */
  private readonly hitClock: { now(): number; stop?(): void } = runtime.requestScoped ? Date : new CoarseClock();
  private readonly meterStore: MeterStore;
  private readonly outbox: Outbox;
  private readonly deliveryLease: RedisLease | null;
  private readonly redisMeter: RedisMeterStore | null;
  private readonly meter: UsageMeter;
  private streamState: StreamState = 'closed';
  /** Set while an instrumenter (`@tollgate/core/opentelemetry`) is attached. */
  private telemetry: TelemetrySink | null = null;
  private closed = false;
  private drained: Promise<DrainReport> | null = null;
  /** Usage committed since the last `backgroundWork()` call took delivery on (on Node it goes on its interval too). */
  private usageWaiting = false;
  /** The latest delivery `backgroundWork()` started, and when it stops trying. */
  private delivery: { done: Promise<void>; until: number } | null = null;

  /**
   * `stigg` replaces the network client (the test double in `@tollgate/core/testing` passes one, and no Stigg limit
   * then applies: `unpaced`); not public API.
   */
  constructor(options: Options, stigg?: StiggClient, { unpaced = false } = {}) {
    const config = resolveConfig(options);
    const client =
      stigg ??
      new StiggClient({
        apiKey: config.apiKey,
        graphqlUrl: config.graphqlUrl,
        timeoutMs: config.timeoutMs,
        maxAttempts: config.maxAttempts,
        retryBaseMs: config.retryBaseMs,
        retryMaxMs: config.retryMaxMs,
        logger: config.logger,
      });
    super(client, (customerId) => this.cache.dropCustomer(customerId));
    this.config = config;
    const fleetRedis = config.fleet.redis;
    const budget = (this.readBudget = new ReadBudget(
      config.fleet.readsPerMinute,
      fleetRedis
        ? new RedisReadCounter(fleetRedis, `tollgate:v2:{${config.environment}}:reads`, config.cache.storeTimeoutMs)
        : new LocalReadCounter(),
      config.logger,
      config.cache.storeRetryAfterMs,
    ));
    this.cache = new EntitlementCache(
      config,
      async (customerId, resourceId) => toEntitlementSet(await client.getEntitlements(customerId, resourceId)),
      this.counters,
      {
        // One read per fleet: the lock's holder has at most one Stigg call's time (then the others read themselves).
        locks:
          fleetRedis && config.cache.store
            ? new ReadLocks(fleetRedis, config.timeoutMs, config.cache.storeTimeoutMs)
            : null,
        budget,
        waitMs: config.fleet.coldReadWaitMs,
      },
    );
    const fleetMode = config.stream?.mode === 'fleet' && fleetRedis && config.fleet.pubSub;
    this.stream = config.stream && !fleetMode ? new StiggStream(config, this.streamHandlers(null)) : null;
    this.fleetStream = fleetMode ? this.newFleetStream(fleetRedis, config.fleet.pubSub!) : null;
    const redisStore = config.usage.redis
      ? new RedisMeterStore(
          config.usage.redis,
          config.environment,
          config.usage.redisTimeoutMs,
          config.cache.storeRetryAfterMs,
          config.logger,
          config.usage.allowanceLeases,
        )
      : null;
    this.meterStore = redisStore ?? new MemoryMeterStore();
    this.redisMeter = redisStore;
    if (redisStore) redisStore.onError = (err) => this.events.emit('error', err as TollgateError);
    // With Redis, one process of the fleet delivers what the fleet committed: the holder of this lease.
    this.deliveryLease = redisStore
      ? new RedisLease(
          config.usage.redis!,
          redisStore.leaseKeys,
          'usage delivery',
          {
            ttlMs: config.usage.leaseTtlMs,
            renewMs: Math.max(100, config.usage.leaseTtlMs / 3),
            timeoutMs: config.usage.redisTimeoutMs,
          },
          config.logger,
        )
      : null;
    this.outbox = new Outbox(
      this.meterStore,
      client,
      {
        flushIntervalMs: config.usage.flushIntervalMs,
        maxBatch: config.usage.maxBatch,
        retryBaseMs: 250,
        retryMaxMs: config.usage.retryMaxMs,
        customerWritesPerMinute: unpaced ? Number.POSITIVE_INFINITY : config.usage.customerWritesPerMinute,
        bulkCallsPerMinute: unpaced ? Number.POSITIVE_INFINITY : config.usage.bulkCallsPerMinute,
        spill: config.usage.spillFile ? new SpillFile(config.usage.spillFile, config.environment) : null,
      },
      {
        acknowledged: (record, ack) => {
          if (ack?.currentUsage === null || ack?.currentUsage === undefined) return;
          // Stigg's count now includes these units: the cache takes it before the overlay shrinks by them.
          this.cache.applyUsage(record.customerId, record.resourceId, record.featureId, {
            currentUsage: ack.currentUsage,
            usagePeriodStart: ack.usagePeriodStart ? Date.parse(ack.usagePeriodStart) : null,
            usagePeriodEnd: ack.usagePeriodEnd ? Date.parse(ack.usagePeriodEnd) : null,
          });
        },
        flushed: (records) =>
          this.events.emit('usage.flushed', {
            records: records.length,
            units: records.reduce((n, r) => n + r.units, 0),
          }),
        dropped: (record, reason) => this.events.emit('usage.dropped', { record, reason }),
        failed: (error) => this.events.emit('error', error),
      },
      config.logger,
      this.deliveryLease,
    );
    this.meter = new UsageMeter({
      store: this.meterStore,
      reservationTtlMs: config.usage.reservationTtlMs,
      decide: (request, units) =>
        this.decideRaw({
          customerId: request.customerId,
          featureId: request.featureId,
          resourceId: request.resourceId,
          requestedUsage: units,
        }),
      committed: () => {
        this.usageWaiting = true;
        this.outbox.committed();
      },
    });
    if (!config.offline) {
      redisStore?.start();
      this.deliveryLease?.start();
      // Where timers end with the request that set them (Workers), usage goes out through backgroundWork().
      if (!runtime.requestScoped) this.outbox.start();
    }
    this.stream?.start();
    void this.fleetStream?.start();
  }

  /**
   * What Stigg's stream does here. Held for the fleet (`fleet` given), what it pushes is also written to the shared
   * level and then published to the other processes.
   */
  private streamHandlers(fleet: FleetStream | null): StreamHandlers {
    return {
      entitlements: (customerId, resourceId, list) => {
        const { entry, stored } = this.cache.applyPush(customerId, resourceId, toEntitlementSet(list));
        this.events.emit('updated', { customerId, resourceId, kind: 'entitlements' });
        if (fleet) void stored.then(() => fleet.send({ k: 'set', c: customerId, r: resourceId, e: entry }));
      },
      usage: (e) => this.usageChanged(e, fleet),
      packagePublished: () => this.resetAll(fleet),
      reconnected: () => this.resetAll(fleet),
      state: (state, detail) => {
        if (state === 'connected') this.counters.streamConnects += 1;
        if (state === 'disconnected') this.counters.streamDisconnects += 1;
        // The first connection of a new holder: what changed since the former holder's last message is unknown.
        if (fleet && state === 'connected' && detail.reconnects === 0) this.resetAll(fleet);
        if (fleet) return fleet.holderState(state);
        this.setStreamState(state, detail);
      },
    };
  }

  private resetAll(fleet: FleetStream | null): void {
    this.cache.invalidateAll();
    if (fleet) void fleet.send({ k: 'reset' });
  }

  private setStreamState(
    state: StreamState,
    detail: { reconnects: number; reason?: string } = { reconnects: 0 },
  ): void {
    this.streamState = state;
    this.cache.streamConnected = state === 'connected';
    this.events.emit('stream', state, detail);
  }

  private newFleetStream(
    redis: NonNullable<Config['fleet']['redis']>,
    pubSub: NonNullable<Config['fleet']['pubSub']>,
  ): FleetStream {
    const env = this.config.environment;
    const leaseTtlMs = this.config.usage.leaseTtlMs;
    const lease = new RedisLease(
      redis,
      { lease: `tollgate:v2:{${env}}:lease:stream`, fence: `tollgate:v2:{${env}}:fence:stream` },
      'fleet stream',
      {
        ttlMs: leaseTtlMs,
        renewMs: Math.max(100, leaseTtlMs / 3),
        timeoutMs: this.config.usage.redisTimeoutMs,
      },
      this.config.logger,
    );
    const fleet: FleetStream = new FleetStream(
      lease,
      pubSub,
      `tollgate:v2:{${env}}:fleet`,
      Math.max(100, leaseTtlMs / 3),
      this.config.usage.redisTimeoutMs,
      {
        openStream: () => new StiggStream(this.config, this.streamHandlers(fleet)),
        entitlements: (customerId, resourceId, entry) => {
          this.cache.applyPushHere(customerId, resourceId, entry);
          this.events.emit('updated', { customerId, resourceId, kind: 'entitlements' });
        },
        usage: (customerId, resourceId, featureId, patch) => {
          void this.cache.applyUsage(customerId, resourceId, featureId, patch, false);
          this.events.emit('updated', { kind: 'usage', customerId, resourceId, featureId, ...patch });
        },
        reset: () => this.cache.invalidateAll(),
        state: (state) => this.setStreamState(state),
      },
      this.config.logger,
    );
    return fleet;
  }

  /**
   * Resolves when Stigg has accepted the API key and the stream is connected (or up to 5 s have passed without it;
   * decisions then revalidate by age until it connects). Rejects with `UNAUTHENTICATED` for a bad key, with
   * `UNAVAILABLE` when Stigg cannot be reached within `readyTimeoutMs` (it keeps trying until then), and with `CONFIG_INVALID` when the Redis
   * for usage evicts keys. Node stays alive while it is awaited.
   */
  async ready(): Promise<void> {
    if (this.config.offline) return;
    await this.checkMeterRedis();
    // Bounded by readyTimeoutMs, and every timer awaited here is ref'd (the stream's and the outbox's are not):
    // Node must not exit under a caller waiting for Stigg, whatever Stigg is doing.
    // A Stigg that cannot be reached is tried again until the timeout (a deploy during a short outage still starts).
    const started = Date.now();
    const deadline = started + this.config.readyTimeoutMs;
    const giveUp = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let lastFailure: TollgateError | null = null;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        giveUp.abort();
        reject(
          lastFailure ??
            new TollgateError('UNAVAILABLE', `no answer within ${this.config.readyTimeoutMs} ms`, { retryable: true }),
        );
      }, this.config.readyTimeoutMs);
    });
    try {
      await Promise.race([this.client.checkKey(giveUp.signal, { failed: (err) => (lastFailure = err) }), expired]);
    } catch (raw) {
      const err = toTollgateError(raw, 'GetSdkConfiguration');
      if (err.code !== 'UNAVAILABLE') throw err;
      const where = new URL(this.config.graphqlUrl);
      where.username = where.password = where.search = '';
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      throw new TollgateError(
        'UNAVAILABLE',
        `Stigg could not be reached at ${where.href} (tried for ${seconds} s): ${err.message}`,
        {
          cause: err,
          retryable: true,
          status: err.status,
        },
      );
    } finally {
      clearTimeout(timer);
      giveUp.abort();
      expired.catch(() => {});
    }
    const wait = Math.min(STREAM_READY_WAIT_MS, deadline - Date.now());
    await (this.fleetStream ? this.fleetStream.waitForLive(wait) : this.stream?.waitForConnection(wait));
  }

  /**
   * A Redis that evicts keys (`maxmemory-policy allkeys-*`) would drop committed usage without a trace: the meter
   * refuses it (`ready()` rejects with CONFIG_INVALID), or with `usage.evictingRedis: 'memory'` logs an error and
   * meters in process memory instead.
   */
  private async checkMeterRedis(): Promise<void> {
    if (!this.redisMeter) return;
    const eviction = await this.redisMeter.evictionPolicy();
    if (!eviction?.evicts) return;
    const why = `the Redis given for usage evicts keys (maxmemory-policy ${eviction.policy}), so committed usage could be lost; use a Redis with maxmemory-policy noeviction (or volatile-*) for usage.redis`;
    if (this.config.usage.evictingRedis === 'fail')
      throw new ConfigError(`${why}, or set usage.evictingRedis: 'memory'`);
    this.config.logger.error(`tollgate: ${why}; metering in process memory instead (usage.evictingRedis: 'memory')`);
    this.redisMeter.disable();
    await this.deliveryLease?.stop();
  }

  /**
   * May this customer use this feature? Synchronous on a cache hit (the in-process level: no promise, no Keyv);
   * a promise when it has to ask the shared cache or Stigg. Never rejects for Stigg's or Redis' trouble: the
   * decision then comes from stale data (`isStale`) or the fallback (`isFallback`, reason `Unknown`).
   */
  check(request: CheckRequest): Decision | Promise<Decision> {
    return this.checkWith(request, false);
  }

  /** `check` for a guard, whose resolvers' ids were checked already (`resolved` in http/guard.ts). */
  [CHECK_RESOLVED](request: CheckRequest): Decision | Promise<Decision> {
    return this.checkWith(request, true);
  }

  private checkWith(request: CheckRequest, idsChecked: boolean): Decision | Promise<Decision> {
    if (this.telemetry !== null) return this.checkMeasured(request, this.telemetry, idsChecked);
    const decision = this.decideRaw(request, idsChecked);
    return decision instanceof Promise
      ? decision.then((d) => this.finish(this.withOverlay(d, request), request))
      : this.finish(this.withOverlay(decision, request), request);
  }

  /** `check` while an instrumenter is attached: the same decision, timed and told to it. */
  private checkMeasured(
    request: CheckRequest,
    telemetry: TelemetrySink,
    idsChecked: boolean,
  ): Decision | Promise<Decision> {
    const started = performance.now();
    const decision = this.decideRaw(request, idsChecked);
    const told = (d: Decision, waited: boolean) => {
      const final = this.finish(this.withOverlay(d, request), request);
      this.tell(telemetry, final, request, started, waited, 'check');
      return final;
    };
    return decision instanceof Promise ? decision.then((d) => told(d, true)) : told(decision, false);
  }

  private tell(
    telemetry: TelemetrySink,
    decision: Decision,
    request: CheckRequest,
    started: number,
    waited: boolean,
    kind: DecisionKind,
  ): void {
    const source = decision.isFallback ? 'fallback' : decision.isStale ? 'stale' : waited ? 'miss' : 'hit';
    telemetry.decided(decision, request, (performance.now() - started) / 1000, source, kind);
  }

  /**
   * A new usage of one feature, from Stigg (its stream, or its answer to `reportUsage`): into the cache here and in
   * the shared level, told to listeners, and passed to the fleet's other processes.
   */
  private usageChanged(
    e: {
      customerId: string;
      resourceId?: string | null;
      featureId: string;
      currentUsage: number;
      usagePeriodStart: number | null;
      usagePeriodEnd: number | null;
    },
    fleet: FleetStream | null,
  ): void {
    const resourceId = e.resourceId ?? null;
    const patch = {
      currentUsage: e.currentUsage,
      usagePeriodStart: e.usagePeriodStart,
      usagePeriodEnd: e.usagePeriodEnd,
    };
    const stored = this.cache.applyUsage(e.customerId, resourceId, e.featureId, patch);
    this.events.emit('updated', {
      kind: 'usage',
      customerId: e.customerId,
      resourceId,
      featureId: e.featureId,
      ...patch,
    });
    if (fleet)
      void stored.then(() => fleet.send({ k: 'usage', c: e.customerId, r: resourceId, f: e.featureId, p: patch }));
  }

  /**
   * Reports usage to Stigg now and answers the new usage: `DELTA` (default) adds `value`, negative for features that
   * go down (seats); `SET` sets it. Paced with the outbox under Stigg's per-customer write limit (a customer written
   * 30 times a minute waits its turn), sent again after a lost answer with the same idempotency key (applied once),
   * and the new usage goes into the cache at once: the next decision follows. Metered requests (`enter`/guards)
   * need not call it; their usage is delivered in the background.
   */
  async reportUsage(input: ReportUsageInput): Promise<UsageReportAck> {
    const problem = reportUsageProblem(input);
    if (problem) throw new TollgateError('INVALID_REQUEST', `reportUsage: ${problem}`);
    if (this.closed) throw new TollgateError('CLOSED', 'Tollgate is closed');
    const usage = {
      customerId: input.customerId,
      resourceId: input.resourceId ?? null,
      featureId: input.featureId,
      value: input.value,
      updateBehavior: input.updateBehavior ?? 'DELTA',
      idempotencyKey: input.idempotencyKey ?? crypto.randomUUID(),
    };
    const ack = await this.outbox.pacedWrite(usage.customerId, (refused) =>
      this.client.reportUsage(usage, (err) => err.code === 'RATE_LIMITED' && refused()),
    );
    const currentUsage = ack.currentUsage ?? 0;
    this.usageChanged(
      {
        ...usage,
        currentUsage,
        usagePeriodStart: ack.usagePeriodStart ? Date.parse(ack.usagePeriodStart) : null,
        usagePeriodEnd: ack.usagePeriodEnd ? Date.parse(ack.usagePeriodEnd) : null,
      },
      this.fleetStream,
    );
    return {
      measurementId: ack.id,
      customerId: ack.customerId,
      featureId: usage.featureId,
      resourceId: ack.resourceId ?? null,
      currentUsage,
      usagePeriodStart: ack.usagePeriodStart,
      usagePeriodEnd: ack.usagePeriodEnd,
      timestamp: ack.timestamp,
    };
  }

  /**
   * A metered request's first step: checks and reserves `units` (default 1), counting everything reserved and not
   * yet reported, so concurrent requests never overshoot the limit. Call `settle` after the handler: committed
   * usage is reported to Stigg once, in the background; released usage is never reported.
   */
  async enter(request: EnterRequest): Promise<MeteredRequest> {
    return this[ENTER_AT_ONCE](request);
  }

  /**
   * `enter`, answered at once when it can be (a cache hit, units reserved in process): the guards' path, with no
   * promise before the handler. Throws what `enter` rejects with.
   * @internal
   */
  [ENTER_AT_ONCE](request: EnterRequest): MaybePromise<MeteredRequest> {
    if (this.closed) {
      // Usage can no longer be counted: the request is refused as "unavailable", never an error (a 500).
      const fallback = this.fallback(
        { ...request, requestedUsage: request.units ?? 1 },
        new TollgateError('CLOSED', 'Tollgate is closed'),
      );
      const decision: Decision = { ...fallback, hasAccess: false };
      return { decision, allowed: false, duplicate: false, replay: null, inFlight: false, settle: () => SETTLED };
    }
    const telemetry = this.telemetry;
    const started = telemetry === null ? 0 : performance.now();
    const waited = telemetry !== null && !this.answersFromMemory(request);
    return andThen(this.meter.enter(request), (metered) => {
      const { decision } = metered;
      // Told only where someone listens (events, telemetry) or it counts (denials): no copy of the request otherwise.
      if (!decision.hasAccess || this.events.observed || telemetry !== null) {
        const checked = { ...request, requestedUsage: request.units ?? 1 };
        this.finish(decision, checked);
        if (telemetry !== null) this.tell(telemetry, decision, checked, started, waited, 'metered');
      }
      return metered;
    });
  }

  /** Whether the in-process cache answers this request now (as `decideRaw` decides it). */
  private answersFromMemory(request: { customerId: string; resourceId?: string | null }): boolean {
    const hit = this.cache.lookup(this.cache.key(request.customerId, request.resourceId ?? null), this.hitClock.now());
    return !!hit && (hit.fresh || (!runtime.requestScoped && hit.ageMs <= this.config.cache.maxStaleMs));
  }

  /** The decision from cached or fetched data, before the local usage overlay. */
  private decideRaw(request: CheckRequest, idsChecked = false): Decision | Promise<Decision> {
    if (
      typeof request?.customerId !== 'string' ||
      request.customerId === '' ||
      typeof request.featureId !== 'string' ||
      request.featureId === ''
    ) {
      throw new TollgateError('INVALID_REQUEST', 'check needs a non-empty customerId and featureId');
    }
    const invalid = idsChecked
      ? null
      : (idProblem(request.customerId) ?? (request.resourceId == null ? null : idProblem(request.resourceId)));
    if (invalid)
      throw new TollgateError(
        'INVALID_REQUEST',
        `check: ${idProblem(request.customerId) ? 'customerId' : 'resourceId'} ${invalid}`,
      );
    this.counters.checks += 1;
    if (this.config.offline) return this.fallback(request, null);
    if (this.closed) return this.fallback(request, new TollgateError('CLOSED', 'Tollgate is closed'));
    const resourceId = request.resourceId ?? null;
    const key = this.cache.key(request.customerId, resourceId);
    const now = this.hitClock.now();
    const hit = this.cache.lookup(key, now);
    if (hit && !hit.fresh && runtime.requestScoped && hit.ageMs <= this.config.cache.maxStaleMs)
      return this.revalidateHere(key, request, hit);
    if (hit && (hit.fresh || hit.ageMs <= this.config.cache.maxStaleMs)) {
      this.counters.cacheHits += 1;
      if (!hit.fresh) {
        this.counters.staleServed += 1;
        this.cache.revalidate(key, request.customerId, resourceId);
      }
      return decide(hit.entry.set, request, now, hit.ageMs, !hit.fresh);
    }
    this.counters.cacheMisses += 1;
    const load = (failed?: (error: TollgateError) => void) =>
      this.cache.load(key, request.customerId, resourceId).then(
        (entry) => {
          const at = Date.now();
          // An older shared copy served because Stigg could not be asked is marked stale.
          return decide(
            entry.set,
            request,
            at,
            Math.max(0, at - entry.validatedAt),
            entry.validatedAt > 0 && !this.cache.fresh(entry, at),
          );
        },
        (err: unknown) => {
          const error = toTollgateError(err, 'GetEntitlements');
          failed?.(error);
          return this.fallback(request, error);
        },
      );
    return this.telemetry === null ? load() : this.telemetry.missed(request, load);
  }

  /**
   * A stale entry where work does not outlive its request (Workers): revalidated within the request rather than
   * behind it (a load left running after the response would be stopped, and whoever waited on it would wait
   * forever). Served, marked stale, when Stigg cannot answer.
   */
  private revalidateHere(key: string, request: CheckRequest, stale: Lookup): Promise<Decision> {
    this.counters.cacheMisses += 1;
    const load = () =>
      this.cache.load(key, request.customerId, request.resourceId ?? null).then(
        (entry) => {
          const at = Date.now();
          const isStale = entry.validatedAt > 0 && !this.cache.fresh(entry, at);
          return decide(entry.set, request, at, Math.max(0, at - entry.validatedAt), isStale);
        },
        (err: unknown) => {
          this.counters.staleServed += 1;
          this.counters.revalidationFailures += 1;
          const cause = toTollgateError(err, 'GetEntitlements').message;
          this.config.logger.debug?.(`tollgate: Stigg could not confirm a cached entry; served stale: ${cause}`);
          return decide(stale.entry.set, request, Date.now(), stale.ageMs, true);
        },
      );
    return this.telemetry === null ? load() : this.telemetry.missed(request, load);
  }

  /** Units reserved or committed here and not yet in Stigg's count make a metered decision stricter. */
  private withOverlay(decision: Decision, request: CheckRequest): Decision {
    if (decision.currentUsage === null || decision.isFallback) return decision;
    const overlay = this.meterStore.localOverlay({
      customerId: request.customerId,
      resourceId: request.resourceId ?? null,
      featureId: request.featureId,
    });
    if (overlay === 0) return decision;
    const currentUsage = decision.currentUsage + overlay;
    const over = decision.hasAccess && !fitsLimit(currentUsage, decision.requestedUsage, enforcedLimit(decision));
    return over
      ? { ...decision, currentUsage, hasAccess: false, reason: 'RequestedUsageExceedingLimit' }
      : { ...decision, currentUsage };
  }

  /** A customer's (or resource's) entitlements by feature id, through the cache. Rejects when Stigg cannot be asked. */
  async getEntitlements(customerId: string, resourceId?: string | null): Promise<Record<string, CachedEntitlement>> {
    const key = this.cache.key(customerId, resourceId ?? null);
    const hit = this.cache.lookup(key, Date.now());
    if (hit?.fresh) return hit.entry.set.entitlements;
    try {
      return (await this.cache.load(key, customerId, resourceId ?? null)).set.entitlements;
    } catch (err) {
      throw toTollgateError(err, 'GetEntitlements');
    }
  }

  /** Counters since start, and the cache's and stream's state now. */
  metrics(): Metrics & {
    cacheEntries: number;
    l2Errors: number;
    l2Available: boolean;
    stream: StreamState;
    usage: {
      bulkCalls: number;
      recordsSent: number;
      unitsDelivered: number;
      failedCalls: number;
      /** Calls Stigg refused for a rate limit (their units were merged into the next records). */
      rateLimited: number;
      unitsDropped: number;
      inflight: number;
      /** Time from a commit to Stigg's acknowledgement over recent deliveries, ms. */
      lagMs: { p50: number | null; p99: number | null; samples: number };
      /** With Redis: whether this process delivers the fleet's usage now (holds the delivery lease). */
      deliveryLeader: boolean;
      /** Meter calls Redis refused for lack of memory (their units were delivered from this process). */
      redisOutOfMemory: number;
      /**
       * Units not counted because another request with the same idempotency key was counted first (one metered in
       * process while Redis was down, whose client's retry was answered by another process).
       */
      duplicateUnits: number;
      /** Units whose commit Redis never confirmed for minutes: they reach Stigg only if Redis applied them. */
      unconfirmedUnits: number;
      /** Allowance leases (`usage.allowanceLeases`): blocks held now, their units not spent yet, blocks granted so far. */
      leases: { blocks: number; unitsHeld: number; grants: number };
    };
    /** The fleet: who holds Stigg's stream, and what passes between the processes. */
    fleet: {
      /** `holder`: this process holds the fleet's stream; `follower`: another does; or each process has its own, or none. */
      streamRole: 'holder' | 'follower' | 'every-instance' | 'off';
      /** Times this process took or gave up the fleet's stream. */
      streamLeaseChanges: number;
      /** Messages from the stream's holder applied here, and their lag (publish to apply), ms. */
      messages: number;
      messageLagMs: { p50: number | null; p99: number | null; samples: number };
      /** Reads that waited for the read budget, and reads it refused (answered stale or by the fallback). */
      budgetWaits: number;
      budgetRefusals: number;
    };
  } {
    return {
      ...this.counters,
      cacheEntries: this.cache.size,
      l2Errors: this.cache.l2Errors,
      l2Available: this.cache.l2Available,
      stream: this.streamState,
      usage: {
        ...this.outbox.stats,
        unitsDropped: this.meterStore.dropped,
        inflight: this.meter.inflight,
        lagMs: this.outbox.lag.snapshot(),
        deliveryLeader: this.deliveryLease ? this.deliveryLease.held : !this.config.offline,
        redisOutOfMemory: this.redisMeter?.outOfMemory ?? 0,
        duplicateUnits: this.redisMeter?.duplicateUnits ?? 0,
        unconfirmedUnits: this.redisMeter?.unconfirmedUnits ?? 0,
        leases: this.redisMeter?.leaseFigures() ?? { blocks: 0, unitsHeld: 0, grants: 0 },
      },
      fleet: {
        streamRole: this.fleetStream ? this.fleetStream.role : this.stream ? 'every-instance' : 'off',
        streamLeaseChanges: this.fleetStream?.leaseChanges ?? 0,
        messages: this.fleetStream?.messages ?? 0,
        messageLagMs: this.fleetStream?.lag.snapshot() ?? { p50: null, p99: null, samples: 0 },
        budgetWaits: this.readBudget.waited,
        budgetRefusals: this.readBudget.refused,
      },
    };
  }

  /**
   * Delivers committed usage (for up to `usage.drainTimeoutMs`), stops the stream, waits for running fetches (until
   * the same deadline).
   * Says what became of the usage: delivered, persisted in Redis for the next process, or dropped.
   * The Keyv store and Redis client stay open: they are the caller's.
   */
  close(): Promise<DrainReport> {
    this.drained ??= (async () => {
      this.closed = true;
      const deadline = Date.now() + this.config.usage.drainTimeoutMs;
      await this.meter.idle(deadline); // requests already entered settle (and commit) first
      const report = this.config.offline
        ? { delivered: 0, persisted: 0, dropped: 0 }
        : await this.outbox.drain(deadline);
      await this.deliveryLease?.stop(); // another process takes delivery over at once
      this.redisMeter?.stop();
      this.hitClock.stop?.();
      await this.stream?.stop();
      await this.fleetStream?.stop();
      // Reads still running (a stalled Stigg) are waited for until the deadline, not beyond it.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.cache.settle(),
        new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
      this.cache.clear();
      if (report.dropped > 0)
        this.config.logger.error(
          `tollgate: ${report.dropped} units of usage could not be delivered to Stigg before close`,
        );
      this.telemetry?.closed(report);
      return report;
    })();
    return this.drained;
  }

  private readonly warned = new Set<string>();

  /** Logs a warning once per distinct message (a misconfiguration seen on every request is said once). */
  warnOnce(message: string): void {
    if (this.warned.has(message) || this.warned.size >= 100) return;
    this.warned.add(message);
    this.config.logger.warn(message);
  }

  /** Forgets what is cached for a customer (the test double calls it when a test changes a grant). */
  async forgetCustomer(customerId: string): Promise<void> {
    await this.cache.dropCustomer(customerId);
  }

  /** Reports committed usage now rather than at the next interval. */
  flushUsage(): Promise<void> {
    return this.outbox.flush();
  }

  /**
   * Whether this runtime stops a request's work once its response is sent (Cloudflare Workers) and work is waiting
   * that the request must hand to its `waitUntil`: committed usage not yet delivered. Always false on Node, Bun and
   * Deno. Cheap: adapters check it after every metered request before they look for a `waitUntil`.
   */
  get hasBackgroundWork(): boolean {
    return runtime.requestScoped && this.usageWaiting;
  }

  /**
   * Delivers the usage committed so far, paced as usual (what the pacing holds back goes as soon as it allows),
   * for at most 30 s less one Stigg call's time (`timeoutMs`) and a margin; a promise that never rejects. On
   * runtimes that stop a request's work once its response is sent (Cloudflare Workers), hand it to the request
   * that committed the usage: `ctx.waitUntil(tollgate.backgroundWork())` (`@tollgate/hono` does it itself). On
   * Node, Bun and Deno usage is delivered on an interval; calling this there delivers it now.
   */
  backgroundWork(): Promise<void> {
    if (this.config.offline || this.closed || (!this.usageWaiting && this.delivery === null)) return Promise.resolve();
    this.usageWaiting = false;
    const now = Date.now();
    const window = Math.max(1_000, WAIT_UNTIL_LIMIT_MS - this.config.timeoutMs - WAIT_UNTIL_MARGIN_MS);
    // A delivery that runs on for most of a window is joined; one near its end is not (what this request committed
    // could be left when it stops), and a new one starts, owned by this request.
    if (this.delivery === null || this.delivery.until - now < window / 2) {
      const delivery: { done: Promise<void>; until: number } = {
        until: now + window,
        done: this.deliverUntil(now + window).finally(() => {
          if (this.delivery === delivery) this.delivery = null;
        }),
      };
      this.delivery = delivery;
    }
    return this.delivery.done;
  }

  /** Delivers what is committed in this process until none is left, or until `deadline` (then a later call goes on). */
  private async deliverUntil(deadline: number): Promise<void> {
    try {
      while (!this.closed) {
        await this.outbox.flush();
        if ((await this.meterStore.pendingUnits(false)).local === 0) return;
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, Math.min(BACKGROUND_POLL_MS, deadline - Date.now())));
      }
    } catch (err) {
      this.config.logger.error(`tollgate: delivering usage in the background failed: ${(err as Error).message}`);
    }
    if (!this.closed) this.usageWaiting = true; // left for the next request's background work
  }

  /**
   * Attaches a telemetry sink, or detaches it (`null`): what `instrumentTollgate` from
   * `@tollgate/core/opentelemetry` calls. One at a time.
   * @internal
   */
  [INSTRUMENT](sink: TelemetrySink | null): TelemetrySource {
    if (sink !== null && this.telemetry !== null)
      throw new ConfigError('this Tollgate is instrumented already: stop() the first instrumentation before another');
    this.telemetry = sink;
    this.client.telemetry = sink;
    this.outbox.telemetry = sink;
    return { pendingUnits: async () => (await this.meterStore.pendingUnits(false)).local };
  }

  private finish(decision: Decision, request: CheckRequest): Decision {
    if (!decision.hasAccess) {
      this.counters.denied += 1;
      if (this.events.observed) this.events.emit('denied', decision, request);
    }
    if (this.events.observed) this.events.emit('decision', decision, request);
    return decision;
  }

  private fallback(request: CheckRequest, cause: TollgateError | null): Decision {
    this.counters.fallbacks += 1;
    const f = this.config.fallback[request.featureId];
    const decision: Decision = {
      hasAccess: f ? f.hasAccess : this.config.onUnavailable === 'allow',
      reason: 'Unknown',
      featureId: request.featureId,
      featureType: null,
      usageLimit: f?.usageLimit ?? null,
      currentUsage: null,
      requestedUsage: request.requestedUsage ?? 0,
      isUnlimited: f?.isUnlimited ?? false,
      hasSoftLimit: false,
      resetsAt: null,
      enumValues: f?.enumValues ?? null,
      isFallback: true,
      isStale: false,
      ageMs: 0,
    };
    if (cause) {
      this.config.logger.debug?.(`tollgate: fallback for ${request.featureId}: ${cause.message}`);
      this.events.emit('error', cause);
    }
    if (this.events.listenerCount('fallback') > 0) this.events.emit('fallback', decision, request, cause);
    return decision;
  }
}

/** Creates the client. Throws `ConfigError` for missing or invalid options. */
export function createTollgate(options: Options): Tollgate {
  return new Tollgate(options);
}
