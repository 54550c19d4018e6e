/**
 * @tollgate/core/stigg: the official Stigg Node SDK's client over Tollgate. Moving from `@stigg/node-server-sdk` is
 * one import: `import { Stigg } from '@tollgate/core/stigg'`. What differs: docs/guide/coming-from-the-sdk.md.
 */

// Client
export { Stigg, StiggFacadeError } from './stigg-facade.js';
export { Stigg as default } from './stigg-facade.js';

// Enums, with the SDK's names and values
export {
  AccessDeniedReason,
  BillingPeriod,
  EntitlementResetPeriod,
  FeatureType,
  LogLevel,
  MeterType,
  PricingType,
  CreditGrantType,
  PromotionalEntitlementPeriod,
  PromotionalEntitlementStatus,
  ScheduleStrategy,
  SubscriptionMigrationTime,
  SubscriptionScheduleStatus,
  ProvisionSubscriptionStatus,
  SubscriptionCancellationTime,
  SubscriptionCancellationAction,
  SubscriptionDecisionStrategy,
  SubscriptionProrationBehavior,
  SubscriptionStatus,
  PaymentCollectionMethod,
  TrialEndBehavior,
  UsageUpdateBehavior,
} from './sdk-shapes.js';

// Configuration
export type {
  ClientConfiguration,
  EntitlementsFallback,
  BooleanEntitlementFallback,
  NumericEntitlementFallback,
  MeteredEntitlementFallback,
  EnumEntitlementFallback,
  LogConfiguration,
  Logger,
  StiggRedisOptions,
} from './sdk-shapes.js';

// Entitlements
export type {
  BaseEntitlement,
  BooleanEntitlement,
  NumericEntitlement,
  MeteredEntitlement,
  EnumEntitlement,
  Entitlement,
  EntitlementFeature,
  BooleanEntitlementOptions,
  NumericEntitlementOptions,
  MeteredEntitlementOptions,
  EnumEntitlementOptions,
  EntitlementOptions,
  GetBooleanEntitlement,
  GetNumericEntitlement,
  GetMeteredEntitlement,
  GetEnumEntitlement,
  GetEntitlement,
} from './sdk-shapes.js';

// Usage
export type { ReportUsage, ReportUsageBulk, ReportUsageAck, ReportEvent, EventDimensionValue } from './sdk-shapes.js';

// Events
export type {
  Events,
  EventNames,
  CacheHit,
  CacheMiss,
  NetworkRequestFailed,
  EntitlementsUpdatedPayload,
  EntitlementFragment,
  EntitlementUsageUpdatedFragment,
  UsageUpdatedFragment,
} from './sdk-shapes.js';

// Estimates, scheduled updates, migrations, transfers
export type {
  BillableFeature,
  EstimateSubscription,
  EstimateSubscriptionUpdate,
  PreviewNextInvoice,
  CancelSubscriptionScheduledUpdates,
  MigrateSubscriptionToLatest,
  ApplySubscription,
  ApplySubscriptionResults,
  TransferSubscriptionToResourceInput,
  DelegateSubscriptionToCustomerInput,
  Money,
  DateRange,
  SubscriptionPreview,
  SubscriptionPreviewProration,
  SubscriptionPricePreview,
  SubscriptionPreviewDiscount,
  SubscriptionPreviewTaxDetails,
  SubscriptionInvoicePreviewFragment,
  PreviewSubscription,
  SubscriptionPreviewV2,
  SubscriptionPreviewInvoice,
  ImmediateSubscriptionPreviewInvoice,
  SubscriptionPreviewCredits,
  GetSubscriptionsParams,
  GetSubscriptionsResult,
  SubscriptionQueryFragment,
  PageInfoFragment,
  CustomerStatisticsModel,
} from './sdk-shapes.js';

// Credits and usage history
export type {
  CreditGrantInput,
  VoidCreditGrantInput,
  GetCreditGrantsInput,
  CreditBalanceSummaryInput,
  CreditGrantFragment,
  GetCreditGrantsResult,
  CreditBalanceFragment,
  CreditsBalanceSummaryFragment,
  UsageHistoryV2Input,
  UsageHistoryV2Fragment,
} from './sdk-shapes.js';

// Management
export type {
  Metadata,
  SubscriptionAddon,
  CreateSubscriptionParams,
  BillingInfo,
  Address,
  BillingAddress,
  TaxExempt,
  SubscriptionBillingInfo,
  CheckoutOptions,
  PriceOverrideInput,
  TrialOverrideConfigurationInput,
  SubscriptionCouponInput,
  SubscriptionEntitlement,
  UpdateSubscriptionEntitlement,
  CreateCustomer,
  ProvisionCustomer,
  UpdateCustomer,
  ProvisionSubscription,
  UpdateSubscription,
  CancelSubscription,
  GetSubscription,
  GetActiveSubscriptions,
  GetPaywall,
  GrantPromotionalEntitlementInput,
  GrantPromotionalEntitlementsInput,
  RevokePromotionalEntitlementInput,
  GrantPromotionalEntitlementsGroupInput,
  RevokePromotionalEntitlementsGroupInput,
  UnlinkPromotionalEntitlementsGroupInput,
  CustomerResource,
  Customer,
  FullCustomer,
  Subscription,
  FullSubscription,
  PromotionalEntitlement,
  ProvisionedCustomer,
  ProvisionSubscriptionResult,
  SlimSubscriptionFragmentV2Fragment,
  PackageEntitlement,
  Price,
  PriceTier,
  SubscriptionPrice,
  TotalPrice,
  SubscriptionInvoice,
  PaymentCollection,
  ExperimentInfo,
  Plan,
  Paywall,
  Product,
  Coupon,
  PromotionalEntitlementFragment,
} from './sdk-shapes.js';
