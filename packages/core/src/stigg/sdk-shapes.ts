/**
 * The shapes of `@stigg/node-server-sdk@3.95.0` the facade takes and gives, re-declared here (the SDK is not a
 * dependency of `@tollgate/core`). Names are the SDK's. Where the facade fills a result only in part (management
 * calls: Tollgate's documents select fewer fields than the SDK's), the type declares the part it fills, so code that
 * reads a field the facade does not give fails to compile rather than reading `undefined`.
 * Enums are plain objects with the SDK's member names and values (`UsageUpdateBehavior.Set === 'SET'`).
 */
import type * as T from '../client/management.js';
import type { Options } from '../options.js';

// ---------------------------------------------------------------------------------------------------------------
// Enums (the SDK's, as objects; each also names the union of its values)

/** How much the facade logs through `logConfiguration.logger`, as in the SDK. */
export const LogLevel = { ALL: 'ALL', NONE: 'NONE', LOG: 'LOG', ERROR: 'ERROR' } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

export const AccessDeniedReason = {
  BudgetExceeded: 'BudgetExceeded',
  CustomerIsArchived: 'CustomerIsArchived',
  CustomerNotFound: 'CustomerNotFound',
  CustomerResourceNotFound: 'CustomerResourceNotFound',
  FeatureNotFound: 'FeatureNotFound',
  FeatureTypeMismatch: 'FeatureTypeMismatch',
  InsufficientCredits: 'InsufficientCredits',
  NoActiveSubscription: 'NoActiveSubscription',
  NoFeatureEntitlementInSubscription: 'NoFeatureEntitlementInSubscription',
  RequestedUsageExceedingLimit: 'RequestedUsageExceedingLimit',
  RequestedValuesMismatch: 'RequestedValuesMismatch',
  Revoked: 'Revoked',
  Unknown: 'Unknown',
} as const;
export type AccessDeniedReason = (typeof AccessDeniedReason)[keyof typeof AccessDeniedReason];

export const FeatureType = { Boolean: 'BOOLEAN', Enum: 'ENUM', Number: 'NUMBER' } as const;
export type FeatureType = (typeof FeatureType)[keyof typeof FeatureType];

export const MeterType = { Fluctuating: 'Fluctuating', Incremental: 'Incremental', None: 'None' } as const;
export type MeterType = (typeof MeterType)[keyof typeof MeterType];

export const EntitlementResetPeriod = { Day: 'DAY', Hour: 'HOUR', Month: 'MONTH', Week: 'WEEK', Year: 'YEAR' } as const;
export type EntitlementResetPeriod = (typeof EntitlementResetPeriod)[keyof typeof EntitlementResetPeriod];

export const UsageUpdateBehavior = { Delta: 'DELTA', Set: 'SET' } as const;
export type UsageUpdateBehavior = (typeof UsageUpdateBehavior)[keyof typeof UsageUpdateBehavior];

export const BillingPeriod = { Annually: 'ANNUALLY', Monthly: 'MONTHLY' } as const;
export type BillingPeriod = (typeof BillingPeriod)[keyof typeof BillingPeriod];

export const SubscriptionStatus = {
  Active: 'ACTIVE',
  Canceled: 'CANCELED',
  Expired: 'EXPIRED',
  InTrial: 'IN_TRIAL',
  NotStarted: 'NOT_STARTED',
  PaymentPending: 'PAYMENT_PENDING',
} as const;
export type SubscriptionStatus = (typeof SubscriptionStatus)[keyof typeof SubscriptionStatus];

export const SubscriptionCancellationTime = {
  EndOfBillingPeriod: 'END_OF_BILLING_PERIOD',
  Immediate: 'IMMEDIATE',
  SpecificDate: 'SPECIFIC_DATE',
} as const;
export type SubscriptionCancellationTime =
  (typeof SubscriptionCancellationTime)[keyof typeof SubscriptionCancellationTime];

export const PricingType = { Custom: 'CUSTOM', Free: 'FREE', Paid: 'PAID' } as const;
export type PricingType = (typeof PricingType)[keyof typeof PricingType];

export const ProvisionSubscriptionStatus = { PaymentRequired: 'PAYMENT_REQUIRED', Success: 'SUCCESS' } as const;
export type ProvisionSubscriptionStatus =
  (typeof ProvisionSubscriptionStatus)[keyof typeof ProvisionSubscriptionStatus];

export const SubscriptionDecisionStrategy = {
  PredefinedFreePlan: 'PREDEFINED_FREE_PLAN',
  PredefinedTrialPlan: 'PREDEFINED_TRIAL_PLAN',
  RequestedPlan: 'REQUESTED_PLAN',
  SkippedSubscriptionCreation: 'SKIPPED_SUBSCRIPTION_CREATION',
} as const;
export type SubscriptionDecisionStrategy =
  (typeof SubscriptionDecisionStrategy)[keyof typeof SubscriptionDecisionStrategy];

export const PromotionalEntitlementPeriod = {
  Custom: 'CUSTOM',
  Lifetime: 'LIFETIME',
  OneMonth: 'ONE_MONTH',
  OneWeek: 'ONE_WEEK',
  OneYear: 'ONE_YEAR',
  SixMonth: 'SIX_MONTH',
} as const;
export type PromotionalEntitlementPeriod =
  (typeof PromotionalEntitlementPeriod)[keyof typeof PromotionalEntitlementPeriod];

export const ScheduleStrategy = {
  EndOfBillingMonth: 'END_OF_BILLING_MONTH',
  EndOfBillingPeriod: 'END_OF_BILLING_PERIOD',
  Immediate: 'IMMEDIATE',
} as const;
export type ScheduleStrategy = (typeof ScheduleStrategy)[keyof typeof ScheduleStrategy];

export const SubscriptionScheduleStatus = {
  Canceled: 'Canceled',
  Done: 'Done',
  Failed: 'Failed',
  PendingPayment: 'PendingPayment',
  Scheduled: 'Scheduled',
} as const;
export type SubscriptionScheduleStatus = (typeof SubscriptionScheduleStatus)[keyof typeof SubscriptionScheduleStatus];

