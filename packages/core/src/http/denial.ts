import type { Decision } from '../decision/types.js';

/** Why a guard stopped a request. */
export type DenialKind = 'no-customer' | 'not-entitled' | 'limit-reached' | 'unavailable' | 'in-progress';

/** An RFC 9457 problem document, as every adapter renders it (`application/problem+json`). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The feature the request needed. */
  feature?: string;
  /** Stigg's `AccessDeniedReason` (`Unknown` when decided without Stigg). */
  reason?: string | null;
  limit?: number | null;
  usage?: number | null;
  requested?: number;
  /** ISO-8601: when the usage period ends and usage resets. */
  resetsAt?: string | null;
  upgradeUrl?: string;
}

/** A denied request in HTTP terms, independent of any framework. */
export interface Denial {
  kind: DenialKind;
  status: number;
  headers: Record<string, string>;
  body: ProblemDetails;
  decision: Decision | null;
}

export interface DenialOptions {
  /** Status per kind. Defaults: no-customer 401, not-entitled 403, limit-reached 402, unavailable 503, in-progress 409. */
  statuses?: Partial<Record<DenialKind, number>>;
  /** Where a customer can upgrade; included in the body as `upgradeUrl`. */
  upgradeUrl?:
    | string
    | ((denial: { kind: DenialKind; featureId: string; customerId: string | null }) => string | undefined);
}

const DEFAULT_STATUS: Record<DenialKind, number> = {
  'no-customer': 401,
  'not-entitled': 403,
  'limit-reached': 402,
  unavailable: 503,
  'in-progress': 409,
};
const TITLES: Record<DenialKind, string> = {
  'no-customer': 'Customer not identified',
  'not-entitled': 'Feature not included in your plan',
  'limit-reached': 'Usage limit reached',
  unavailable: 'Entitlements unavailable',
  'in-progress': 'A request with this idempotency key is in progress',
};

function kindOf(decision: Decision | null): DenialKind {
  if (!decision) return 'no-customer';
  if (decision.isFallback) return 'unavailable';
  if (
    decision.reason === 'RequestedUsageExceedingLimit' ||
    decision.reason === 'BudgetExceeded' ||
    decision.reason === 'InsufficientCredits'
  )
    return 'limit-reached';
  return 'not-entitled';
}

/**
 * The one description of a denied request: status, headers (`Retry-After` when a limit resets) and an RFC 9457
 * body with the feature, reason and figures. `decision` null means no customer could be identified.
 */
export function describeDenial(
  featureId: string,
  customerId: string | null,
  decision: Decision | null,
  options: DenialOptions = {},
  inProgress = false,
): Denial {
  const kind = inProgress ? 'in-progress' : kindOf(decision);
  const status = options.statuses?.[kind] ?? DEFAULT_STATUS[kind];
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  const body: ProblemDetails = {
    type: `https://tollgate.dev/problems/${kind}`,
    title: TITLES[kind],
    status,
    detail:
      kind === 'no-customer'
        ? 'The request does not identify a customer.'
        : kind === 'in-progress'
          ? 'Another request with the same idempotency key is being processed; retry once it has completed.'
          : kind === 'unavailable'
            ? `Access to ${featureId} cannot be decided right now.`
            : kind === 'limit-reached'
              ? `The usage limit of ${featureId} is reached${decision?.resetsAt ? ` until ${decision.resetsAt.toISOString()}` : ''}.`
              : `${featureId} is not available to this customer (${decision?.reason ?? 'denied'}).`,
    feature: featureId,
  };
  if (decision) {
    body.reason = decision.reason;
    if (decision.usageLimit !== null || decision.currentUsage !== null) {
      body.limit = decision.usageLimit;
      body.usage = decision.currentUsage;
      body.requested = decision.requestedUsage;
    }
    if (decision.resetsAt) body.resetsAt = decision.resetsAt.toISOString();
  }
  // Answers worth repeating soon (with the same idempotency key: a request that did succeed is then replayed).
  if (kind === 'in-progress' || kind === 'unavailable') headers['retry-after'] = '1';
  if (kind === 'limit-reached' && decision?.resetsAt) {
    headers['retry-after'] = String(Math.max(1, Math.ceil((decision.resetsAt.getTime() - Date.now()) / 1000)));
  }
  const upgradeUrl =
    typeof options.upgradeUrl === 'function' ? options.upgradeUrl({ kind, featureId, customerId }) : options.upgradeUrl;
  if (upgradeUrl && (kind === 'not-entitled' || kind === 'limit-reached')) body.upgradeUrl = upgradeUrl;
  return { kind, status, headers, body, decision };
}
