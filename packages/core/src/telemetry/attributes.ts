/**
 * Attribute names of Tollgate's telemetry: OpenTelemetry's semantic conventions where one fits (feature flags,
 * GraphQL, errors), `tollgate.*` for the rest. Never the API key; the customer id only when asked for.
 */
import type { Decision } from '../decision/types.js';
import type { TollgateError } from '../errors.js';

/** Feature-flag semantic conventions: the flag is the Stigg feature, the provider is Stigg. */
export const FEATURE_FLAG_KEY = 'feature_flag.key';
export const FEATURE_FLAG_PROVIDER_NAME = 'feature_flag.provider.name';
export const FEATURE_FLAG_RESULT_REASON = 'feature_flag.result.reason';
export const FEATURE_FLAG_RESULT_VALUE = 'feature_flag.result.value';
/** The evaluation context's id: the customer id (only with `customerIdAttribute: true`). */
export const FEATURE_FLAG_CONTEXT_ID = 'feature_flag.context.id';
/** The event a flag evaluation is recorded as. */
export const FEATURE_FLAG_EVALUATION = 'feature_flag.evaluation';
export const PROVIDER = 'stigg';

export const ERROR_TYPE = 'error.type';
export const GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
export const GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';

/** `hit`, `stale`, `miss` or `fallback`: how the decision was answered. */
export const CACHE_RESULT = 'tollgate.cache.result';
/** `check` (`tollgate.check`) or `metered` (`tollgate.enter`, reservation included). */
export const CHECK_KIND = 'tollgate.check.kind';
/** `allowed` or `denied`. */
export const DECISION_RESULT = 'tollgate.decision.result';
/** Stigg's `AccessDeniedReason` of a denied decision (`Unknown` for a fallback). */
export const DECISION_REASON = 'tollgate.decision.reason';
export const STREAM_STATE = 'tollgate.stream.state';
export const FLEET_ROLE = 'tollgate.fleet.role';
export const USAGE_RECORDS = 'tollgate.usage.records';
export const USAGE_UNITS = 'tollgate.usage.units';
export const USAGE_CUSTOMERS = 'tollgate.usage.customers';

/**
 * The semantic conventions' `feature_flag.result.reason` of a decision made after a cache miss: Stigg evaluated it
 * for this customer (`targeting_match`), an entry past its freshness answered (`stale`), the fallback answered
 * because Stigg could not be asked (`error`) or without asking (`default`).
 */
export function resultReason(decision: Decision, failure: TollgateError | null): string {
  if (decision.isFallback) return failure ? 'error' : 'default';
  return decision.isStale ? 'stale' : 'targeting_match';
}
