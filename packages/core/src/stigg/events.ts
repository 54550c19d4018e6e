import type { TollgateError } from '../errors.js';
import type { UsageChange } from '../events.js';
import type { Tollgate } from '../tollgate.js';
import { Emitter } from '../util/emitter.js';
import { toFragment } from './entitlements.js';
import type { FeatureUnits } from './feature-units.js';
import type { EventNames, Events } from './sdk-shapes.js';

type Key = string;

/** SDK events Tollgate has nothing to emit for (yet): listening to them is warned about. */
const WITHOUT_COUNTERPART: Partial<Record<EventNames, string>> = {
  creditBalanceUpdated: "Tollgate does not subscribe to Stigg's credit balance updates",
  packagePublished: "Tollgate refreshes its cache on a published package but does not pass Stigg's payload on",
  redisClientError: "Tollgate's Redis failures are `error` events on tollgate.events",
};

/** Errors that say nothing about a request to Stigg. */
const NOT_NETWORK = new Set(['CONFIG_INVALID', 'INVALID_REQUEST', 'CLOSED', 'UNAUTHENTICATED']);

/**
 * The SDK's events from Tollgate's (`tollgate.events`) and from the facade's own calls. A listener that throws is
 * logged, never thrown into Tollgate (its stream handler, a read).
 */
export class FacadeEvents {
  private readonly emitter = new Emitter();
  /** The last usage told per customer/resource/feature: Stigg's answer to a report and its push say it twice. */
  private readonly lastUsage = new Map<Key, string>();
  /** Usage changes are told in the order they came, each after its entitlement is read. */
  private usageQueue: Promise<void> = Promise.resolve();

  constructor(
    private readonly tollgate: Tollgate,
    private readonly units: FeatureUnits,
    private readonly log: { error(message: string): void; warnOnce(message: string): void },
  ) {
    tollgate.events.on('updated', (change) => {
      if (change.kind === 'entitlements' && this.emitter.listenerCount('entitlementsUpdated') > 0)
        void this.entitlementsUpdated(change.customerId, change.resourceId);
      if (change.kind === 'usage' && this.emitter.listenerCount('usageUpdated') > 0 && this.isNew(change))
        this.usageQueue = this.usageQueue.then(() => this.usageUpdated(change));
    });
    tollgate.events.on('stream', (state) => {
      if (state === 'unauthenticated') this.emit('apiKeyInvalid');
    });
    tollgate.events.on('error', (err) => this.failed(err));
  }

  add<K extends EventNames>(name: K, listener: Events[K]): void {
    const missing = WITHOUT_COUNTERPART[name];
    if (missing) this.log.warnOnce(`tollgate: the Stigg facade never emits ${name}: ${missing}`);
    this.emitter.on(name, listener as unknown as (...args: unknown[]) => void);
  }

  remove<K extends EventNames>(name: K, listener: Events[K]): void {
    this.emitter.off(name, listener as unknown as (...args: unknown[]) => void);
  }

  emit<K extends EventNames>(name: K, ...args: Parameters<Events[K]>): void {
    for (const listener of this.emitter.listeners(name)) {
      try {
        listener(...args);
      } catch (err) {
        this.log.error(`tollgate: a listener of ${name} threw: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }

  /** A failed call to Stigg, as the SDK's error handler reports it. */
  failed(err: TollgateError): void {
    if (err.code === 'UNAUTHENTICATED') this.emit('apiKeyInvalid');
    else if (!NOT_NETWORK.has(err.code))
      this.emit('networkRequestFailed', {
        errorMessage: err.message,
        ...(err.stiggCode ? { errorCode: err.stiggCode } : {}),
      });
  }

  /** Whether this usage differs from the last one told for its feature (bounded: the oldest is forgotten). */
  private isNew(c: UsageChange): boolean {
    const key = `${c.customerId}\u0000${c.resourceId ?? ''}\u0000${c.featureId}`;
    const value = `${c.currentUsage}|${c.usagePeriodStart}|${c.usagePeriodEnd}`;
    if (this.lastUsage.get(key) === value) return false;
    this.lastUsage.delete(key);
    this.lastUsage.set(key, value);
    if (this.lastUsage.size > 10_000) this.lastUsage.delete(this.lastUsage.keys().next().value as Key);
    return true;
  }

  /** A feature's usage changed: the SDK's `usageUpdated` payload, the entitlement as Tollgate's cache holds it. */
  private async usageUpdated(c: UsageChange): Promise<void> {
    try {
      const set = await this.tollgate.getEntitlements(c.customerId, c.resourceId);
      const cached = set[c.featureId];
      if (!cached) return;
      const units = await this.units.of([c.featureId]);
      const entitlement = toFragment(
        c.customerId,
        c.resourceId,
        {
          ...cached,
          currentUsage: c.currentUsage,
          usagePeriodStart: c.usagePeriodStart ?? cached.usagePeriodStart,
          usagePeriodEnd: c.usagePeriodEnd ?? cached.usagePeriodEnd,
        },
        units(c.featureId),
      );
      this.emit('usageUpdated', {
        __typename: 'UsageUpdated',
        usage: {
          __typename: 'UsageMeasurementUpdated',
          customerId: c.customerId,
          resourceId: c.resourceId,
          featureId: c.featureId,
          currentUsage: c.currentUsage,
          usagePeriodStart: c.usagePeriodStart,
          usagePeriodEnd: c.usagePeriodEnd,
          nextResetDate: c.usagePeriodEnd,
        },
        entitlement,
      });
    } catch (err) {
      this.log.error(`tollgate: usageUpdated for ${c.customerId} could not be told: ${(err as Error).message}`);
    }
  }

  /** Stigg pushed a customer's entitlements: Tollgate's cache has them now, as Stigg's payload lists them. */
  private async entitlementsUpdated(customerId: string, resourceId: string | null): Promise<void> {
    try {
      const set = await this.tollgate.getEntitlements(customerId, resourceId);
      const ids = Object.keys(set);
      const units = await this.units.of(ids);
      this.emit('entitlementsUpdated', {
        __typename: 'EntitlementsUpdated',
        customerId,
        resourceId,
        entitlements: ids.map((id) => toFragment(customerId, resourceId, set[id]!, units(id))),
      });
    } catch (err) {
      this.log.error(`tollgate: entitlementsUpdated for ${customerId} could not be told: ${(err as Error).message}`);
    }
  }
}