export const SubscriptionMigrationTime = {
  EndOfBillingPeriod: 'END_OF_BILLING_PERIOD',
  Immediate: 'IMMEDIATE',
} as const;
export type SubscriptionMigrationTime = (typeof SubscriptionMigrationTime)[keyof typeof SubscriptionMigrationTime];

export const CreditGrantType = { Paid: 'PAID', Promotional: 'PROMOTIONAL' } as const;
export type CreditGrantType = (typeof CreditGrantType)[keyof typeof CreditGrantType];

export const PromotionalEntitlementStatus = { Active: 'Active', Expired: 'Expired', Paused: 'Paused' } as const;
export type PromotionalEntitlementStatus =
  (typeof PromotionalEntitlementStatus)[keyof typeof PromotionalEntitlementStatus];

// ---------------------------------------------------------------------------------------------------------------
// Configuration

/** The SDK's logger: `log` for information, `debug`, `error`. */
export interface Logger {
  log: (message: string, object?: unknown) => void;
  debug: (message: string, object?: unknown) => void;
  error: (message: string, error?: unknown) => void;
}

export interface LogConfiguration {
  logger: Logger;
  logLevel: LogLevel;
}

/** The SDK's fallback for one feature (`entitlementsFallback` and each call's `options.fallback`). */
export type BooleanEntitlementFallback = { hasAccess: boolean };
export type NumericEntitlementFallback = { hasAccess: boolean; value?: number; isUnlimited?: boolean };
export type MeteredEntitlementFallback = { hasAccess: boolean; usageLimit?: number; isUnlimited?: boolean };
export type EnumEntitlementFallback = { hasAccess: boolean; enumValues?: string[] };
export type EntitlementsFallback = {
  [featureId: string]:
    | BooleanEntitlementFallback
    | NumericEntitlementFallback
    | MeteredEntitlementFallback
    | EnumEntitlementFallback;
};

/** The SDK's Redis settings (ioredis options): accepted, not used (see `ClientConfiguration.redis`). */
export type StiggRedisOptions = Record<string, unknown> & { environmentPrefix: string; ttl?: number };

/**
 * The SDK's `ClientConfiguration`, and `tollgate` for what only Tollgate has. What each SDK setting becomes:
 * `docs/guide/coming-from-the-sdk.md`.
 */
export interface ClientConfiguration {
  /** Stigg server API key. Required unless `offline`. */
  apiKey: string;
  /** Stigg's API; Tollgate's `baseUrl`. Default `https://api.stigg.io`. */
  baseUri?: string;
  /** Not used: Tollgate reads through Stigg's GraphQL API (`baseUri`), not the Edge API. */
  baseEdgeUri?: string;
  /**
   * Not used: Tollgate's stream is at `ws(s)://<baseUri host>/graphql`, which is where the SDK's default `wsUrl`
   * points too. A different value is warned about.
   */
  wsUrl?: string;
  /** Where log lines go and how many. Default: Tollgate's (warnings and errors to `console`). */
  logConfiguration?: LogConfiguration;
  /** `false`: no stream (Tollgate's `stream: false`); cached entries are then revalidated by age. Default true. */
  realtimeUpdatesEnabled?: boolean;
  /** Not used: see `baseEdgeUri`. */
  enableEdge?: boolean;
  /**
   * Not used (warned about): Tollgate's shared cache level is any Keyv store, given as `tollgate.cache.store`
   * (`new Keyv(new KeyvRedis(url))`); with it, Redis also carries the usage meter and the fleet's one stream.
   */
  redis?: StiggRedisOptions;
  /** Per-feature answers when Stigg cannot be asked; `value` (numeric), `usageLimit` (metered) and `enumValues` kept. */
  entitlementsFallback?: EntitlementsFallback;
  /** Bound of the in-process cache, bytes: Tollgate's `cache.maxBytes`. Default 64 MiB (the SDK's: 75% of the heap). */
  memoryCacheMaxSizeBytes?: number;
  /** Not used (the SDK sends them as headers). */
  clientName?: string;
  clientVersion?: string;
  /** Not used: `waitForInitialization()` always checks the key. */
  enableRemoteConfig?: boolean;
  /** Per-attempt timeout of calls to Stigg, ms: Tollgate's `timeoutMs`. Default 10 s (the SDK's: 60 s). */
  timeout?: number;
  /** Not used: entitlement reads have the one `timeout`. */
  entitlementsTimeout?: number;
  /** No network: every entitlement comes from the fallbacks. Default false. */
  offline?: boolean;
  /**
   * Tollgate's own options (cache levels, stream mode, usage delivery, fleet, ...), applied over what the settings
   * above map to. `apiKey` and `baseUrl` come from `apiKey` and `baseUri`.
   */
  tollgate?: Omit<Options, 'apiKey' | 'baseUrl'>;
}

// ---------------------------------------------------------------------------------------------------------------
// Entitlements

export type EntitlementFeature = {
  id: string;
  featureType: FeatureType;
  units?: string;
  unitsPlural?: string;
  meterType?: MeterType;
  isMetered?: boolean;
};

export type BaseEntitlement = {
  hasAccess: boolean;
  isFallback: boolean;
  accessDeniedReason?: AccessDeniedReason;
  feature?: EntitlementFeature;
};

export interface BooleanEntitlement extends BaseEntitlement {
  type: 'BOOLEAN';
}

export interface EnumEntitlement extends BaseEntitlement {
  type: 'ENUM';
  enumValues: string[];
  requestedValues?: string[];
}

export interface NumericEntitlement extends BaseEntitlement {
  type: 'NUMERIC';
  value?: number;
  isUnlimited: boolean;
}

export interface MeteredEntitlement extends BaseEntitlement {
  type: 'METERED';
  usageLimit?: number;
  isUnlimited: boolean;
  hasSoftLimit: boolean;
  currentUsage: number;
  requestedUsage: number;
  resetPeriod?: EntitlementResetPeriod;
  usagePeriodAnchor?: Date;
  usagePeriodStart?: Date;
  usagePeriodEnd?: Date;
  /** @deprecated renamed to {@link usagePeriodEnd} */
  nextResetDate?: Date;
}

