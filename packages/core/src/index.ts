/**
 * @tollgate/core: Stigg entitlements from cache in microseconds.
 */

// Client
export { createTollgate, Tollgate } from './tollgate.js';
export type { Options, Logger, KeyvLike, FallbackEntitlement } from './options.js';

// Decisions
export { decide } from './decision/decide.js';
export type {
  Decision,
  CheckRequest,
  AccessDeniedReason,
  CachedEntitlement,
  EntitlementSet,
  FeatureType,
  ResetPeriod,
} from './decision/types.js';

// Metered usage
export type { EnterRequest, MeteredRequest } from './usage/usage-meter.js';
export type { RecordedResponse } from './usage/types.js';
export type { DrainReport } from './usage/outbox.js';
export type { RedisLike } from './usage/redis-meter-store.js';

// Denials and the adapter lifecycle (for framework adapters)
export { describeDenial } from './http/denial.js';
export type { Denial, DenialKind, DenialOptions, ProblemDetails } from './http/denial.js';
export {
  admit,
  admitMetered,
  guardSettings,
  isSuccessStatus,
  MAX_RECORDED_BODY_BYTES,
  recordResponse,
  replayAsResponse,
  replayOnNodeResponse,
  scopedIdempotencyKey,
  settleAfterHandler,
} from './http/guard.js';
export { settleOnNodeResponse } from './http/node-response.js';
export type { NodeResponseLike } from './http/node-response.js';
export type {
  GuardSettings,
  GuardOutcome,
  MeteredOutcome,
  HandlerSettleOptions,
  SettleOptions,
} from './http/guard.js';

// Events and metrics
export type { Metrics, StreamState, TollgateEvents, EntitlementsChange, UsageChange } from './events.js';

// Errors
export { TollgateError, ConfigError, StiggApiError, isTollgateError } from './errors.js';
export type { TollgateErrorCode } from './errors.js';

// Management calls
export type {
  Customer,
  CustomerWithSubscriptions,
  Subscription,
  Plan,
  Paywall,
  PromotionalEntitlement,
  ProvisionCustomerInput,
  UpdateCustomerInput,
  ProvisionSubscriptionInput,
  UpdateSubscriptionInput,
  CancelSubscriptionInput,
  GrantPromotionalEntitlementInput,
  UsageEvent,
  ReportUsageInput,
  UsageReportAck,
  Money,
  SubscriptionEstimate,
  EstimateSubscriptionInput,
  EstimateSubscriptionUpdateInput,
  ApplySubscriptionInput,
  CreditGrant,
  GrantCreditsInput,
  CreditBalance,
  UsageHistory,
  InvoicePreview,
  PreviewSubscriptionInput,
  SubscriptionPreviewV2,
  SubscriptionPreviewInvoice,
  ImmediateSubscriptionPreviewInvoice,
  PreviewTaxDetails,
  GrantPromotionalEntitlementsGroupInput,
  PromotionalEntitlementsGroupInput,
  GetSubscriptionsInput,
  SubscriptionSummary,
  PageInfo,
  CustomerStatistics,
  SubscriptionParams,
  GetPaywallInput,
  Address,
  BillingAddress,
  TaxExempt,
  CustomerBillingInfo,
  SubscriptionBillingInfo,
  CheckoutOptions,
  BillableFeature,
  TrialOverrideConfiguration,
  MoneyInput,
  PriceOverride,
  SubscriptionCoupon,
  SubscriptionEntitlement,
  UpdateSubscriptionEntitlement,
  PaymentCollectionMethod,
} from './client/management.js';

// Bulk imports (used by `tollgate import`)
export { StiggImportClient, subscriptionKey } from './client/imports.js';
export type {
  ImportClientOptions,
  ImportCustomerInput,
  ImportSubscriptionInput,
  ImportUsageInput,
  ImportTask,
  TaskStatus,
  StiggCatalog,
} from './client/imports.js';
export { backoff } from './client/stigg-client.js';
