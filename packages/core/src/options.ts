import { ConfigError } from './errors.js';
import { runtime } from '#runtime';
import { pubSubOf, pubSubOfClient, type PubSub } from './fleet/pubsub.js';
import type { LeaseSettings } from './usage/allowance-leases.js';
import { readyClient, redisOfClient, usableRedis, type RedisLike } from './usage/redis-meter-store.js';
import { toHex } from './util/byte-encoding.js';
import { sha256 } from './util/sha256.js';

/** The Redis client behind a Keyv store that is @keyv/redis (connected on first use), or null. */
function clientOfStore(store: KeyvLike | undefined): (() => Promise<RedisLike>) | null {
  const adapter = (store as { store?: { getClient?: () => Promise<RedisLike> } } | undefined)?.store;
  if (typeof adapter?.getClient !== 'function') return null;
  return () => adapter.getClient!();
}

function redisOfStore(store: KeyvLike | undefined): RedisLike | null {
  const client = clientOfStore(store);
  return client ? redisOfClient(client) : null;
}

/** Where Tollgate writes what it has to say. `debug` is called only with `debug: true`. Never given the API key. */
export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The part of a Keyv instance Tollgate uses as its second cache level: `get`, `set` and `delete`, nothing else. */
export interface KeyvLike {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ttl?: number): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  on?(event: 'error', listener: (err: unknown) => void): unknown;
}

/** What a feature answers when Stigg cannot be asked and nothing usable is cached. */
export interface FallbackEntitlement {
  hasAccess: boolean;
  usageLimit?: number;
  isUnlimited?: boolean;
  enumValues?: string[];
}

/** Who holds Stigg's stream: one process of the fleet, or each process. */
export type StreamMode = 'fleet' | 'every-instance';