export type Entitlement = BooleanEntitlement | NumericEntitlement | MeteredEntitlement | EnumEntitlement;

export type BooleanEntitlementOptions = {
  /** @deprecated not in use anymore */
  shouldTrack?: boolean;
  fallback?: BooleanEntitlementFallback;
};
export type NumericEntitlementOptions = {
  /** @deprecated not in use anymore */
  shouldTrack?: boolean;
  fallback?: NumericEntitlementFallback;
};
export type MeteredEntitlementOptions = {
  requestedUsage?: number;
  /** @deprecated not in use anymore */
  shouldTrack?: boolean;
  fallback?: MeteredEntitlementFallback;
};
export type EnumEntitlementOptions = {
  requestedValues?: string[];
  shouldTrack?: boolean;
  fallback?: EnumEntitlementFallback;
};
export type EntitlementOptions =
  | BooleanEntitlementOptions
  | NumericEntitlementOptions
  | MeteredEntitlementOptions
  | EnumEntitlementOptions;

type GetEntitlementOf<O> = { customerId: string; featureId: string; resourceId?: string; options?: O };
export type GetBooleanEntitlement = GetEntitlementOf<BooleanEntitlementOptions>;
export type GetNumericEntitlement = GetEntitlementOf<NumericEntitlementOptions>;
export type GetMeteredEntitlement = GetEntitlementOf<MeteredEntitlementOptions>;
export type GetEnumEntitlement = GetEntitlementOf<EnumEntitlementOptions>;
export type GetEntitlement = GetEntitlementOf<EntitlementOptions>;

// ---------------------------------------------------------------------------------------------------------------
// Usage

export type EventDimensionValue = string | number | boolean;

export type ReportUsage = {
  customerId: string;
  resourceId?: string;
  featureId: string;
  value: number;
  updateBehavior?: UsageUpdateBehavior;
  /** Not supported by the facade (rejected when given): Tollgate reports usage as of now. */
  createdAt?: Date;
  /** Not supported by the facade (rejected when given). */
  dimensions?: Record<string, EventDimensionValue>;
  /**
   * Tollgate only: Stigg applies a report with a given key once, however often it is sent. Default: a new key per
   * call, kept across Tollgate's own retries of it.
   */
  idempotencyKey?: string;
};

export type ReportUsageBulk = { usages: ReportUsage[] };

export type ReportUsageAck = {
  measurementId: string;
  featureId: string;
  customerId: string;
  resourceId?: string;
  currentUsage?: number;
  usagePeriodStart?: Date;
  usagePeriodEnd?: Date;
  /** @deprecated renamed to {@link usagePeriodEnd} */
  nextResetDate?: Date;
};

export type ReportEvent = {
  eventName: string;
  customerId: string;
  idempotencyKey: string;
  resourceId?: string;
  dimensions?: Record<string, EventDimensionValue>;
  timestamp?: Date;
};

// ---------------------------------------------------------------------------------------------------------------
// Events

export interface CacheHit {
  customerId: string;
  resourceId?: string;
}
export interface CacheMiss extends CacheHit {
  globalCustomerMissing?: boolean;
}

export type NetworkRequestFailed = {
  errorMessage: string;
  errorCode?: string;
  traceId?: string;
};

/**
 * One entitlement of an `entitlementsUpdated` payload: the fields of Stigg's `EntitlementFragment` Tollgate keeps.
 * Not given: `isGranted`, `requestedUsage`, `requestedValues`, `entitlementUpdatedAt`, `usageUpdatedAt`,
 * `resetPeriodConfiguration`, `creditRate`, and the feature's `displayName`, `description`.
 */
export type EntitlementFragment = {
  __typename: 'Entitlement';
  accessDeniedReason: AccessDeniedReason | null;
  customerId: string;
  resourceId: string | null;
  usageLimit: number | null;
  hasUnlimitedUsage: boolean;
  hasSoftLimit: boolean;
  currentUsage: number | null;
  enumValues: string[] | null;
  usagePeriodAnchor: string | null;
  usagePeriodStart: string | null;
  usagePeriodEnd: string | null;
  nextResetDate: string | null;
  resetPeriod: EntitlementResetPeriod | null;
  validUntil: number | null;
  feature: {
    __typename: 'EntitlementFeature';
    featureType: FeatureType;
    meterType: MeterType | null;
    /** Absent when the facade could not read the feature's units (see the guide). */
    featureUnits?: string | null;
    featureUnitsPlural?: string | null;
    refId: string;
  };
};

export type EntitlementsUpdatedPayload = {
  __typename: 'EntitlementsUpdated';
  customerId: string;
  resourceId: string | null;
  entitlements: EntitlementFragment[];
};

/** The SDK's `UsageUpdatedFragment`: a feature's new usage, dates as epoch ms (as Stigg's stream sends them). */
export type UsageUpdatedFragment = {
  __typename: 'UsageMeasurementUpdated';
  customerId: string;
  resourceId: string | null;
  featureId: string;
  currentUsage: number;
  usagePeriodStart: number | null;
  usagePeriodEnd: number | null;
  nextResetDate: number | null;
};

/** The SDK's `EntitlementUsageUpdatedFragment`: the new usage and the entitlement as it stands with it. */
export type EntitlementUsageUpdatedFragment = {
  __typename: 'UsageUpdated';
  usage: UsageUpdatedFragment;
  entitlement: EntitlementFragment;
};

/**
 * The SDK's events. `entitlementsUpdated`, `usageUpdated`, `cacheHit`, `cacheMiss`, `initializeSuccessfully`,
 * `initializeFailed`, `apiKeyInvalid` and `networkRequestFailed` are emitted; `creditBalanceUpdated`,
 * `packagePublished` and `redisClientError` have no Tollgate counterpart yet: listening to them logs a warning.
 */
export interface Events {
  initializeSuccessfully: () => void;
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's own type
  initializeFailed: (err: any) => void;
  entitlementsUpdated: (data: EntitlementsUpdatedPayload) => void;
  usageUpdated: (data: EntitlementUsageUpdatedFragment) => void;
  creditBalanceUpdated: (data: never) => void;
  packagePublished: (data: never) => void;
  cacheHit: (data: CacheHit) => void;
  cacheMiss: (data: CacheMiss) => void;
  apiKeyInvalid: () => void;
  networkRequestFailed: (data: NetworkRequestFailed) => void;
  redisClientError: (data: never) => void;
}
export type EventNames = keyof Events;

