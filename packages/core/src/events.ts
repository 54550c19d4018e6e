import { Emitter } from './util/emitter.js';
import type { CheckRequest, Decision } from './decision/types.js';
import type { TollgateError } from './errors.js';

/** Counters a user can scrape (`tollgate.metrics()`); monotonic since start. */
export interface Metrics {
  checks: number;
  /** Answered from the in-process cache without waiting. */
  cacheHits: number;
  /** Had to wait for L2 or Stigg. */
  cacheMisses: number;
  /** Served from an entry past its freshness (Stigg could not confirm it in time). */
  staleServed: number;
  l2Hits: number;
  l2Misses: number;
  /** Entitlement fetches sent to Stigg. */
  fetches: number;
  /** Reads not sent to Stigg: another process of the fleet read the same customer at the same time (its answer was used). */
  sharedReads: number;
  /** Reads the read budget (`fleet.readsPerMinute`) had no room for in time: answered stale, by the fallback, or skipped (a revalidation). */
  readsOverBudget: number;
  revalidationFailures: number;
  fallbacks: number;
  denied: number;
  streamConnects: number;
  streamDisconnects: number;
}

export const newMetrics = (): Metrics => ({
  checks: 0,
  cacheHits: 0,
  cacheMisses: 0,
  staleServed: 0,
  l2Hits: 0,
  l2Misses: 0,
  fetches: 0,
  sharedReads: 0,
  readsOverBudget: 0,
  revalidationFailures: 0,
  fallbacks: 0,
  denied: 0,
  streamConnects: 0,
  streamDisconnects: 0,
});

export type StreamState = 'connecting' | 'connected' | 'disconnected' | 'closed' | 'unauthenticated';

export interface EntitlementsChange {
  kind: 'entitlements';
  customerId: string;
  resourceId: string | null;
}

export interface UsageChange {
  kind: 'usage';
  customerId: string;
  resourceId: string | null;
  featureId: string;
  currentUsage: number;
  /** Epoch ms, when Stigg said. */
  usagePeriodStart: number | null;
  usagePeriodEnd: number | null;
}

/** Typed events. None carries the API key. */
export interface TollgateEvents {
  decision: [decision: Decision, request: CheckRequest];
  denied: [decision: Decision, request: CheckRequest];
  fallback: [decision: Decision, request: CheckRequest, cause: TollgateError | null];
  stream: [state: StreamState, detail: { reconnects: number; reason?: string }];
  /**
   * Stigg changed this customer's (or resource's) entitlements, or one feature's usage (pushed on its stream, passed
   * on by the fleet, or answered to `reportUsage`).
   */
  updated: [change: EntitlementsChange | UsageChange];
  error: [error: TollgateError];
  /** Committed usage reached Stigg. */
  'usage.flushed': [summary: { records: number; units: number }];
  /** Stigg refused a usage record for good (unknown customer or feature, ...): it is not retried. */
  'usage.dropped': [
    detail: {
      record: { customerId: string; resourceId: string | null; featureId: string; units: number };
      reason: TollgateError;
    },
  ];
}

/** A typed event emitter (no `node:events`: the same on every runtime); `error` without a listener is not thrown. */
export class TollgateEmitter extends Emitter {
  /** Whether anyone listens to per-decision events: checked on the hot path instead of counting listeners. */
  observed = false;

  constructor() {
    super();
    const update = () =>
      queueMicrotask(() => (this.observed = this.listenerCount('decision') + this.listenerCount('denied') > 0));
    super.on('newListener', update);
    super.on('removeListener', update);
  }

  override on<K extends keyof TollgateEvents>(event: K, listener: (...args: TollgateEvents[K]) => void): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }
  override once<K extends keyof TollgateEvents>(event: K, listener: (...args: TollgateEvents[K]) => void): this {
    return super.once(event, listener as (...a: unknown[]) => void);
  }
  override off<K extends keyof TollgateEvents>(event: K, listener: (...args: TollgateEvents[K]) => void): this {
    return super.off(event, listener as (...a: unknown[]) => void);
  }
  override emit<K extends keyof TollgateEvents>(event: K, ...args: TollgateEvents[K]): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) return false;
    return super.emit(event, ...args);
  }
}
