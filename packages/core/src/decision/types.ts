/** Stigg's reasons for denying access (`AccessDeniedReason`), plus `Unknown` for decisions made without Stigg. */
export type AccessDeniedReason =
  | 'BudgetExceeded'
  | 'CustomerIsArchived'
  | 'CustomerNotFound'
  | 'CustomerResourceNotFound'
  | 'FeatureNotFound'
  | 'FeatureTypeMismatch'
  | 'InsufficientCredits'
  | 'NoActiveSubscription'
  | 'NoFeatureEntitlementInSubscription'
  | 'RequestedUsageExceedingLimit'
  | 'RequestedValuesMismatch'
  | 'Revoked'
  | 'Unknown'
  | 'EntitlementNotFound';

export type FeatureType = 'BOOLEAN' | 'NUMBER' | 'ENUM';
export type ResetPeriod = 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | 'YEAR';

/** One entitlement as kept in the cache: what decisions need, dates as epoch ms. JSON-safe (it goes to Redis). */
export interface CachedEntitlement {
  featureId: string;
  featureType: FeatureType;
  meterType: 'None' | 'Fluctuating' | 'Incremental' | null;
  accessDeniedReason: AccessDeniedReason | null;
  usageLimit: number | null;
  hasUnlimitedUsage: boolean;
  hasSoftLimit: boolean;
  enumValues: string[];
  currentUsage: number;
  resetPeriod: ResetPeriod | null;
  usagePeriodAnchor: number | null;
  usagePeriodStart: number | null;
  usagePeriodEnd: number | null;
  /** Epoch ms after which Stigg wants the entitlement fetched again (credits); null = no limit. */
  validUntil: number | null;
}

/** A customer's (or resource's) entitlements: keyed by feature id. Empty means Stigg knows no entitlements. */
export interface EntitlementSet {
  entitlements: Record<string, CachedEntitlement>;
}

/** What `check` asks. */
export interface CheckRequest {
  customerId: string;
  featureId: string;
  resourceId?: string | null;
  /** Units the caller is about to use (metered features); default 0, as in Stigg's SDK. */
  requestedUsage?: number;
  /** Values the caller needs (enum features). */
  requestedValues?: string[];
}

/** The answer to "may this customer use this feature?". */
export interface Decision {
  hasAccess: boolean;
  /** Why access is denied; null when granted. `Unknown` when the decision was made without Stigg. */
  reason: AccessDeniedReason | null;
  featureId: string;
  featureType: FeatureType | null;
  /** Limit of a metered or numeric feature; null when unlimited or not numeric. */
  usageLimit: number | null;
  /** Usage in the current period (metered features). */
  currentUsage: number | null;
  requestedUsage: number;
  isUnlimited: boolean;
  hasSoftLimit: boolean;
  /** When the usage period ends and usage resets (metered features with a reset period). */
  resetsAt: Date | null;
  /** Granted enum values (enum features). */
  enumValues: string[] | null;
  /** True when made from a fallback (Stigg unreachable, nothing usable cached) rather than from Stigg's data. */
  isFallback: boolean;
  /** True when made from a cached entry older than the freshness window (Stigg could not confirm it). */
  isStale: boolean;
  /**
   * Age of the data the decision was made from, in ms (0 for fallbacks). On a cache hit it is read from a clock
   * refreshed every 10 ms, so it may be up to that much short.
   */
  ageMs: number;
}