// ---------------------------------------------------------------------------------------------------------------
// Management: inputs (the SDK's; fields the facade cannot pass on are rejected when given, see the guide)

export interface Metadata {
  [key: string]: string;
}

/** A customer's billing details (Stigg's `CustomerBillingInfo`), sent as Stigg's `billingInformation`. */
export type BillingInfo = T.CustomerBillingInfo;
/** A postal address (Stigg's `Address`). */
export type Address = T.Address;
/** A subscription's billing address (Stigg's `BillingAddress`). */
export type BillingAddress = T.BillingAddress;
/** A tax id of a customer (Stigg's `TaxExempt`). */
export type TaxExempt = T.TaxExempt;
/** What the billing integration is told about a subscription (Stigg's `SubscriptionBillingInfo`). */
export type SubscriptionBillingInfo = T.SubscriptionBillingInfo;
/** The hosted checkout's options of a provisioning that needs a payment (Stigg's `CheckoutOptions`). */
export type CheckoutOptions = T.CheckoutOptions;
/** A price other than the plan's or add-on's (Stigg's `PriceOverrideInput`). */
export type PriceOverrideInput = T.PriceOverride;
/** How the subscription's payments are collected. */
export const PaymentCollectionMethod = { Charge: 'CHARGE', Invoice: 'INVOICE', None: 'NONE' } as const;
export type PaymentCollectionMethod = (typeof PaymentCollectionMethod)[keyof typeof PaymentCollectionMethod];
/** What canceling a subscription does to its entitlements. */
export const SubscriptionCancellationAction = {
  Default: 'DEFAULT',
  RevokeEntitlements: 'REVOKE_ENTITLEMENTS',
} as const;
export type SubscriptionCancellationAction =
  (typeof SubscriptionCancellationAction)[keyof typeof SubscriptionCancellationAction];
/** What happens when an overridden trial ends. */
export const TrialEndBehavior = {
  CancelSubscription: 'CANCEL_SUBSCRIPTION',
  ConvertToPaid: 'CONVERT_TO_PAID',
} as const;
export type TrialEndBehavior = (typeof TrialEndBehavior)[keyof typeof TrialEndBehavior];
/** How the billing integration prorates a change (`SubscriptionBillingInfo.prorationBehavior`). */
export const SubscriptionProrationBehavior = {
  CreateProrations: 'CREATE_PRORATIONS',
  InvoiceImmediately: 'INVOICE_IMMEDIATELY',
  None: 'NONE',
} as const;
export type SubscriptionProrationBehavior =
  (typeof SubscriptionProrationBehavior)[keyof typeof SubscriptionProrationBehavior];
/** A trial other than the plan's, or none (Stigg's `TrialOverrideConfigurationInput`); the end date a Date or ISO. */
export type TrialOverrideConfigurationInput = Omit<T.TrialOverrideConfiguration, 'trialEndDate'> & {
  trialEndDate?: Date | string | null;
};
/** A coupon for one subscription (Stigg's `SubscriptionCouponInput`); the start date a Date or ISO. */
export type SubscriptionCouponInput = Omit<T.SubscriptionCoupon, 'configuration'> & {
  configuration?: { startDate?: Date | string | null } | null;
};
/** A feature's entitlement set on one subscription (Stigg's `SubscriptionEntitlementInput`). */
export type SubscriptionEntitlement = T.SubscriptionEntitlement;
/** A change to a subscription's entitlement (Stigg's `UpdateSubscriptionEntitlementInput`). */
export type UpdateSubscriptionEntitlement = T.UpdateSubscriptionEntitlement;

export type SubscriptionAddon = { addonId: string; quantity?: number };

export type CreateSubscriptionParams = {
  resourceId?: string;
  planId: string;
  addons?: SubscriptionAddon[];
  startDate?: Date;
  /** The subscription's id (Stigg's `refId`). */
  id?: string;
  billingPeriod?: BillingPeriod;
  unitQuantity?: number;
  metadata?: Metadata | null;
  /** A promotion code of a coupon: the coupon applies to the subscription. */
  promotionCode?: string;
  billableFeatures?: BillableFeature[];
  awaitPaymentConfirmation?: boolean;
  billingInformation?: SubscriptionBillingInfo;
  appliedCoupon?: SubscriptionCouponInput;
  trialOverrideConfiguration?: TrialOverrideConfigurationInput;
  priceOverrides?: PriceOverrideInput[];
  // Stigg's, which the SDK passes on untyped:
  /** The country whose prices apply (ISO 3166-1 alpha-2). */
  billingCountryCode?: string;
  billingId?: string;
  salesforceId?: string;
  paymentCollectionMethod?: PaymentCollectionMethod;
  subscriptionEntitlements?: SubscriptionEntitlement[];
  // Not supported by the facade (rejected when given): a customer's first subscription has no `skipTrial` in
  // Stigg's API; `trialOverrideConfiguration: { isTrial: false }` says it.
  skipTrial?: boolean;
};

export type CreateCustomer = {
  customerId?: string;
  name?: string;
  email?: string;
  billingId?: string;
  couponId?: string;
  metadata?: Metadata | null;
  salesforceId?: string;
  /** Sent as Stigg's `billingInformation`. */
  billingInfo?: BillingInfo;
  /** @deprecated not in use anymore - will be removed in future release */
  shouldSyncFree?: boolean;
  excludeFromExperiment?: boolean;
  awsMarketplaceCustomerId?: string;
};

export type ProvisionCustomer = CreateCustomer & { subscriptionParams: CreateSubscriptionParams | null };

export type UpdateCustomer = {
  customerId: string;
  name?: string;
  email?: string;
  couponId?: string | null;
  billingId?: string;
  metadata?: Metadata | null;
  salesforceId?: string;
  /** Sent as Stigg's `billingInformation`. */
  billingInfo?: BillingInfo;
  shouldWaitSync?: boolean;
  awsMarketplaceCustomerId?: string;
  // Not supported by the facade (rejected when given; the SDK does not send it either): the integration of the
  // billing details is `billingInfo.integrationId`.
  integrationId?: string;
};

