/**
 * Tollgate's OpenTelemetry spans: a check that has to ask Stigg (`tollgate.check`, with a `feature_flag.evaluation`
 * event), each call to Stigg (`query GetEntitlements`, `mutation ReportUsageBulk`, ...), each usage delivery
 * (`tollgate.usage.deliver`). Each runs in its span's context, so a Stigg call nests under the check or the
 * delivery that made it. Checks answered from the in-process cache make no span: they take microseconds.
 */
import { type Attributes, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { CheckRequest, Decision } from '../decision/types.js';
import { isTollgateError, type TollgateError } from '../errors.js';
import type { SealedRecord } from '../usage/types.js';
import {
  DECISION_REASON,
  ERROR_TYPE,
  FEATURE_FLAG_CONTEXT_ID,
  FEATURE_FLAG_EVALUATION,
  FEATURE_FLAG_KEY,
  FEATURE_FLAG_PROVIDER_NAME,
  FEATURE_FLAG_RESULT_REASON,
  FEATURE_FLAG_RESULT_VALUE,
  GRAPHQL_OPERATION_NAME,
  GRAPHQL_OPERATION_TYPE,
  PROVIDER,
  resultReason,
  USAGE_CUSTOMERS,
  USAGE_RECORDS,
  USAGE_UNITS,
} from './attributes.js';

/** Marks a span failed with `error`: status, `error.type` (the Tollgate error code) and the exception. */
function fail(span: Span, error: unknown): void {
  span.setAttribute(ERROR_TYPE, isTollgateError(error) ? error.code : ((error as Error)?.name ?? 'Error'));
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
}

/** Runs `call` inside `span`'s context and ends the span with its outcome. */
function within<T>(span: Span, call: () => Promise<T>, succeeded: (value: T) => void): Promise<T> {
  return call().then(
    (value) => {
      succeeded(value);
      span.end();
      return value;
    },
    (error: unknown) => {
      fail(span, error);
      span.end();
      throw error;
    },
  );
}

export class TollgateSpans {
  constructor(
    private readonly tracer: Tracer,
    private readonly customerIds: boolean,
  ) {}

  /** A check the in-process cache could not answer: the shared cache, then Stigg. */
  missed(
    request: CheckRequest,
    load: (failed: (error: TollgateError) => void) => Promise<Decision>,
  ): Promise<Decision> {
    const attributes: Attributes = {
      [FEATURE_FLAG_KEY]: request.featureId,
      [FEATURE_FLAG_PROVIDER_NAME]: PROVIDER,
    };
    if (this.customerIds) attributes[FEATURE_FLAG_CONTEXT_ID] = request.customerId;
    return this.tracer.startActiveSpan('tollgate.check', { kind: SpanKind.INTERNAL, attributes }, (span) => {
      let failure: TollgateError | null = null;
      return within(
        span,
        () => load((error) => (failure = error)),
        (decision) => {
          const evaluation: Attributes = {
            ...attributes,
            [FEATURE_FLAG_RESULT_REASON]: resultReason(decision, failure),
            [FEATURE_FLAG_RESULT_VALUE]: decision.hasAccess,
          };
          if (failure) evaluation[ERROR_TYPE] = (failure as TollgateError).code;
          span.addEvent(FEATURE_FLAG_EVALUATION, evaluation);
          span.setAttributes(evaluation);
          if (!decision.hasAccess && decision.reason) span.setAttribute(DECISION_REASON, decision.reason);
        },
      );
    });
  }

  /** One call to Stigg: a client span named `{operation type} {operation name}`, as GraphQL's conventions name it. */
  stiggCall<T>(operation: string, type: 'query' | 'mutation', call: () => Promise<T>): Promise<T> {
    return this.tracer.startActiveSpan(
      `${type} ${operation}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { [GRAPHQL_OPERATION_NAME]: operation, [GRAPHQL_OPERATION_TYPE]: type },
      },
      (span) => within(span, call, () => {}),
    );
  }

  /** One usage delivery: the records, their units and customers (counted, never named). */
  delivery<T>(records: readonly SealedRecord[], call: () => Promise<T>): Promise<T> {
    let units = 0;
    const customers = new Set<string>();
    for (const record of records) {
      units += record.units;
      customers.add(record.customerId);
    }
    return this.tracer.startActiveSpan(
      'tollgate.usage.deliver',
      {
        kind: SpanKind.INTERNAL,
        attributes: { [USAGE_RECORDS]: records.length, [USAGE_UNITS]: units, [USAGE_CUSTOMERS]: customers.size },
      },
      (span) => within(span, call, () => {}),
    );
  }
}
