import type { TollgateError } from '../errors.js';
import type { Tollgate } from '../tollgate.js';
import { Emitter } from '../util/emitter.js';
import { toFragment } from './entitlements.js';
import type { FeatureUnits } from './feature-units.js';
import type { EventNames, Events } from './sdk-shapes.js';

/** SDK events Tollgate has nothing to emit for (yet): listening to them is warned about. */
const WITHOUT_COUNTERPART: Partial<Record<EventNames, string>> = {
  usageUpdated: "Tollgate applies Stigg's usage pushes to its cache but does not say which feature changed",
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

  constructor(
    private readonly tollgate: Tollgate,
    private readonly units: FeatureUnits,
    private readonly log: { error(message: string): void; warnOnce(message: string): void },
  ) {
    tollgate.events.on('updated', (change) => {
      if (change.kind === 'entitlements' && this.emitter.listenerCount('entitlementsUpdated') > 0)
        void this.entitlementsUpdated(change.customerId, change.resourceId);
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