export interface Options {
  /** Stigg server API key (`server-...`). Required unless `offline`. Never logged. */
  apiKey?: string;
  /** Stigg API base; GraphQL at `/graphql`, stream at `ws(s)://.../graphql`. Default `https://api.stigg.io`. */
  baseUrl?: string;
  /** No network at all: every decision comes from `fallback`. Default false. */
  offline?: boolean;
  cache?: {
    /** Second level shared by processes: any Keyv instance (`new Keyv(new KeyvRedis(url))`). Default none (in-process only). */
    store?: KeyvLike;
    /** Most customers (or resources) kept in process. Default 10,000. */
    maxEntries?: number;
    /** Most bytes kept in process (JSON size of entries). Default 64 MiB. */
    maxBytes?: number;
    /** How long an entry is trusted while the stream is connected. Default 10 minutes. */
    freshForMs?: number;
    /** How long an entry is trusted while the stream is down (bounds staleness). Default 30 seconds. */
    freshForWhileDisconnectedMs?: number;
    /** Oldest entry served (marked stale) when Stigg cannot be reached. Default 10 minutes. */
    maxStaleMs?: number;
    /** Longest wait for the second level before going on without it. Default 100 ms. */
    storeTimeoutMs?: number;
    /** After a second-level failure, skip it for this long. Default 5 seconds. */
    storeRetryAfterMs?: number;
  };
  /**
   * Stigg's realtime stream keeps the cache fresh; `false` turns it off. `'fleet'` (the default with a shared
   * Redis): one process of the fleet at a time holds the stream and passes what it pushes to the others over Redis
   * pub/sub; `'every-instance'` (the default without Redis): each process opens its own. Or the settings below,
   * with `mode`. Off on runtimes where a connection lasts only as long as a request (Cloudflare Workers): entries
   * are then revalidated by age (`cache.freshForWhileDisconnectedMs`).
   */
  stream?:
    | false
    | StreamMode
    | {
        mode?: StreamMode;
        /** Ping interval. Default 10 seconds. */
        keepAliveMs?: number;
        /** A ping not answered within this declares the connection dead. Default 5 seconds. */
        pongTimeoutMs?: number;
        /** Reconnect backoff base and cap (full jitter). Defaults 500 ms and 30 seconds. */
        reconnectBaseMs?: number;
        reconnectMaxMs?: number;
      };
  /** Metered usage: reservations, the outbox that reports to Stigg, and its durability. */
  usage?: {
    /**
     * Redis client (node-redis) for reservations and a durable outbox shared by processes. Default: the Redis
     * client of `cache.store` when it is @keyv/redis; otherwise process memory. `false` forces process memory.
     */
    redis?: RedisLike | false;
    /** A delivery pass runs this often (each customer is still written no more than its pacing allows). Default 1 second. */
    flushIntervalMs?: number;
    /** A delivery pass starts early once this many commits wait. Default 100. */
    maxBatch?: number;
    /**
     * Most writes to one customer (one `reportUsageBulk` call naming it, whatever it carries) per minute, for the
     * whole fleet. Stigg allows 30; the default, 20, keeps a margin. Writes are spaced evenly (3 s at the default).
     */
    customerWritesPerMinute?: number;
    /** Most `reportUsageBulk` calls per minute, for the whole fleet. Stigg allows 600; default 500. */
    bulkCallsPerMinute?: number;
    /**
     * With Redis, one process at a time delivers the fleet's usage, holding a lease in Redis; when it dies, another
     * takes over within about this long. Default 5 seconds.
     */
    leaseTtlMs?: number;
    /**
     * What to do when the Redis for usage evicts keys (`maxmemory-policy allkeys-*`), checked by `ready()`:
     * `'fail'` (default) rejects; `'memory'` logs an error and meters in process memory.
     */
    evictingRedis?: 'fail' | 'memory';
    /**
     * A reservation not settled within this is released (its request hung). Default 60 seconds. With Redis, a
     * process renews its reservations while their requests run, so those of a process that died are released
     * within 10 seconds.
     */
    reservationTtlMs?: number;
    /** How long `close()` keeps trying to deliver. Default 10 seconds. */
    drainTimeoutMs?: number;
    /**
     * A file where `close()` keeps the usage it could not deliver nor hand to Redis by its deadline (Stigg and Redis
     * both unreachable); the next process started with the same path reads it, deletes it and delivers it. One file
     * per process slot, on a volume that outlives the process. Default: none (such usage is dropped and reported).
     * Needs a file system (Node, Bun, Deno): ignored, with a warning, elsewhere.
     */
    spillFile?: string;
    /** Longest wait between failed deliveries (capped jittered backoff). Default 30 seconds. */
    retryMaxMs?: number;
    /**
     * Longest wait for a Redis meter call. Past it (or on an error) metering goes on in process memory, where
     * limits hold per process only, until Redis answers again. Default 2 seconds.
     */
    redisTimeoutMs?: number;
    /**
     * Allowance leases (with Redis): a process takes a block of a counter's remaining allowance in one atomic call
     * and spends it on its requests without a Redis call each; commits of concurrent requests are written together
     * (one call per counter per write, each request answered once its write is done). Blocks shrink with the
     * allowance left (`share` of it, at most `maxUnits`), down to one request's units near the limit, so the fleet
     * never goes past it; unused units go back when a block idles (`idleMs`), at close, and, if its process dies,
     * within `ttlMs`. Requests with an idempotency key are metered one by one, as without leases. `true` for the
     * defaults: `{ maxUnits: 100, share: 0.1, ttlMs: 10_000, idleMs: 1_000 }`. Default off.
     */
    allowanceLeases?: boolean | { maxUnits?: number; share?: number; ttlMs?: number; idleMs?: number };
  };
  /**
   * A fleet of processes sharing Redis: one Stigg stream for all (see `stream`), one Stigg read per customer at a
   * time for all (the others wait for it in the shared level), and one read budget for all.
   */
  fleet?: {
    /**
     * The Redis the fleet coordinates through (a node-redis client). Default: the Redis client of `cache.store`
     * when it is @keyv/redis, else `usage.redis`. `false`: each process on its own.
     */
    redis?: RedisLike | false;
    /**
     * Entitlement reads sent to Stigg per minute by the whole fleet (Stigg allows 6,000 per API key, counted across
     * every caller). Above it, stale entries are served and cold ones wait (`coldReadWaitMs`) or take the fallback.
     * Without Redis, per process. Default 5,000.
     */
    readsPerMinute?: number;
    /** Longest a check of an uncached customer waits for another process's read or for the read budget. Default 2 s. */
    coldReadWaitMs?: number;
  };
  /** Per-feature answers used when Stigg is unreachable and nothing usable is cached. */
  fallback?: Record<string, FallbackEntitlement>;
  /** Without a fallback for the feature: `deny` (default) or `allow`. Either way the decision says `isFallback`. */
  onUnavailable?: 'deny' | 'allow';
  /** Per-attempt timeout of calls to Stigg. Default 10 seconds. */
  timeoutMs?: number;
  /** Attempts in all for calls safe to repeat. Default 3. */
  maxAttempts?: number;
  /** Longest `ready()` keeps trying to reach Stigg before rejecting with `UNAVAILABLE`. Default 30 seconds. */
  readyTimeoutMs?: number;
  /** Default: `console` for warnings and errors. */
  logger?: Logger;
  /** Log debug lines too. Default false. */
  debug?: boolean;
}