export type ProvisionSubscription = {
  customerId: string;
  resourceId?: string;
  planId: string;
  addons?: SubscriptionAddon[];
  startDate?: Date;
  /** The subscription's id (Stigg's `refId`). */
  id?: string;
  billingPeriod?: BillingPeriod;
  unitQuantity?: number;
  metadata?: Metadata | null;
  /**
   * When the customer has an active subscription to another plan of the product: replace it now (`IMMEDIATE`, the
   * default) or schedule the change for the end of its billing period (or month).
   */
  scheduleStrategy?: ScheduleStrategy;
  /** A promotion code of a coupon: the coupon applies to the subscription. */
  promotionCode?: string;
  payingCustomerId?: string;
  billingId?: string;
  salesforceId?: string;
  skipTrial?: boolean;
  billableFeatures?: BillableFeature[];
  awaitPaymentConfirmation?: boolean;
  billingInformation?: SubscriptionBillingInfo;
  /** The hosted checkout's `successUrl`, `cancelUrl`, ... when the provisioning needs a payment. */
  checkoutOptions?: CheckoutOptions;
  appliedCoupon?: SubscriptionCouponInput;
  billingCountryCode?: string;
  subscriptionEntitlements?: SubscriptionEntitlement[];
  trialOverrideConfiguration?: TrialOverrideConfigurationInput;
  paymentCollectionMethod?: PaymentCollectionMethod;
  priceOverrides?: PriceOverrideInput[];
};

export type UpdateSubscription = {
  subscriptionId: string;
  unitQuantity?: number;
  metadata?: Metadata | null;
  addons?: SubscriptionAddon[];
  billingPeriod?: BillingPeriod;
  /** Now (`IMMEDIATE`, the default) or at the end of the billing period (or month). */
  scheduleStrategy?: ScheduleStrategy;
  billableFeatures?: BillableFeature[];
  awaitPaymentConfirmation?: boolean;
  billingInformation?: SubscriptionBillingInfo;
  subscriptionEntitlements?: UpdateSubscriptionEntitlement[];
  trialEndDate?: Date;
  appliedCoupon?: SubscriptionCouponInput;
  priceOverrides?: PriceOverrideInput[];
};

export type CancelSubscription = {
  subscriptionId: string;
  endDate?: Date;
  subscriptionCancellationTime?: SubscriptionCancellationTime;
  subscriptionCancellationAction?: SubscriptionCancellationAction;
  prorate?: boolean;
  /** Passed on to Stigg (the SDK does not send it): Stigg answers once the billing integration canceled. */
  awaitSubscriptionCancellation?: boolean;
};

export type GetSubscription = { subscriptionId: string };
export type GetActiveSubscriptions = { customerId: string; resourceId?: string | string[] };

export type GetPaywall = {
  productId?: string;
  customerId?: string;
  resourceId?: string;
  /** The country whose prices the plans show (ISO 3166-1 alpha-2). */
  billingCountryCode?: string;
  fetchAllCountriesPrices?: boolean;
  includeHiddenPlans?: boolean;
};

export type GrantPromotionalEntitlementInput = {
  featureId: string;
  period: PromotionalEntitlementPeriod;
  customEndDate?: Date | string;
  usageLimit?: number;
  hasUnlimitedUsage?: boolean;
  hasSoftLimit?: boolean;
  resetPeriod?: EntitlementResetPeriod;
  enumValues?: string[];
  // Not supported by the facade (rejected when given):
  isVisible?: boolean;
  monthlyResetPeriodConfiguration?: unknown;
  weeklyResetPeriodConfiguration?: unknown;
  yearlyResetPeriodConfiguration?: unknown;
};
export type GrantPromotionalEntitlementsInput = {
  customerId: string;
  promotionalEntitlements: GrantPromotionalEntitlementInput[];
};
export type RevokePromotionalEntitlementInput = { customerId: string; featureId: string };
export type GrantPromotionalEntitlementsGroupInput = {
  customerId: string;
  featureGroupId: string;
  promotionalEntitlements: GrantPromotionalEntitlementInput[];
  /** Not supported by the facade (rejected when given): the API key's environment is used. */
  environmentId?: string | null;
};
export type RevokePromotionalEntitlementsGroupInput = {
  customerId: string;
  featureGroupId: string;
  /** Not supported by the facade (rejected when given). */
  environmentId?: string | null;
};
export type UnlinkPromotionalEntitlementsGroupInput = RevokePromotionalEntitlementsGroupInput;

// ---------------------------------------------------------------------------------------------------------------
// Management: results (the part of the SDK's the facade fills)

export type CustomerResource = { id: string };

/** The SDK's `Customer` (`SlimCustomer`) without `awsMarketplaceCustomerId`. `id` is your customer id. */
export type Customer = {
  id: string;
  name?: string;
  email?: string;
  createdAt: Date;
  updatedAt: Date;
  billingId?: string;
  metadata?: Metadata | null;
};

/** The SDK's `SubscriptionInvoiceFragment` (a subscription's latest invoice), `createdAt`/`updatedAt` as Dates. */
export type SubscriptionInvoice = {
  billingId: string;
  status: 'CANCELED' | 'OPEN' | 'PAID';
  createdAt?: Date;
  dueDate?: string | null;
  updatedAt?: Date;
  errorMessage?: string | null;
  requiresAction: boolean;
  paymentSecret?: string | null;
  paymentUrl?: string | null;
  pdfUrl?: string | null;
  billingReason?: string | null;
  currency?: string | null;
  subTotal?: number | null;
  subTotalExcludingTax?: number | null;
  total?: number | null;
  totalExcludingTax?: number | null;
  tax?: number | null;
  amountDue?: number | null;
  attemptCount?: number | null;
};

export type PaymentCollection = 'ACTION_REQUIRED' | 'FAILED' | 'NOT_REQUIRED' | 'PROCESSING';

