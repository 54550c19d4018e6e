import { isTollgateError } from '../errors.js';

/**
 * What a failed `reportUsageBulk` means for its records:
 * - `final`: Stigg named the records invalid for good; they are discarded, logged, emitted and counted.
 * - `refused`: Stigg refused the whole call before applying anything (rate limit); the units go back to their
 *   counters and are merged into the next record.
 * - `retry`: the outcome is unknown or transient (5xx, `UnexpectedError`, timeouts, network errors, a rejected key
 *   that an operator may fix); the records are sent again as they are, under the same idempotency keys.
 */
export type DeliveryVerdict = 'final' | 'refused' | 'retry';

/**
 * Stigg error codes that name a usage record as invalid for good: sending it again can never succeed. Every other
 * code (and every error without one) is retried, since the idempotency key makes a repeat safe.
 */
export const FINAL_USAGE_CODES: ReadonlySet<string> = new Set([
  'BadUserInput',
  'InvalidArgumentError',
  'CustomerNotFound',
  'CustomerResourceNotFound',
  'FeatureNotFound',
  'NoFeatureEntitlementInSubscription',
  'NoFeatureEntitlementError',
  'MeteringNotAvailableForFeatureType',
  'CannotReportUsageForEntitlementWithMeterError',
  'UnsupportedFeatureType',
  'EntitlementUsageOutOfRangeError',
  'UsageMeasurementDiffOutOfRangeError',
  'EntityIsArchivedError',
]);

/** The one place that decides what a delivery failure does to its records. */
export function deliveryVerdict(err: unknown): DeliveryVerdict {
  if (!isTollgateError(err)) return 'retry';
  if (err.code === 'RATE_LIMITED') return 'refused';
  if (err.stiggCode !== undefined && FINAL_USAGE_CODES.has(err.stiggCode)) return 'final';
  return 'retry';
}