/** Options with every default applied; built once by `resolveConfig`. */
export interface Config {
  apiKey: string;
  offline: boolean;
  graphqlUrl: string;
  streamUrl: string;
  /** Stigg environment of the key, as a hash: namespaces cache keys without revealing the key. */
  environment: string;
  cache: Required<Omit<NonNullable<Options['cache']>, 'store'>> & { store: KeyvLike | null };
  stream: Required<Exclude<NonNullable<Options['stream']>, false | StreamMode>> | null;
  fleet: {
    redis: RedisLike | null;
    /** Pub/sub of the fleet's Redis (the fleet's stream needs it). */
    pubSub: PubSub | null;
    readsPerMinute: number;
    coldReadWaitMs: number;
  };
  usage: {
    redis: RedisLike | null;
    flushIntervalMs: number;
    maxBatch: number;
    reservationTtlMs: number;
    drainTimeoutMs: number;
    retryMaxMs: number;
    redisTimeoutMs: number;
    customerWritesPerMinute: number;
    bulkCallsPerMinute: number;
    leaseTtlMs: number;
    evictingRedis: 'fail' | 'memory';
    spillFile: string | null;
    /** Null: off. */
    allowanceLeases: LeaseSettings | null;
  };
  fallback: Record<string, FallbackEntitlement>;
  onUnavailable: 'deny' | 'allow';
  timeoutMs: number;
  maxAttempts: number;
  readyTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  logger: Logger;
}

function positive(name: string, value: number | undefined, fallback: number, logger: Logger): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    logger.warn(`tollgate: option ${name} must be a positive number, got ${JSON.stringify(value)}; using ${fallback}`);
    return fallback;
  }
  return value;
}

function leaseSettings(value: NonNullable<Options['usage']>['allowanceLeases'], logger: Logger): LeaseSettings | null {
  if (!value) return null;
  const o = value === true ? {} : value;
  let share = positive('usage.allowanceLeases.share', o.share, 0.1, logger);
  if (share > 1) {
    logger.warn(
      `tollgate: option usage.allowanceLeases.share is a share of what is left (at most 1), got ${share}; using 1`,
    );
    share = 1;
  }
  let ttlMs = positive('usage.allowanceLeases.ttlMs', o.ttlMs, 10_000, logger);
  if (ttlMs < 2_000) {
    logger.warn(
      `tollgate: option usage.allowanceLeases.ttlMs must be at least 2000 (renewed every third of it), got ${ttlMs}; using 2000`,
    );
    ttlMs = 2_000;
  }
  return {
    maxUnits: Math.max(1, Math.floor(positive('usage.allowanceLeases.maxUnits', o.maxUnits, 100, logger))),
    share,
    ttlMs,
    idleMs: positive('usage.allowanceLeases.idleMs', o.idleMs, 1_000, logger),
  };
}