/** The SDK's deprecated `SubscriptionPrice`: the plan's price with the subscription's total. */
export type SubscriptionPrice = {
  pricingModel: string;
  billingPeriod: BillingPeriod;
  amount: number;
  grossAmount: number;
  currency: string;
  tiersMode?: string | null;
  tiers?: PriceTier[] | null;
  feature?: {
    featureId: string;
    displayName: string;
    units?: string | null;
    unitsPlural?: string | null;
    unitQuantity?: number | null;
  };
};

export type PriceTier = { upTo?: number | null; flatPrice?: Money | null; unitPrice?: Money | null };

/** The price before (`subTotal`) and after (`total`) discounts, per billing period. */
export type TotalPrice = { subTotal: Money; total: Money };

/** The SDK's `ExperimentInfo`; `{}` when the subscription is in no experiment, as the SDK gives it. */
export type ExperimentInfo = { id?: string; name?: string; groupName?: string; groupType?: string | null };

/** The SDK's `Subscription`. `id` is your subscription id. */
export type Subscription = {
  id: string;
  resource: CustomerResource | null;
  status: SubscriptionStatus;
  customerId: string;
  planId: string;
  addonIds: string[];
  addons: SubscriptionAddon[];
  metadata?: Metadata | null;
  billingId?: string;
  billingLinkUrl?: string;
  pricingType: PricingType;
  effectiveEndDate?: Date;
  /** @deprecated use {@link prices} instead with {@link totalPrice}, as in the SDK */
  price: SubscriptionPrice | null;
  prices: Price[];
  totalPrice: TotalPrice | null | undefined;
  experimentInfo?: ExperimentInfo | null;
  latestInvoice?: SubscriptionInvoice;
  paymentCollection: PaymentCollection;
  billingSyncError?: string;
};

/**
 * The SDK's `FullSubscription` with its plan and add-ons by id and name only, without `payingCustomer`,
 * `trialEndDate` and `futureUpdates`.
 */
export type FullSubscription = {
  id: string;
  resource: CustomerResource | null;
  status: SubscriptionStatus;
  plan: { id: string; displayName: string };
  /** @deprecated use {@link prices} instead with {@link totalPrice}, as in the SDK */
  price: SubscriptionPrice | null;
  prices: Price[];
  totalPrice: TotalPrice | null | undefined;
  pricingType: PricingType;
  addons: { quantity: number; addon: { id: string } }[];
  startDate: Date;
  endDate?: Date;
  effectiveEndDate?: Date;
  cancellationDate?: Date;
  currentBillingPeriodEnd?: Date;
  metadata?: Metadata | null;
  billingId?: string;
  billingLinkUrl?: string;
  experimentInfo?: ExperimentInfo | null;
  latestInvoice?: SubscriptionInvoice;
  paymentCollection: PaymentCollection;
  paymentCollectionMethod?: 'CHARGE' | 'INVOICE' | 'NONE';
  billingSyncError?: string;
};

/** The SDK's `PromotionalEntitlement`, the feature by id only, without `isVisible`. */
export type PromotionalEntitlement = {
  usageLimit: number;
  feature: { id: string };
  hasUnlimitedUsage?: boolean | null;
  status: PromotionalEntitlementStatus;
  /** As Stigg sends it (the SDK passes it on unconverted too). */
  expiresAt?: string;
  hasExpirationDate: boolean;
};

/** The SDK's `FullCustomer` without payment method details, coupon, experiment and trial fields. */
export type FullCustomer = Customer & {
  hasPaymentMethod: boolean;
  subscriptions: FullSubscription[];
  promotionalEntitlements: PromotionalEntitlement[];
  /** @deprecated use `getActiveSubscriptions({ customerId })`, as in the SDK */
  getActiveSubscriptions(): FullSubscription[];
  /** @deprecated as in the SDK */
  getActiveTrials(): FullSubscription[];
  getActivePromotionalEntitlements(): PromotionalEntitlement[];
};

export type ProvisionedCustomer = {
  customer: Customer;
  subscriptionDecisionStrategy: SubscriptionDecisionStrategy;
  subscription?: Subscription;
};

export type ProvisionSubscriptionResult = {
  provisionStatus: ProvisionSubscriptionStatus;
  subscription?: Subscription;
  checkoutUrl?: string | null;
};

/** The SDK's `SlimSubscriptionFragmentV2Fragment` without `trialEndDate`, `payingCustomer`, `trialConfiguration`. */
export type SlimSubscriptionFragmentV2Fragment = {
  subscriptionId: string;
  status: SubscriptionStatus;
  pricingType: PricingType;
  startDate: string;
  cancellationDate: string | null;
  currentBillingPeriodEnd: string | null;
  customer: { customerId: string };
  resource: { resourceId: string } | null;
  plan: { displayName: string; planId: string };
  addons: { quantity: number; addon: { addonId: string } }[] | null;
};

/** The SDK's `PackageEntitlement` with the feature by id only. */
export type PackageEntitlement = {
  usageLimit: number;
  feature: { id: string };
  hasUnlimitedUsage?: boolean | null;
  resetPeriod?: EntitlementResetPeriod | null;
};

/**
 * The SDK's `Price`. A subscription's prices give all of it; a paywall plan's `pricePoints` give the billing
 * period, amount, currency and country.
 */
export type Price = {
  billingPeriod: BillingPeriod;
  amount?: number | null;
  currency: string;
  pricingModel?: string;
  billingCadence?: string;
  billingId?: string | null;
  tiers?: PriceTier[] | null;
  tiersMode?: string | null;
  minUnitQuantity?: number | null;
  maxUnitQuantity?: number | null;
  billingCountryCode?: string | null;
  blockSize?: number | null;
  creditRate?: { amount: number } | null;
  feature?: {
    featureId: string;
    displayName: string;
    description?: string | null;
    units?: string | null;
    unitsPlural?: string | null;
    unitQuantity?: number | null;
  };
};

/** The SDK's `Plan` without billing, trial, add-on, metadata fields; the product by id, name and description. */
export type Plan = {
  id: string;
  displayName: string;
  description?: string | null;
  order: number;
  entitlements: PackageEntitlement[];
  inheritedEntitlements: PackageEntitlement[];
  pricePoints: Price[];
  pricingType?: PricingType | null;
  product: { id: string; displayName?: string | null };
};

