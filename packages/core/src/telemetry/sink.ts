/**
 * The hook between the core and a telemetry instrumenter (`@tollgate/core/opentelemetry`). The core holds a sink
 * only while one is attached; without one, every hook below is a null check and nothing else. This file imports no
 * telemetry library: the main entry stays free of `@opentelemetry/api`.
 */
import type { CheckRequest, Decision } from '../decision/types.js';
import type { TollgateError } from '../errors.js';
import type { DrainReport } from '../usage/outbox.js';
import type { SealedRecord } from '../usage/types.js';

/**
 * How a decision was answered: from the in-process cache (`hit`), from an entry past its freshness (`stale`),
 * after waiting for the shared cache or Stigg (`miss`), or by the fallback (`fallback`).
 */
export type DecisionSource = 'hit' | 'stale' | 'miss' | 'fallback';

/** `check` for `tollgate.check`, `metered` for `tollgate.enter` (its time includes the reservation). */
export type DecisionKind = 'check' | 'metered';

/** What the core tells an attached instrumenter, and the calls it lets the instrumenter wrap (for span context). */
export interface TelemetrySink {
  /** A check or a metered request was answered, `seconds` after it began. */
  decided(decision: Decision, request: CheckRequest, seconds: number, source: DecisionSource, kind: DecisionKind): void;
  /**
   * Runs the wait of a check the in-process cache could not answer (the shared cache, then Stigg). `load` resolves
   * with the decision, after telling `failed` why Stigg could not be asked when the decision is a fallback.
   */
  missed(request: CheckRequest, load: (failed: (error: TollgateError) => void) => Promise<Decision>): Promise<Decision>;
  /** Runs one call to Stigg (with its retries). */
  stiggCall<T>(operation: string, type: 'query' | 'mutation', call: () => Promise<T>): Promise<T>;
  /** Runs one usage delivery (one `reportUsageBulk` call) of these records. */
  delivery<T>(records: readonly SealedRecord[], call: () => Promise<T>): Promise<T>;
  /** `close()` ended: what became of the usage. */
  closed(report: DrainReport): void;
}

/** What an instrumenter may read beyond `tollgate.metrics()`. */
export interface TelemetrySource {
  /** Units committed in this process and not yet acknowledged by Stigg (the outbox's depth here). */
  pendingUnits(): Promise<number>;
}

/**
 * The method of a Tollgate that attaches a sink (null detaches it). A registered symbol, so that the ESM and the
 * CommonJS builds of the package find the same method.
 */
export const INSTRUMENT: unique symbol = Symbol.for('@tollgate/core.instrument');

export interface Instrumentable {
  [INSTRUMENT](sink: TelemetrySink | null): TelemetrySource;
}
