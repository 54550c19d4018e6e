import { EntitlementCache } from './cache/entitlement-cache.js';
import { Management } from './client/management.js';
import { toEntitlementSet } from './client/map-entitlements.js';
import { StiggClient, toTollgateError } from './client/stigg-client.js';
import { decide } from './decision/decide.js';
import type { CachedEntitlement, CheckRequest, Decision } from './decision/types.js';
import { TollgateError } from './errors.js';
import { newMetrics, TollgateEmitter, type Metrics, type StreamState } from './events.js';
import { resolveConfig, type Config, type Options } from './options.js';
import { StiggStream } from './stream/stigg-stream.js';

/** How long `ready()` waits for the stream's first connection before going on without it. */
const STREAM_READY_WAIT_MS = 5_000;

/**
 * The Tollgate client: decisions from a two-level cache kept fresh by Stigg's stream, and Stigg's management calls.
 * One per process (per Stigg environment); `close()` it on shutdown.
 */
export class Tollgate extends Management {
  readonly events = new TollgateEmitter();
  private readonly config: Config;
  private readonly cache: EntitlementCache;
  private readonly stream: StiggStream | null;
  private readonly counters: Metrics = newMetrics();
  private streamState: StreamState = 'closed';
  private closed = false;

  constructor(options: Options) {
    const config = resolveConfig(options);
    const client = new StiggClient({
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
    this.cache = new EntitlementCache(config, async (customerId, resourceId) => toEntitlementSet(await client.getEntitlements(customerId, resourceId)), this.counters);
    this.stream = config.stream
      ? new StiggStream(config, {
          entitlements: (customerId, resourceId, list) => {
            this.cache.applyPush(customerId, resourceId, toEntitlementSet(list));
            this.events.emit('updated', { customerId, resourceId, kind: 'entitlements' });
          },
          usage: (e) => {
            this.cache.applyUsage(e.customerId, e.resourceId ?? null, e.featureId, {
              currentUsage: e.currentUsage,
              usagePeriodStart: e.usagePeriodStart,
              usagePeriodEnd: e.usagePeriodEnd,
            });
            this.events.emit('updated', { customerId: e.customerId, resourceId: e.resourceId ?? null, kind: 'usage' });
          },
          packagePublished: () => this.cache.invalidateAll(),
          reconnected: () => this.cache.invalidateAll(),
          state: (state, detail) => {
            this.streamState = state;
            this.cache.streamConnected = state === 'connected';
            if (state === 'connected') this.counters.streamConnects += 1;
            if (state === 'disconnected') this.counters.streamDisconnects += 1;
            this.events.emit('stream', state, detail);
          },
        })
      : null;
    this.stream?.start();
  }

  /**
   * Resolves when Stigg has accepted the API key and the stream is connected (or 5 s have passed without it;
   * decisions then revalidate by age until it connects). Rejects with `UNAUTHENTICATED` for a bad key.
   */
  async ready(): Promise<void> {
    if (this.config.offline) return;
    await this.client.checkKey();
    await this.stream?.waitForConnection(STREAM_READY_WAIT_MS);
  }

  /**
   * May this customer use this feature? Synchronous on a cache hit (the in-process level: no promise, no Keyv);
   * a promise when it has to ask the shared cache or Stigg. Never rejects for Stigg's or Redis' trouble: the
   * decision then comes from stale data (`isStale`) or the fallback (`isFallback`, reason `Unknown`).
   */
  check(request: CheckRequest): Decision | Promise<Decision> {
    if (typeof request?.customerId !== 'string' || request.customerId === '' || typeof request.featureId !== 'string' || request.featureId === '') {
      throw new TollgateError('INVALID_REQUEST', 'check needs a non-empty customerId and featureId');
    }
    this.counters.checks += 1;
    if (this.config.offline) return this.fallback(request, null);
    if (this.closed) return this.fallback(request, new TollgateError('CLOSED', 'Tollgate is closed'));
    const resourceId = request.resourceId ?? null;
    const key = this.cache.key(request.customerId, resourceId);
    const now = Date.now();
    const hit = this.cache.lookup(key, now);
    if (hit && (hit.fresh || hit.ageMs <= this.config.cache.maxStaleMs)) {
      this.counters.cacheHits += 1;
      if (!hit.fresh) {
        this.counters.staleServed += 1;
        this.cache.revalidate(key, request.customerId, resourceId);
      }
      return this.finish(decide(hit.entry.set, request, now, hit.ageMs, !hit.fresh), request);
    }
    this.counters.cacheMisses += 1;
    return this.cache.load(key, request.customerId, resourceId).then(
      (entry) => {
        const at = Date.now();
        return this.finish(decide(entry.set, request, at, Math.max(0, at - entry.validatedAt)), request);
      },
      (err: unknown) => this.fallback(request, toTollgateError(err, 'GetEntitlements')),
    );
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
  metrics(): Metrics & { cacheEntries: number; l2Errors: number; l2Available: boolean; stream: StreamState } {
    return { ...this.counters, cacheEntries: this.cache.size, l2Errors: this.cache.l2Errors, l2Available: this.cache.l2Available, stream: this.streamState };
  }

  /** Stops the stream and waits for running fetches. The Keyv store stays open: it is the caller's. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stream?.stop();
    await this.cache.settle();
    this.cache.clear();
  }

  private finish(decision: Decision, request: CheckRequest): Decision {
    if (!decision.hasAccess) {
      this.counters.denied += 1;
      if (this.events.listenerCount('denied') > 0) this.events.emit('denied', decision, request);
    }
    if (this.events.listenerCount('decision') > 0) this.events.emit('decision', decision, request);
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
    return this.finish(decision, request);
  }
}

/** Creates the client. Throws `ConfigError` for missing or invalid options. */
export function createTollgate(options: Options): Tollgate {
  return new Tollgate(options);
}
