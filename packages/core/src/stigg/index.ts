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
  PromotionalEntitlementPeriod,
  PromotionalEntitlementStatus,
  ProvisionSubscriptionStatus,
  SubscriptionCancellationTime,
  SubscriptionDecisionStrategy,
  SubscriptionStatus,
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
} from './sdk-shapes.js';

// Management
export type {
  Metadata,
  SubscriptionAddon,
  CreateSubscriptionParams,
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
  Plan,
  Paywall,
  Product,
  Coupon,
  PromotionalEntitlementFragment,
} from './sdk-shapes.js';