export type Paywall = {
  plans: Plan[];
  activeSubscriptions: FullSubscription[] | null;
  currency: { code: string; symbol: string };
};

/** The SDK's `Product` without `metadata` and `downgradePlan`. */
export type Product = { id: string; displayName?: string | null; description?: string | null };

/** The SDK's `Coupon` without `metadata` and `amountsOff`. */
export type Coupon = {
  id: string;
  name: string;
  description?: string | null;
  discountValue: number;
  percentOff?: number | null;
};

/** The SDK's `PromotionalEntitlementFragment` (Stigg's raw answer) without `featureId`, `hasSoftLimit`, `resetPeriod`, `isVisible`; the feature by `refId`. */
export type PromotionalEntitlementFragment = {
  status: PromotionalEntitlementStatus;
  usageLimit?: number | null;
  hasUnlimitedUsage?: boolean | null;
  endDate?: string | null;
  feature: { refId: string };
};

// ---------------------------------------------------------------------------------------------------------------
// Estimates, scheduled updates, migrations, transfers (inputs: the SDK's; fields the facade cannot pass on are
// rejected when given)

/** A quantity of a feature priced per unit. */
export type BillableFeature = { featureId: string; quantity: number };

export type EstimateSubscription = {
  customerId: string;
  resourceId?: string;
  planId: string;
  billingCountryCode?: string;
  addons?: SubscriptionAddon[];
  startDate?: Date;
  billingPeriod?: BillingPeriod;
  unitQuantity?: number;
  billableFeatures?: BillableFeature[];
  promotionCode?: string;
  skipTrial?: boolean;
  payingCustomerId?: string;
  billingInformation?: SubscriptionBillingInfo;
  appliedCoupon?: SubscriptionCouponInput;
};

export type EstimateSubscriptionUpdate = {
  subscriptionId: string;
  unitQuantity?: number;
  billableFeatures?: BillableFeature[];
  addons?: SubscriptionAddon[];
  promotionCode?: string;
  appliedCoupon?: SubscriptionCouponInput;
};

export type PreviewNextInvoice = { subscriptionId: string };

export type CancelSubscriptionScheduledUpdates = {
  subscriptionId: string;
  status?: typeof SubscriptionScheduleStatus.Scheduled | typeof SubscriptionScheduleStatus.PendingPayment;
};

export type MigrateSubscriptionToLatest = {
  subscriptionId: string;
  subscriptionMigrationTime?: SubscriptionMigrationTime;
};

export type ApplySubscription = {
  customerId: string;
  planId: string;
  paymentMethodId?: string;
  resourceId?: string;
  addons?: SubscriptionAddon[];
  startDate?: Date;
  billingId?: string;
  billingPeriod?: BillingPeriod;
  skipTrial?: boolean;
  unitQuantity?: number;
  billableFeatures?: BillableFeature[];
  metadata?: Metadata | null;
  promotionCode?: string;
  billingCountryCode?: string;
  scheduleStrategy?: ScheduleStrategy;
  payingCustomerId?: string;
  billingInformation?: SubscriptionBillingInfo;
  appliedCoupon?: SubscriptionCouponInput;
  trialOverrideConfiguration?: TrialOverrideConfigurationInput;
  paymentCollectionMethod?: PaymentCollectionMethod;
  priceOverrides?: PriceOverrideInput[];
};

export type ApplySubscriptionResults = { subscription?: Subscription };

export type TransferSubscriptionToResourceInput = {
  subscriptionId: string;
  destinationResourceId?: string | null;
  /** Not supported by the facade (rejected when given): the API key's environment is used. */
  environmentId?: string | null;
};

export type DelegateSubscriptionToCustomerInput = {
  subscriptionId: string;
  destinationCustomerId?: string | null;
  /** Not supported by the facade (rejected when given): the API key's environment is used. */
  environmentId?: string | null;
};

// Results

export type Money = { amount: number; currency: string };
export type DateRange = { start?: Date; end?: Date };

export type SubscriptionPreviewProration = {
  prorationDate: Date;
  credit: Money;
  debit: Money;
  netAmount: Money;
  hasProrations?: boolean;
};
export type SubscriptionPricePreview = { subTotal: Money; totalExcludingTax: Money; total: Money; tax: Money };
export type SubscriptionPreviewDiscount = {
  type: 'FIXED' | 'PERCENTAGE';
  value: number;
  durationType: 'FOREVER' | 'ONCE' | 'REPEATING';
  durationInMonths?: number;
};
export type SubscriptionPreviewTaxDetails = { displayName: string; percentage: number; inclusive: boolean };

/** The SDK's `SubscriptionPreview` (`estimateSubscription`, `estimateSubscriptionUpdate`), all of it. */
export interface SubscriptionPreview {
  subTotal: Money;
  totalExcludingTax: Money;
  total: Money;
  tax?: Money;
  taxDetails?: SubscriptionPreviewTaxDetails;
  discount?: SubscriptionPreviewDiscount;
  billingPeriodRange: DateRange;
  proration?: SubscriptionPreviewProration;
  subscription?: SubscriptionPricePreview;
}

/**
 * The SDK's `SubscriptionInvoicePreviewFragment` (Stigg's raw answer, dates as ISO strings) without
 * `minimumSpendAdjustment`, `subTotalExcludingTax`, `taxDetails`, `discount`, `discountDetails`, `credits`; each line
 * without `costDescription`, `unitPrice`, `price`, `usageLimit`, `hasSoftLimit`, `lines`.
 */
export type SubscriptionInvoicePreviewFragment = {
  lastUpdatedAt: string;
  amountDue: Money;
  total: Money;
  totalExcludingTax: Money;
  subTotal: Money;
  tax?: Money | null;
  lines: {
    type: string;
    description: string;
    amount: Money;
    quantity?: number | null;
    proration: boolean;
    period: { start: string; end: string };
  }[];
};