/** Stigg's published limits are ceilings: a larger value would have Stigg refuse writes. */
function spillPath(value: unknown, logger: Logger): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && value.trim() !== '' && !runtime.files) {
    logger.warn(
      'tollgate: option usage.spillFile needs a file system, which this runtime does not have; usage left at close is not kept',
    );
    return null;
  }
  if (typeof value === 'string' && value.trim() !== '') return value;
  logger.warn(
    `tollgate: option usage.spillFile must be a file path, got ${JSON.stringify(value)}; usage left at close is not kept`,
  );
  return null;
}

function atMost(name: string, value: number, ceiling: number, logger: Logger): number {
  if (value <= ceiling) return value;
  logger.warn(`tollgate: option ${name} is above Stigg's limit of ${ceiling}; using ${ceiling}`);
  return ceiling;
}

/** Options -> config, in one place: required values throw, bad tunables warn once and take their default. */
export function resolveConfig(options: Options): Config {
  const base = options.logger ?? {
    warn: (m: string) => console.warn(m),
    error: (m: string) => console.error(m),
    info: (m: string) => console.info(m),
  };
  const logger: Logger = {
    ...base,
    debug: options.debug ? (base.debug ?? base.info ?? base.warn).bind(base) : undefined,
  };
  const offline = options.offline ?? false;
  const apiKey = options.apiKey ?? '';
  if (!offline && (typeof apiKey !== 'string' || apiKey.trim() === '')) {
    throw new ConfigError('apiKey is required (your Stigg server API key), unless offline: true');
  }
  let url: URL;
  try {
    url = new URL(options.baseUrl ?? 'https://api.stigg.io');
  } catch {
    throw new ConfigError(`baseUrl is not a URL: ${JSON.stringify(options.baseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`baseUrl must be http(s), got ${url.protocol}`);
  const root = url.href.replace(/\/+$/, '');
  const c = options.cache ?? {};
  const s = typeof options.stream === 'string' ? { mode: options.stream } : options.stream;
  if (s !== false && !offline && runtime.noStream !== null) {
    logger.warn(
      `tollgate: Stigg's stream is off: ${runtime.noStream}; cached entitlements are revalidated after cache.freshForWhileDisconnectedMs (pass stream: false to say so)`,
    );
  }
  if (s && s.mode !== undefined && s.mode !== 'fleet' && s.mode !== 'every-instance') {
    throw new ConfigError(
      `stream must be false, "fleet", "every-instance" or settings, got mode ${JSON.stringify(s.mode)}`,
    );
  }
  const usageRedis = options.usage?.redis === false ? null : (options.usage?.redis ?? redisOfStore(c.store));
  const f = options.fleet ?? {};
  const fleetRedis = f.redis === false ? null : f.redis ? usableRedis(f.redis) : (redisOfStore(c.store) ?? usageRedis);
  const storeClient = clientOfStore(c.store);
  const pubSub = !fleetRedis
    ? null
    : f.redis
      ? pubSubOfClient(f.redis)
      : storeClient
        ? pubSubOf(readyClient(storeClient))
        : pubSubOfClient(options.usage?.redis || null);
  let mode: StreamMode = (s ? s.mode : undefined) ?? (pubSub ? 'fleet' : 'every-instance');
  if (mode === 'fleet' && !pubSub) {
    logger.warn(
      'tollgate: stream mode "fleet" needs a shared Redis (cache.store on @keyv/redis, usage.redis or fleet.redis); each process opens its own stream',
    );
    mode = 'every-instance';
  }
  if (options.onUnavailable !== undefined && options.onUnavailable !== 'deny' && options.onUnavailable !== 'allow') {
    throw new ConfigError(`onUnavailable must be "deny" or "allow", got ${JSON.stringify(options.onUnavailable)}`);
  }
  for (const [featureId, f] of Object.entries(options.fallback ?? {})) {
    if (typeof f?.hasAccess !== 'boolean')
      throw new ConfigError(`fallback["${featureId}"].hasAccess must be a boolean`);
  }
  return {
    apiKey,
    offline,
    graphqlUrl: `${root}/graphql`,
    streamUrl: `${root.replace(/^http/, 'ws')}/graphql`,
    environment: toHex(sha256(`tollgate:${apiKey}`)).slice(0, 16),
    cache: {
      store: c.store ?? null,
      maxEntries: positive('cache.maxEntries', c.maxEntries, 10_000, logger),
      maxBytes: positive('cache.maxBytes', c.maxBytes, 64 * 1024 * 1024, logger),
      freshForMs: positive('cache.freshForMs', c.freshForMs, 10 * 60_000, logger),
      freshForWhileDisconnectedMs: positive(
        'cache.freshForWhileDisconnectedMs',
        c.freshForWhileDisconnectedMs,
        30_000,
        logger,
      ),
      maxStaleMs: positive('cache.maxStaleMs', c.maxStaleMs, 10 * 60_000, logger),
      storeTimeoutMs: positive('cache.storeTimeoutMs', c.storeTimeoutMs, 100, logger),
      storeRetryAfterMs: positive('cache.storeRetryAfterMs', c.storeRetryAfterMs, 5_000, logger),
    },
    stream:
      s === false || offline || runtime.noStream !== null
        ? null
        : {
            mode,
            keepAliveMs: positive('stream.keepAliveMs', s?.keepAliveMs, 10_000, logger),
            pongTimeoutMs: positive('stream.pongTimeoutMs', s?.pongTimeoutMs, 5_000, logger),
            reconnectBaseMs: positive('stream.reconnectBaseMs', s?.reconnectBaseMs, 500, logger),
            reconnectMaxMs: positive('stream.reconnectMaxMs', s?.reconnectMaxMs, 30_000, logger),
          },
    usage: {
      redis: usageRedis,
      flushIntervalMs: positive('usage.flushIntervalMs', options.usage?.flushIntervalMs, 1_000, logger),
      maxBatch: Math.round(positive('usage.maxBatch', options.usage?.maxBatch, 100, logger)),
      reservationTtlMs: positive('usage.reservationTtlMs', options.usage?.reservationTtlMs, 60_000, logger),
      drainTimeoutMs: positive('usage.drainTimeoutMs', options.usage?.drainTimeoutMs, 10_000, logger),
      retryMaxMs: positive('usage.retryMaxMs', options.usage?.retryMaxMs, 30_000, logger),
      redisTimeoutMs: positive('usage.redisTimeoutMs', options.usage?.redisTimeoutMs, 2_000, logger),
      customerWritesPerMinute: atMost(
        'usage.customerWritesPerMinute',
        positive('usage.customerWritesPerMinute', options.usage?.customerWritesPerMinute, 20, logger),
        30,
        logger,
      ),
      bulkCallsPerMinute: atMost(
        'usage.bulkCallsPerMinute',
        positive('usage.bulkCallsPerMinute', options.usage?.bulkCallsPerMinute, 500, logger),
        600,
        logger,
      ),
      leaseTtlMs: positive('usage.leaseTtlMs', options.usage?.leaseTtlMs, 5_000, logger),
      evictingRedis: options.usage?.evictingRedis === 'memory' ? 'memory' : 'fail',
      spillFile: spillPath(options.usage?.spillFile, logger),
      allowanceLeases: leaseSettings(options.usage?.allowanceLeases, logger),
    },
    fleet: {
      redis: offline ? null : fleetRedis,
      pubSub: offline ? null : pubSub,
      readsPerMinute: positive('fleet.readsPerMinute', f.readsPerMinute, 5_000, logger),
      coldReadWaitMs: positive('fleet.coldReadWaitMs', f.coldReadWaitMs, 2_000, logger),
    },
    fallback: { ...(options.fallback ?? {}) },
    onUnavailable: options.onUnavailable ?? 'deny',
    timeoutMs: positive('timeoutMs', options.timeoutMs, 10_000, logger),
    maxAttempts: Math.round(positive('maxAttempts', options.maxAttempts, 3, logger)),
    readyTimeoutMs: positive('readyTimeoutMs', options.readyTimeoutMs, 30_000, logger),
    retryBaseMs: 200,
    retryMaxMs: 5_000,
    logger,
  };
}
