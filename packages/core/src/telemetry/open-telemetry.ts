/**
 * @tollgate/core/opentelemetry: Tollgate's metrics and spans through OpenTelemetry. Needs `@opentelemetry/api`
 * (an optional peer dependency of `@tollgate/core`: the main entry never loads it) and an OpenTelemetry SDK set up
 * by the application. A Tollgate that is not instrumented pays nothing for it.
 *
 * ```ts
 * import { instrumentTollgate } from '@tollgate/core/opentelemetry';
 * const instrumentation = instrumentTollgate(tollgate, { meterProvider });
 * // on shutdown: instrumentation.stop()
 * ```
 */
import { metrics, trace, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import type { Tollgate } from '../tollgate.js';
import { isTollgateError, TollgateError } from '../errors.js';
import { TollgateMeters } from './otel-metrics.js';
import { TollgateSpans } from './otel-spans.js';
import { INSTRUMENT, type TelemetrySink } from './sink.js';

/** The instrumentation scope of Tollgate's meters and tracers. */
export const INSTRUMENTATION_SCOPE = '@tollgate/core';

export interface InstrumentOptions {
  /** Where metrics go. Default: the global MeterProvider (`metrics.getMeterProvider()`; a no-op until one is set). */
  meterProvider?: MeterProvider;
  /** Where spans go. Default: the global TracerProvider (`trace.getTracerProvider()`; a no-op until one is set). */
  tracerProvider?: TracerProvider;
  /**
   * Puts the customer id on spans and on `tollgate.decisions` as `feature_flag.context.id`. Default `false`: one
   * series per customer can be very many, and a customer id may be personal data.
   */
  customerIdAttribute?: boolean;
}

/** A Tollgate's instrumentation, from `instrumentTollgate`. */
export interface TollgateInstrumentation {
  /** Detaches: no more metrics or spans from this Tollgate (spans already started still end). Idempotent. */
  stop(): void;
}

const seconds = (since: number) => (performance.now() - since) / 1000;
const asTollgateError = (error: unknown) =>
  isTollgateError(error) ? error : new TollgateError('STIGG_ERROR', (error as Error)?.message ?? String(error));

/**
 * Records a Tollgate's metrics and spans with OpenTelemetry until `stop()`. Metrics (all `tollgate.*`):
 * `check.duration`, `decisions`, `stigg.calls`, `stigg.errors`, `stigg.call.duration`, `usage.delivery.lag`,
 * and, read from `tollgate.metrics()` at each collection, the cache, stream, usage and fleet counters. Spans: checks
 * that ask Stigg, Stigg calls, usage deliveries. Throws `ConfigError` when the Tollgate is instrumented already.
 */
export function instrumentTollgate(tollgate: Tollgate, options: InstrumentOptions = {}): TollgateInstrumentation {
  const customerIds = options.customerIdAttribute ?? false;
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE);
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE);
  const spans = new TollgateSpans(tracer, customerIds);
  let meters: TollgateMeters | null = null;
  const sink: TelemetrySink = {
    decided: (decision, request, took, source, kind) => meters?.decided(decision, request, took, source, kind),
    missed: (request, load) => spans.missed(request, load),
    stiggCall: (operation, type, call) => {
      const started = performance.now();
      return spans.stiggCall(operation, type, call).then(
        (value) => {
          meters?.stiggCall(operation, type, seconds(started), null);
          return value;
        },
        (error: unknown) => {
          meters?.stiggCall(operation, type, seconds(started), asTollgateError(error));
          throw error;
        },
      );
    },
    delivery: (records, call) =>
      spans.delivery(records, call).then((value) => {
        meters?.delivered(records, Date.now());
        return value;
      }),
    closed: (report) => meters?.closed(report),
  };
  const source = tollgate[INSTRUMENT](sink);
  meters = new TollgateMeters(meter, () => tollgate.metrics(), source, customerIds);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      tollgate[INSTRUMENT](null);
      meters?.stop();
      meters = null;
    },
  };
}