/** The SDK's `PreviewSubscription`: a new subscription, or a change to the customer's plan. */
export type PreviewSubscription = {
  customerId: string;
  payingCustomerId?: string;
  planId: string;
  resourceId?: string;
  addons?: SubscriptionAddon[];
  startDate?: Date;
  billingPeriod?: BillingPeriod;
  billingCountryCode?: string;
  unitQuantity?: number;
  billableFeatures?: BillableFeature[];
  billingInformation?: SubscriptionBillingInfo;
  promotionCode?: string;
  appliedCoupon?: SubscriptionCouponInput;
  scheduleStrategy?: ScheduleStrategy;
};

export type SubscriptionPreviewCredits = { initial: Money; used: Money; remaining: Money };

/** The SDK's `SubscriptionPreviewInvoice`, all of it. */
export type SubscriptionPreviewInvoice = {
  total: Money;
  subTotal: Money;
  totalExcludingTax: Money;
  tax?: Money;
  discount?: Money;
  taxDetails?: SubscriptionPreviewTaxDetails;
  discountDetails?: SubscriptionPreviewDiscount;
};

export type ImmediateSubscriptionPreviewInvoice = SubscriptionPreviewInvoice & {
  proration?: SubscriptionPreviewProration;
  credits?: SubscriptionPreviewCredits;
};

/** The SDK's `SubscriptionPreviewV2` (`previewSubscription`), all of it. */
export interface SubscriptionPreviewV2 {
  immediateInvoice: ImmediateSubscriptionPreviewInvoice;
  recurringInvoice?: SubscriptionPreviewInvoice;
  billingPeriodRange: DateRange;
  isPlanDowngrade?: boolean;
  hasScheduledUpdates?: boolean;
}

/** The SDK's `GetSubscriptionsParams`: a filter, and one page (`limit`, default 10, after or before a cursor). */
export type GetSubscriptionsParams = {
  customerId?: string;
  resourceId?: string | string[];
  status?: SubscriptionStatus | SubscriptionStatus[];
  productId?: string | string[];
  pagination?: { limit?: number; startingAfter?: string; endingBefore?: string };
};

export type PageInfoFragment = {
  startCursor?: string | null;
  endCursor?: string | null;
  hasNextPage?: boolean | null;
  hasPreviousPage?: boolean | null;
};

/** The SDK's `SubscriptionQueryFragment` (Stigg's raw answer, dates as ISO strings), all of it. */
export type SubscriptionQueryFragment = {
  subscriptionId: string;
  status: SubscriptionStatus;
  pricingType: PricingType;
  startDate: string;
  currentBillingPeriodEnd?: string | null;
  trialEndDate?: string | null;
  customer: { customerId: string };
  payingCustomer?: { customerId: string } | null;
  resource?: { resourceId: string } | null;
  plan: { displayName: string; planId: string };
  addons?: { quantity: number; addon: { addonId: string } }[] | null;
  trialConfiguration?: { trialEndBehavior: TrialEndBehavior } | null;
};

export type GetSubscriptionsResult = { data: SubscriptionQueryFragment[]; pageInfo: PageInfoFragment };

/** The SDK's `CustomerStatisticsModel`. */
export type CustomerStatisticsModel = {
  statistics: { activeSubscriptionsByPricingType: { pricingType: PricingType; totalCount: number }[] };
};

// ---------------------------------------------------------------------------------------------------------------
// Credits and usage history (the SDK passes Stigg's raw answers on: dates as ISO strings)

export type CreditGrantInput = {
  customerId: string;
  currencyId: string;
  amount: number;
  displayName: string;
  grantType: CreditGrantType;
  resourceId?: string | null;
  effectiveAt?: Date | string | null;
  expireAt?: Date | string | null;
  priority?: number | null;
  comment?: string | null;
  /** What the customer paid for the grant (the currency defaults to Stigg's, as in the SDK). */
  cost?: { amount: number; currency?: string | null } | null;
  additionalMetaData?: Record<string, unknown> | null;
  // Not supported by the facade (rejected when given):
  awaitPaymentConfirmation?: boolean | null;
  paymentCollectionMethod?: string | null;
  environmentId?: string | null;
};

export type VoidCreditGrantInput = {
  id: string;
  /** Not supported by the facade (rejected when given). */
  environmentId?: string | null;
};

export type GetCreditGrantsInput = {
  customerId: string;
  currencyId?: string | null;
  resourceId?: string | null;
  /** Not supported by the facade (rejected when given): the first 100 grants are answered. */
  paging?: unknown;
  environmentId?: string | null;
};

export type CreditBalanceSummaryInput = {
  customerId: string;
  currencyId?: string | null;
  resourceId?: string | null;
  /** Not supported by the facade (rejected when given). */
  environmentId?: string | null;
};

export type CreditGrantFragment = {
  grantId: string;
  amount: number;
  comment?: string | null;
  currencyId: string;
  customerId: string;
  displayName: string;
  effectiveAt: string;
  expireAt?: string | null;
  grantType: CreditGrantType;
  priority: number;
  consumedAmount: number;
  createdAt: string;
  updatedAt: string;
  resourceId?: string | null;
  additionalMetaData?: Record<string, unknown> | null;
  cost: Money;
};

/** The SDK's `GetCreditGrantsResult` without `pageInfo`: the facade answers the first 100 grants. */
export type GetCreditGrantsResult = { data: CreditGrantFragment[]; totalCount: number };

export type CreditBalanceFragment = {
  customerId: string;
  currentBalance: number;
  totalConsumed: number;
  totalGranted: number;
  resourceId?: string | null;
  validUntil?: number | null;
  currency: {
    currencyId: string;
    displayName: string;
    symbol?: string | null;
    units?: { singular: string; plural: string } | null;
  };
};

export type CreditsBalanceSummaryFragment = { customerId: string; balances: CreditBalanceFragment[] };

export type UsageHistoryV2Input = {
  customerId: string;
  featureId: string;
  resourceId?: string | null;
  startDate: Date | string;
  endDate?: Date | string | null;
  /** Not supported by the facade (rejected when given). */
  groupBy?: string[] | null;
  environmentId?: string | null;
};

export type UsageHistoryV2Fragment = {
  markers: { type: string; timestamp: string }[];
  series: {
    tags: { key: string; value: string }[];
    points: { timestamp: string; value: number; isResetPoint: boolean }[];
  }[];
};
