import { isTollgateError, TollgateError } from '../errors.js';
import { idProblem } from '../util/ids.js';
import * as doc from './documents.js';
import type { StiggClient } from './stigg-client.js';

/** Stigg answers the id of a customer it does not show (unknown, or archived) with the error `CustomerNotFound`. */
export const isCustomerNotFound = (err: unknown): boolean =>
  isTollgateError(err) && err.stiggCode === 'CustomerNotFound';

/** Results as our documents select them. Dates are ISO strings, as Stigg sends them. */
export interface Customer {
  id: string;
  customerId: string;
  name: string | null;
  email: string | null;
  billingId: string | null;
  additionalMetaData: Record<string, unknown> | null;
  createdAt: string | null;
  updatedAt: string;
  hasActiveSubscription: boolean;
}

export interface Subscription {
  id: string;
  subscriptionId: string;
  status: 'ACTIVE' | 'CANCELED' | 'EXPIRED' | 'IN_TRIAL' | 'NOT_STARTED' | 'PAYMENT_PENDING';
  startDate: string;
  endDate: string | null;
  cancellationDate: string | null;
  effectiveEndDate: string | null;
  currentBillingPeriodEnd: string | null;
  pricingType: 'FREE' | 'PAID' | 'CUSTOM';
  additionalMetaData: Record<string, unknown> | null;
  resource: { resourceId: string } | null;
  customer: { customerId: string };
  plan: { refId: string; displayName: string };
  addons: { quantity: number; addon: { refId: string } }[] | null;
  billingId: string | null;
  billingLinkUrl: string | null;
  billingSyncError: string | null;
  /** Whether the subscription's payments are collected (`NOT_REQUIRED` for free ones). */
  paymentCollection: 'ACTION_REQUIRED' | 'FAILED' | 'NOT_REQUIRED' | 'PROCESSING';
  paymentCollectionMethod: 'CHARGE' | 'INVOICE' | 'NONE' | null;
  /** The invoice of the current billing period (paid subscriptions). */
  latestInvoice: SubscriptionInvoice | null;
  /** The prices the subscription pays (the plan's for its billing period, ...); empty when free. */
  prices: { usageLimit: number | null; price: SubscriptionPrice | null }[] | null;
  /** The price per period before (`subTotal`) and after (`total`) discounts; null when free. */
  totalPrice: { subTotal: Money; total: Money } | null;
  experimentInfo: { name: string; id: string; groupType: string; groupName: string } | null;
}

export interface SubscriptionInvoice {
  billingId: string;
  status: 'CANCELED' | 'OPEN' | 'PAID';
  createdAt: string;
  dueDate: string | null;
  updatedAt: string;
  errorMessage: string | null;
  requiresAction: boolean;
  paymentSecret: string | null;
  paymentUrl: string | null;
  pdfUrl: string | null;
  billingReason: string | null;
  currency: string | null;
  subTotal: number | null;
  subTotalExcludingTax: number | null;
  total: number | null;
  totalExcludingTax: number | null;
  tax: number | null;
  amountDue: number | null;
  attemptCount: number | null;
}

export interface SubscriptionPrice {
  billingModel: string;
  billingPeriod: 'MONTHLY' | 'ANNUALLY';
  billingCadence: string;
  billingId: string | null;
  minUnitQuantity: number | null;
  maxUnitQuantity: number | null;
  billingCountryCode: string | null;
  price: Money | null;
  creditRate: { amount: number } | null;
  tiersMode: string | null;
  tiers: { upTo: number | null; flatPrice: Money | null; unitPrice: Money | null }[] | null;
  feature: {
    refId: string;
    featureUnits: string | null;
    featureUnitsPlural: string | null;
    displayName: string;
    description: string | null;
  } | null;
  blockSize: number | null;
}

export interface PromotionalEntitlement {
  id: string;
  status: 'Active' | 'Expired' | 'Paused';
  usageLimit: number | null;
  hasUnlimitedUsage: boolean | null;
  endDate: string | null;
  feature: { refId: string };
}

export interface PackageEntitlement {
  /** The feature's id (its `refId` in Stigg, the id entitlement checks use). */
  featureId: string;
  usageLimit: number | null;
  hasUnlimitedUsage: boolean | null;
  enumValues: string[] | null;
  resetPeriod: string | null;
}

export interface Plan {
  id: string;
  refId: string;
  displayName: string;
  description: string | null;
  pricingType: 'FREE' | 'PAID' | 'CUSTOM' | null;
  product: { refId: string; displayName: string | null };
  entitlements: PackageEntitlement[] | null;
  inheritedEntitlements: PackageEntitlement[] | null;
  prices:
    | {
        billingPeriod: 'MONTHLY' | 'ANNUALLY';
        /** The country the price is for (with `billingCountryCode` or `fetchAllCountriesPrices`); null: the default. */
        billingCountryCode: string | null;
        price: { amount: number; currency: string } | null;
      }[]
    | null;
}

export interface Paywall {
  plans: Plan[];
  currency: { code: string; symbol: string };
  activeSubscriptions: Subscription[] | null;
}

/** A package entitlement as Stigg sends it: its `featureId` is Stigg's internal id, so we read `feature.refId`. */
type WirePackageEntitlement = Omit<PackageEntitlement, 'featureId'> & { feature: { refId: string } };
type WirePlan = Omit<Plan, 'entitlements' | 'inheritedEntitlements'> & {
  entitlements: WirePackageEntitlement[] | null;
  inheritedEntitlements: WirePackageEntitlement[] | null;
};
type WirePaywall = Omit<Paywall, 'plans'> & { plans: WirePlan[] };

const toPackageEntitlements = (list: WirePackageEntitlement[] | null): PackageEntitlement[] | null =>
  list?.map(({ feature, ...rest }) => ({ featureId: feature.refId, ...rest })) ?? null;

function toPaywall(wire: WirePaywall): Paywall {
  return {
    ...wire,
    plans: wire.plans.map((plan) => ({
      ...plan,
      entitlements: toPackageEntitlements(plan.entitlements),
      inheritedEntitlements: toPackageEntitlements(plan.inheritedEntitlements),
    })),
  };
}

export interface CustomerWithSubscriptions extends Customer {
  /** Whether the customer has a payment method in the billing integration. */
  hasPaymentMethod: boolean;
  subscriptions: Subscription[] | null;
  promotionalEntitlements: PromotionalEntitlement[];
}

/** A postal address of a customer, for its billing integration (Stigg's `Address`). */
export interface Address {
  addressLine1?: string | null;
  addressLine2?: string | null;
  city?: string | null;
  /** An ISO 3166-1 alpha-2 country code. */
  country?: string | null;
  phoneNumber?: string | null;
  postalCode?: string | null;
  state?: string | null;
}

/** A subscription's billing address (Stigg's `BillingAddress`: `line1`, `line2`, where `Address` has `addressLine1`). */
export interface BillingAddress {
  line1?: string | null;
  line2?: string | null;
  city?: string | null;
  /** An ISO 3166-1 alpha-2 country code. */
  country?: string | null;
  postalCode?: string | null;
  state?: string | null;
}

/** A tax id of a customer (Stigg's `TaxExempt`), e.g. `{ type: 'eu_vat', value: 'DK12345678' }`. */
export interface TaxExempt {
  type: string;
  value: string;
}

/** What the billing integration keeps about a customer (Stigg's `CustomerBillingInfo`). */
export interface CustomerBillingInfo {
  billingAddress?: Address | null;
  shippingAddress?: Address | null;
  /** The customer's billing currency: one of Stigg's `Currency` codes (`USD`, `EUR`, ...). */
  currency?: string | null;
  customerName?: string | null;
  /** The billing integration to use, when the environment has several. */
  integrationId?: string | null;
  invoiceCustomFields?: Record<string, unknown> | null;
  language?: string | null;
  metadata?: Record<string, unknown> | null;
  /** A payment method of the billing integration, kept as the customer's. */
  paymentMethodId?: string | null;
  taxIds?: TaxExempt[] | null;
  timezone?: string | null;
}

/** What the billing integration is told about a subscription (Stigg's `SubscriptionBillingInfo`). */
export interface SubscriptionBillingInfo {
  billingAddress?: BillingAddress | null;
  /** A connected account the billing integration charges on behalf of. */
  chargeOnBehalfOfAccount?: string | null;
  /** A coupon of the billing integration. */
  couponId?: string | null;
  integrationId?: string | null;
  invoiceDaysUntilDue?: number | null;
  isBackdated?: boolean | null;
  isInvoicePaid?: boolean | null;
  metadata?: Record<string, unknown> | null;
  prorationBehavior?: 'CREATE_PRORATIONS' | 'INVOICE_IMMEDIATELY' | 'NONE' | null;
  taxPercentage?: number | null;
  taxRateIds?: string[] | null;
}

/** The hosted checkout a provisioning that needs a payment answers (Stigg's `CheckoutOptions`). */
export interface CheckoutOptions {
  /** Where the browser goes once the checkout is paid. */
  successUrl: string;
  /** Where the browser goes when the customer leaves the checkout. */
  cancelUrl: string;
  allowPromoCodes?: boolean | null;
  allowTaxIdCollection?: boolean | null;
  collectBillingAddress?: boolean | null;
  collectPhoneNumber?: boolean | null;
  /** Your reference, passed on to the billing integration's checkout session. */
  referenceId?: string | null;
}

/** A quantity of a feature priced per unit (Stigg's `BillableFeatureInput`). */
export interface BillableFeature {
  featureId: string;
  quantity: number;
}

/** A trial other than the plan's, or none (Stigg's `TrialOverrideConfigurationInput`). */
export interface TrialOverrideConfiguration {
  isTrial: boolean;
  /** What happens when the trial ends: the subscription is canceled or becomes paid. */
  trialEndBehavior?: 'CANCEL_SUBSCRIPTION' | 'CONVERT_TO_PAID' | null;
  /** ISO date. */
  trialEndDate?: string | null;
}

/** An amount, in a currency (Stigg's `MoneyInputDto`; Stigg's default currency when none is given). */
export interface MoneyInput {
  amount: number;
  currency?: string | null;
}

/** A price of the subscription other than the plan's or add-on's (Stigg's `PriceOverrideInput`). */
export interface PriceOverride {
  addonId?: string | null;
  featureId?: string | null;
  /** Whether the price is the plan's base charge. */
  baseCharge?: boolean | null;
  blockSize?: number | null;
  price?: MoneyInput | null;
  tiers?: { upTo?: number | null; flatPrice?: MoneyInput | null; unitPrice?: MoneyInput | null }[] | null;
  creditRate?: { amount: number; currencyId: string; customCurrencyId?: string | null } | null;
}

/** A coupon applied to one subscription (Stigg's `SubscriptionCouponInput`): Stigg's, the billing integration's, or inline. */
export interface SubscriptionCoupon {
  /** A coupon of Stigg's (its `refId`). */
  couponId?: string | null;
  /** A coupon of the billing integration. */
  billingCouponId?: string | null;
  promotionCode?: string | null;
  /** When the coupon starts to apply (ISO date). */
  configuration?: { startDate?: string | null } | null;
  /** A discount made for this subscription. */
  discount?: {
    name?: string | null;
    description?: string | null;
    percentOff?: number | null;
    amountsOff?: MoneyInput[] | null;
    durationInMonths?: number | null;
  } | null;
}

/** A feature's entitlement set on one subscription, over the plan's (Stigg's `SubscriptionEntitlementInput`). */
export interface SubscriptionEntitlement {
  featureId: string;
  description?: string | null;
  usageLimit?: number | null;
  hasUnlimitedUsage?: boolean | null;
  hasSoftLimit?: boolean | null;
  resetPeriod?: 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | 'YEAR' | null;
  monthlyResetPeriodConfiguration?: { accordingTo: 'StartOfTheMonth' | 'SubscriptionStart' } | null;
  weeklyResetPeriodConfiguration?: {
    accordingTo:
      | 'EveryMonday'
      | 'EveryTuesday'
      | 'EveryWednesday'
      | 'EveryThursday'
      | 'EveryFriday'
      | 'EverySaturday'
      | 'EverySunday'
      | 'SubscriptionStart';
  } | null;
  yearlyResetPeriodConfiguration?: { accordingTo: 'SubscriptionStart' } | null;
}

/** A change to a subscription's entitlement (Stigg's `UpdateSubscriptionEntitlementInput`): by `id`, or a new `featureId`. */
export type UpdateSubscriptionEntitlement = Omit<SubscriptionEntitlement, 'featureId' | 'description'> & {
  /** The subscription entitlement's id, to change one it has. */
  id?: string | null;
  featureId?: string | null;
};

/** How the subscription's payments are collected: charged, invoiced, or not by Stigg. */
export type PaymentCollectionMethod = 'CHARGE' | 'INVOICE' | 'NONE';

/** A customer's first subscription, provisioned with it (Stigg's `ProvisionCustomerSubscriptionInput`). */
export interface SubscriptionParams {
  planId: string;
  /** Requested subscription id. */
  refId?: string;
  resourceId?: string;
  billingPeriod?: 'MONTHLY' | 'ANNUALLY';
  addons?: { addonId: string; quantity?: number }[];
  unitQuantity?: number;
  /** The same as `unitQuantity`, under the name the Stigg SDK sends it in a customer's `subscriptionParams`. */
  priceUnitAmount?: number;
  billableFeatures?: BillableFeature[];
  startDate?: string;
  additionalMetaData?: Record<string, unknown>;
  /** A promotion code of a coupon: the coupon applies to the subscription. */
  promotionCode?: string;
  /** A coupon for this subscription (Stigg's, the billing integration's, or inline). */
  appliedCoupon?: SubscriptionCoupon;
  /** Wait for the billing integration to confirm the payment before answering. */
  awaitPaymentConfirmation?: boolean;
  /** The country whose prices apply (ISO 3166-1 alpha-2), for plans priced per country. */
  billingCountryCode?: string;
  /** The subscription's id in the billing integration. */
  billingId?: string;
  billingInformation?: SubscriptionBillingInfo;
  paymentCollectionMethod?: PaymentCollectionMethod;
  priceOverrides?: PriceOverride[];
  /** The subscription's id in Salesforce. */
  salesforceId?: string;
  subscriptionEntitlements?: SubscriptionEntitlement[];
  trialOverrideConfiguration?: TrialOverrideConfiguration;
}

export interface ProvisionCustomerInput {
  customerId: string;
  name?: string;
  email?: string;
  billingId?: string;
  couponRefId?: string;
  additionalMetaData?: Record<string, unknown>;
  billingInformation?: CustomerBillingInfo;
  /** The customer's id in Salesforce. */
  salesforceId?: string;
  /** The customer's id in AWS Marketplace. */
  awsMarketplaceCustomerId?: string;
  /** Keep the customer out of the experiment in progress, if any. */
  excludeFromExperiment?: boolean;
  subscriptionParams?: SubscriptionParams;
}

export type UpdateCustomerInput = Omit<ProvisionCustomerInput, 'subscriptionParams' | 'excludeFromExperiment'> & {
  /** Answer once the billing integration has the change. */
  shouldWaitSync?: boolean;
};

export interface ProvisionSubscriptionInput extends SubscriptionParams {
  customerId: string;
  /** Another customer who pays for the subscription. */
  payingCustomerId?: string;
  /** The hosted checkout's options, when the provisioning needs a payment (`PAYMENT_REQUIRED`). */
  checkoutOptions?: CheckoutOptions;
  /** Start without the plan's trial. */
  skipTrial?: boolean;
  /**
   * When a subscription to another plan of the product is active: replace it now (`IMMEDIATE`, the default), or
   * schedule the change for the end of its billing period (or month).
   */
  scheduleStrategy?: 'IMMEDIATE' | 'END_OF_BILLING_PERIOD' | 'END_OF_BILLING_MONTH';
}

export interface UpdateSubscriptionInput {
  subscriptionId: string;
  billingPeriod?: 'MONTHLY' | 'ANNUALLY';
  addons?: { addonId: string; quantity?: number }[];
  unitQuantity?: number;
  billableFeatures?: BillableFeature[];
  additionalMetaData?: Record<string, unknown>;
  /** Apply add-on, billing-period and quantity changes now (`IMMEDIATE`, the default) or at the end of the period. */
  scheduleStrategy?: 'IMMEDIATE' | 'END_OF_BILLING_PERIOD' | 'END_OF_BILLING_MONTH';
  promotionCode?: string;
  appliedCoupon?: SubscriptionCoupon;
  awaitPaymentConfirmation?: boolean;
  billingInformation?: SubscriptionBillingInfo;
  priceOverrides?: PriceOverride[];
  subscriptionEntitlements?: UpdateSubscriptionEntitlement[];
  /** A new end of the trial (ISO date). */
  trialEndDate?: string;
}

export interface CancelSubscriptionInput {
  subscriptionId: string;
  subscriptionCancellationTime?: 'IMMEDIATE' | 'END_OF_BILLING_PERIOD' | 'SPECIFIC_DATE';
  endDate?: string;
  /** `REVOKE_ENTITLEMENTS`: the entitlements end now, whenever the subscription does. */
  subscriptionCancellationAction?: 'DEFAULT' | 'REVOKE_ENTITLEMENTS';
  /** Credit the unused part of the period. */
  prorate?: boolean;
  /** Answer once the billing integration has canceled the subscription. */
  awaitSubscriptionCancellation?: boolean;
}

export interface GetPaywallInput {
  productId?: string;
  customerId?: string;
  resourceId?: string;
  /** The country whose prices the plans show (ISO 3166-1 alpha-2). */
  billingCountryCode?: string;
  /** Every country's prices, not only the default ones. */
  fetchAllCountriesPrices?: boolean;
  /** Plans hidden from the paywall too. */
  includeHiddenPlans?: boolean;
}

export interface GrantPromotionalEntitlementInput {
  featureId: string;
  period: 'ONE_WEEK' | 'ONE_MONTH' | 'SIX_MONTH' | 'ONE_YEAR' | 'LIFETIME' | 'CUSTOM';
  customEndDate?: string;
  usageLimit?: number;
  hasUnlimitedUsage?: boolean;
  hasSoftLimit?: boolean;
  resetPeriod?: 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | 'YEAR';
  enumValues?: string[];
}

export interface UsageEvent {
  customerId: string;
  eventName: string;
  idempotencyKey: string;
  resourceId?: string;
  dimensions?: Record<string, string | number | boolean>;
  timestamp?: string;
}

export interface ReportUsageInput {
  customerId: string;
  featureId: string;
  /** Units to add (`DELTA`, the default; negative takes units back, as for seats), or the usage to set (`SET`, >= 0). */
  value: number;
  updateBehavior?: 'DELTA' | 'SET';
  resourceId?: string;
  /**
   * Stigg applies a key once: a report sent again with its key (after a lost answer) is not counted twice. Default:
   * a fresh key, which Tollgate's own retries of this call reuse.
   */
  idempotencyKey?: string;
}

export interface Money {
  amount: number;
  currency: string;
}

/** What a subscription (or a change to one) would cost, as Stigg estimates it. */
export interface SubscriptionEstimate {
  billingPeriodRange: { start: string | null; end: string | null };
  subTotal: Money;
  total: Money;
  totalExcludingTax: Money;
  tax: Money | null;
  /** The tax applied, when there is one. */
  taxDetails: { displayName: string; percentage: number; inclusive: boolean } | null;
  discountAmount: Money | null;
  /** The discount applied (a coupon or promotion code), when there is one. */
  discount: {
    type: 'FIXED' | 'PERCENTAGE';
    value: number;
    durationType: 'FOREVER' | 'ONCE' | 'REPEATING';
    durationInMonths: number | null;
  } | null;
  /** The recurring price per billing period once the subscription (or the change) applies. */
  subscription: { subTotal: Money; totalExcludingTax: Money; total: Money; tax: Money } | null;
  /** For a change mid-period: the unused part of the current price credited, the new one charged for the rest. */
  proration: {
    prorationDate: string;
    hasProrations: boolean | null;
    credit: Money;
    debit: Money;
    netAmount: Money;
  } | null;
  isPlanDowngrade: boolean | null;
  hasScheduledUpdates: boolean | null;
}

export interface EstimateSubscriptionInput {
  customerId: string;
  planId: string;
  /** Another customer who pays for the subscription. */
  payingCustomerId?: string;
  resourceId?: string;
  billingPeriod?: 'MONTHLY' | 'ANNUALLY';
  addons?: { addonId: string; quantity?: number }[];
  unitQuantity?: number;
  billableFeatures?: BillableFeature[];
  startDate?: string;
  promotionCode?: string;
  appliedCoupon?: SubscriptionCoupon;
  skipTrial?: boolean;
  trialOverrideConfiguration?: TrialOverrideConfiguration;
  billingCountryCode?: string;
  billingInformation?: SubscriptionBillingInfo;
}

export interface EstimateSubscriptionUpdateInput {
  subscriptionId: string;
  addons?: { addonId: string; quantity?: number }[];
  unitQuantity?: number;
  billableFeatures?: BillableFeature[];
  promotionCode?: string;
  appliedCoupon?: SubscriptionCoupon;
}

export interface ApplySubscriptionInput extends EstimateSubscriptionInput {
  billingId?: string;
  /** A payment method of the billing integration, kept as the customer's. */
  paymentMethodId?: string;
  additionalMetaData?: Record<string, unknown>;
  scheduleStrategy?: 'IMMEDIATE' | 'END_OF_BILLING_PERIOD' | 'END_OF_BILLING_MONTH';
  awaitPaymentConfirmation?: boolean;
  paymentCollectionMethod?: PaymentCollectionMethod;
  priceOverrides?: PriceOverride[];
  /** The subscription's id in Salesforce. */
  salesforceId?: string;
  subscriptionEntitlements?: SubscriptionEntitlement[];
}

export interface CreditGrant {
  grantId: string;
  customerId: string;
  resourceId: string | null;
  currencyId: string;
  amount: number;
  consumedAmount: number;
  displayName: string;
  grantType: 'PAID' | 'PROMOTIONAL';
  priority: number;
  comment: string | null;
  effectiveAt: string;
  expireAt: string | null;
  createdAt: string;
  updatedAt: string;
  cost: Money;
  additionalMetaData: Record<string, unknown> | null;
}

export interface GrantCreditsInput {
  customerId: string;
  currencyId: string;
  amount: number;
  displayName: string;
  grantType: 'PAID' | 'PROMOTIONAL';
  resourceId?: string;
  effectiveAt?: string;
  expireAt?: string;
  priority?: number;
  comment?: string;
  cost?: Money;
  additionalMetaData?: Record<string, unknown>;
}

export interface CreditBalance {
  customerId: string;
  resourceId: string | null;
  currentBalance: number;
  totalConsumed: number;
  totalGranted: number;
  validUntil: number | null;
  currency: {
    currencyId: string;
    displayName: string;
    symbol: string | null;
    units: { singular: string; plural: string } | null;
  };
}

export interface UsageHistory {
  series: {
    tags: { key: string; value: string }[];
    points: { timestamp: string; value: number; isResetPoint: boolean }[];
  }[];
  markers: { timestamp: string; type: string }[];
}

export interface InvoicePreview {
  amountDue: Money;
  subTotal: Money;
  total: Money;
  totalExcludingTax: Money;
  tax: Money | null;
  lastUpdatedAt: string;
  lines: {
    type: string;
    description: string;
    quantity: number | null;
    amount: Money;
    period: { start: string; end: string };
    proration: boolean;
  }[];
}

/** A tax applied to a preview's invoice. */
export interface PreviewTaxDetails {
  displayName: string;
  percentage: number;
  inclusive: boolean;
}

/** One invoice of a subscription preview (Stigg's `SubscriptionPreviewInvoice`). */
export interface SubscriptionPreviewInvoice {
  subTotal: Money;
  total: Money;
  totalExcludingTax: Money;
  tax: Money | null;
  taxDetails: PreviewTaxDetails | null;
  /** The amount the discount takes off, when there is one. */
  discount: Money | null;
  /** The discount applied (a coupon or promotion code), when there is one. */
  discountDetails: {
    type: 'FIXED' | 'PERCENTAGE';
    value: number;
    durationType: 'FOREVER' | 'ONCE' | 'REPEATING';
    durationInMonths: number | null;
    name: string | null;
  } | null;
}

/** The invoice a subscription (or a change to one) makes now (Stigg's `ImmediateSubscriptionPreviewInvoice`). */
export interface ImmediateSubscriptionPreviewInvoice extends SubscriptionPreviewInvoice {
  /** For a change mid-period: the unused part of the current price credited, the new one charged for the rest. */
  proration: {
    prorationDate: string;
    hasProrations: boolean | null;
    credit: Money;
    debit: Money;
    netAmount: Money;
  } | null;
  /** The customer's credits the invoice uses. */
  credits: { initial: Money; used: Money; remaining: Money } | null;
}

/** What a subscription would cost now and per period after (Stigg's `SubscriptionPreviewV2`). */
export interface SubscriptionPreviewV2 {
  /** What is invoiced now (prorated for a change mid-period). */
  immediateInvoice: ImmediateSubscriptionPreviewInvoice;
  /** What is invoiced each billing period from the next one; null when free. */
  recurringInvoice: SubscriptionPreviewInvoice | null;
  billingPeriodRange: { start: string | null; end: string | null };
  isPlanDowngrade: boolean | null;
  hasScheduledUpdates: boolean | null;
}

/** A subscription to preview (Stigg's `PreviewSubscriptionInput`): a new one, or a change to the customer's plan. */
export interface PreviewSubscriptionInput extends Omit<EstimateSubscriptionInput, 'skipTrial'> {
  /** When a subscription to another plan of the product is active: the change now, or at the end of its period. */
  scheduleStrategy?: 'IMMEDIATE' | 'END_OF_BILLING_PERIOD' | 'END_OF_BILLING_MONTH';
}

/** Promotional entitlements granted together as one feature group (Stigg's `GrantPromotionalEntitlementsGroupInput`). */
export interface GrantPromotionalEntitlementsGroupInput {
  customerId: string;
  /** The feature group the entitlements are granted for. */
  featureGroupId: string;
  promotionalEntitlements: GrantPromotionalEntitlementInput[];
}

/** A customer's promotional entitlements of one feature group (revoke, unlink). */
export interface PromotionalEntitlementsGroupInput {
  customerId: string;
  featureGroupId: string;
}

/** Which subscriptions `getSubscriptions` lists (Stigg's `SubscriptionQueryFilter`), and one page of them. */
export interface GetSubscriptionsInput {
  customerId?: string;
  /** A resource, or any of several. */
  resourceId?: string | string[];
  status?: Subscription['status'] | Subscription['status'][];
  /** A product, or any of several. */
  productId?: string | string[];
  /** Stigg's cursor paging: `first` (default 10) after a cursor, or `last` before one. */
  paging?: { first?: number; after?: string; last?: number; before?: string };
}

/** A subscription as `getSubscriptions` lists it (Stigg's `SubscriptionQuery`). */
export interface SubscriptionSummary {
  subscriptionId: string;
  status: Subscription['status'];
  pricingType: Subscription['pricingType'];
  startDate: string;
  currentBillingPeriodEnd: string | null;
  trialEndDate: string | null;
  customer: { customerId: string };
  payingCustomer: { customerId: string } | null;
  resource: { resourceId: string } | null;
  plan: { refId: string; displayName: string };
  addons: { quantity: number; addon: { refId: string } }[] | null;
  trialConfiguration: { trialEndBehavior: 'CANCEL_SUBSCRIPTION' | 'CONVERT_TO_PAID' } | null;
}

/** Cursors of a page (Stigg's `PageInfo`). */
export interface PageInfo {
  startCursor: string | null;
  endCursor: string | null;
  hasNextPage: boolean | null;
  hasPreviousPage: boolean | null;
}

/** The customer's active subscriptions counted by pricing type (Stigg's `CustomerStatistics`). */
export interface CustomerStatistics {
  activeSubscriptionsByPricingType: { pricingType: 'FREE' | 'PAID' | 'CUSTOM'; totalCount: number }[];
}

/** What is wrong with a usage report, or null: said before anything is sent. */
export function reportUsageProblem(input: ReportUsageInput): string | null {
  if (typeof input !== 'object' || input === null) return 'needs { customerId, featureId, value }';
  const id = idProblem(input.customerId) ?? idProblem(input.featureId);
  if (id) return `${idProblem(input.customerId) ? 'customerId' : 'featureId'} ${id}`;
  if (input.resourceId != null && idProblem(input.resourceId)) return `resourceId ${idProblem(input.resourceId)}`;
  if (typeof input.value !== 'number' || !Number.isFinite(input.value))
    return `value must be a finite number, got ${String(input.value)}`;
  const behavior = input.updateBehavior ?? 'DELTA';
  if (behavior !== 'DELTA' && behavior !== 'SET')
    return `updateBehavior must be 'DELTA' or 'SET', got ${String(input.updateBehavior)}`;
  if (behavior === 'SET' && input.value < 0) return `value must not be negative when it sets usage, got ${input.value}`;
  if (input.idempotencyKey !== undefined && idProblem(input.idempotencyKey))
    return `idempotencyKey ${idProblem(input.idempotencyKey)}`;
  return null;
}

/** Stigg's answer to a usage report: the feature's usage once the report is applied. */
export interface UsageReportAck {
  /** Stigg's id of the measurement. */
  measurementId: string;
  customerId: string;
  featureId: string;
  resourceId: string | null;
  currentUsage: number;
  usagePeriodStart: string | null;
  usagePeriodEnd: string | null;
  timestamp: string;
}

/**
 * Stigg's management calls with typed inputs and results. Writes are not retried (their effect on a lost
 * answer is unknown); reads are. `onCustomerChanged` lets the cache drop what a write made outdated.
 */
export class Management {
  constructor(
    protected readonly client: StiggClient,
    private readonly onCustomerChanged: (customerId: string) => Promise<void>,
  ) {}

  private write<T>(document: string, input: unknown, op: string): Promise<T> {
    return this.client.request<T>(document, { input }, op, { idempotent: false });
  }

  /**
   * A write that changes one customer: its answer's field (`op` with a lowercase first letter), once the customer's
   * cached entries are dropped.
   */
  private async customerWrite<T>(document: string, input: unknown, op: string, customerId: string): Promise<T> {
    const data = await this.write<Record<string, T>>(document, input, op);
    await this.onCustomerChanged(customerId);
    return data[op.charAt(0).toLowerCase() + op.slice(1)]!;
  }

  /** Reads, and mutations that change nothing (estimates, previews): safe to repeat. */
  private read<T>(document: string, variables: Record<string, unknown> | undefined, op: string): Promise<T> {
    return this.client.request<T>(document, variables, op, { idempotent: true });
  }

  async provisionCustomer(
    input: ProvisionCustomerInput,
  ): Promise<{ customer: Customer; subscription: Subscription | null }> {
    const { subscriptionParams, customerId, ...rest } = input;
    const data = await this.write<{ provisionCustomer: { customer: Customer; subscription: Subscription | null } }>(
      doc.PROVISION_CUSTOMER,
      { ...rest, customerId, subscriptionParams: subscriptionParams ?? null },
      'ProvisionCustomer',
    );
    await this.onCustomerChanged(customerId);
    return data.provisionCustomer;
  }

  async updateCustomer(input: UpdateCustomerInput): Promise<Customer> {
    const { customerId, ...rest } = input;
    return (
      await this.write<{ updateCustomer: Customer }>(
        doc.UPDATE_CUSTOMER,
        { ...rest, refId: customerId },
        'UpdateCustomer',
      )
    ).updateCustomer;
  }

  /** The customer, or null when Stigg has none with this id (archived customers included: Stigg hides them). */
  async getCustomer(customerId: string): Promise<CustomerWithSubscriptions | null> {
    try {
      return (
        await this.read<{ getCustomerByRefId: CustomerWithSubscriptions | null }>(
          doc.GET_CUSTOMER,
          { input: { customerId } },
          'GetCustomerById',
        )
      ).getCustomerByRefId;
    } catch (err) {
      if (isCustomerNotFound(err)) return null;
      throw err;
    }
  }

  async archiveCustomer(customerId: string): Promise<void> {
    await this.write(doc.ARCHIVE_CUSTOMER, { customerId }, 'ArchiveCustomer');
    await this.onCustomerChanged(customerId);
  }

  async unarchiveCustomer(customerId: string): Promise<Customer> {
    return this.customerWrite<Customer>(doc.UNARCHIVE_CUSTOMER, { customerId }, 'UnarchiveCustomer', customerId);
  }

  async provisionSubscription(input: ProvisionSubscriptionInput): Promise<{
    status: 'SUCCESS' | 'PAYMENT_REQUIRED';
    checkoutUrl: string | null;
    subscription: Subscription | null;
  }> {
    const data = await this.write<{
      provisionSubscription: {
        status: 'SUCCESS' | 'PAYMENT_REQUIRED';
        checkoutUrl: string | null;
        subscription: Subscription | null;
      };
    }>(doc.PROVISION_SUBSCRIPTION, input, 'ProvisionSubscription');
    await this.onCustomerChanged(input.customerId);
    return data.provisionSubscription;
  }

  async updateSubscription(input: UpdateSubscriptionInput): Promise<Subscription> {
    const { subscriptionId, ...rest } = input;
    const sub = (
      await this.write<{ updateSubscription: Subscription }>(
        doc.UPDATE_SUBSCRIPTION,
        { ...rest, refId: subscriptionId },
        'UpdateSubscription',
      )
    ).updateSubscription;
    await this.onCustomerChanged(sub.customer.customerId);
    return sub;
  }

  async cancelSubscription(input: CancelSubscriptionInput): Promise<Subscription> {
    const { subscriptionId, ...rest } = input;
    const sub = (
      await this.write<{ cancelSubscription: Subscription }>(
        doc.CANCEL_SUBSCRIPTION,
        { ...rest, subscriptionRefId: subscriptionId },
        'CancelSubscription',
      )
    ).cancelSubscription;
    await this.onCustomerChanged(sub.customer.customerId);
    return sub;
  }

  async getSubscription(subscriptionId: string): Promise<Subscription> {
    return (
      await this.read<{ getSubscription: Subscription }>(
        doc.GET_SUBSCRIPTION,
        { input: { subscriptionId } },
        'GetSubscription',
      )
    ).getSubscription;
  }

  async getActiveSubscriptions(customerId: string, resourceId?: string): Promise<Subscription[]> {
    return (
      await this.read<{ getActiveSubscriptions: Subscription[] }>(
        doc.GET_ACTIVE_SUBSCRIPTIONS,
        { input: { customerId, resourceId } },
        'GetActiveSubscriptions',
      )
    ).getActiveSubscriptions;
  }

  async getPaywall(input: GetPaywallInput = {}): Promise<Paywall> {
    return toPaywall((await this.read<{ paywall: WirePaywall }>(doc.GET_PAYWALL, { input }, 'GetPaywall')).paywall);
  }

  async getProducts(): Promise<{ refId: string; displayName: string | null; description: string | null }[]> {
    return this.list(doc.GET_PRODUCTS, 'products', 'GetProducts');
  }

  async getCoupons(): Promise<
    { refId: string; name: string; type: string; discountValue: number; percentOff: number | null }[]
  > {
    return this.list(doc.GET_COUPONS, 'coupons', 'GetCoupons');
  }

  private async list<T>(document: string, field: string, op: string): Promise<T[]> {
    const data = await this.read<Record<string, { edges: { node: T }[] }>>(document, undefined, op);
    return data[field]!.edges.map((e) => e.node);
  }

  async grantPromotionalEntitlements(
    customerId: string,
    promotionalEntitlements: GrantPromotionalEntitlementInput[],
  ): Promise<PromotionalEntitlement[]> {
    return this.customerWrite<PromotionalEntitlement[]>(
      doc.GRANT_PROMOTIONS,
      { customerId, promotionalEntitlements },
      'GrantPromotionalEntitlements',
      customerId,
    );
  }

  async revokePromotionalEntitlement(customerId: string, featureId: string): Promise<void> {
    await this.write(doc.REVOKE_PROMOTION, { customerId, featureId }, 'RevokePromotionalEntitlement');
    await this.onCustomerChanged(customerId);
  }

  /** What a new subscription would cost (nothing is created; safe to repeat). */
  async estimateSubscription(input: EstimateSubscriptionInput): Promise<SubscriptionEstimate> {
    return (
      await this.read<{ estimateSubscription: SubscriptionEstimate }>(
        doc.ESTIMATE_SUBSCRIPTION,
        { input },
        'EstimateSubscription',
      )
    ).estimateSubscription;
  }

  /** What a change to a subscription would cost now, proration included (nothing changes; safe to repeat). */
  async estimateSubscriptionUpdate(input: EstimateSubscriptionUpdateInput): Promise<SubscriptionEstimate> {
    return (
      await this.read<{ estimateSubscriptionUpdate: SubscriptionEstimate }>(
        doc.ESTIMATE_SUBSCRIPTION_UPDATE,
        { input },
        'EstimateSubscriptionUpdate',
      )
    ).estimateSubscriptionUpdate;
  }

  /**
   * Cancels a subscription's updates that wait: those scheduled for the end of its period (`Scheduled`, the
   * default) or those waiting for a payment (`PendingPayment`).
   */
  async cancelSubscriptionUpdates(input: {
    subscriptionId: string;
    status?: 'Scheduled' | 'PendingPayment';
  }): Promise<{ subscriptionId: string }> {
    const data = await this.write<{ cancelSchedule: string }>(
      doc.CANCEL_SUBSCRIPTION_UPDATES,
      input,
      'CancelSubscriptionUpdates',
    );
    return { subscriptionId: data.cancelSchedule };
  }

  /** Moves a subscription to the latest version of its plan and add-ons, now or at the end of its period. */
  async migrateSubscriptionToLatest(input: {
    subscriptionId: string;
    subscriptionMigrationTime?: 'IMMEDIATE' | 'END_OF_BILLING_PERIOD';
  }): Promise<{ subscriptionId: string }> {
    const sub = (
      await this.write<{ migrateSubscriptionToLatest: { subscriptionId: string } }>(
        doc.MIGRATE_SUBSCRIPTION,
        input,
        'MigrateSubscriptionToLatest',
      )
    ).migrateSubscriptionToLatest;
    await this.onSubscriptionChanged(input.subscriptionId);
    return sub;
  }

  /** Creates or replaces the customer's subscription to a plan, as provisioning does, without a checkout. */
  async applySubscription(input: ApplySubscriptionInput): Promise<Subscription | null> {
    const data = await this.write<{ applySubscription: { subscription: Subscription | null } }>(
      doc.APPLY_SUBSCRIPTION,
      input,
      'ApplySubscription',
    );
    await this.onCustomerChanged(input.customerId);
    return data.applySubscription.subscription;
  }

  /** Moves a subscription to another resource of its customer. */
  async transferSubscriptionToResource(input: {
    subscriptionId: string;
    destinationResourceId: string;
  }): Promise<Subscription> {
    const sub = (
      await this.write<{ transferSubscriptionToResource: Subscription }>(
        doc.TRANSFER_TO_RESOURCE,
        input,
        'TransferSubscriptionToResource',
      )
    ).transferSubscriptionToResource;
    await this.onCustomerChanged(sub.customer.customerId);
    return sub;
  }

  /** Lets another customer use a subscription (its payer stays the same). */
  async delegateSubscriptionToCustomer(input: {
    subscriptionId: string;
    destinationCustomerId: string;
  }): Promise<Subscription> {
    const before = await this.getSubscription(input.subscriptionId);
    const sub = (
      await this.write<{ delegateSubscriptionToCustomer: Subscription }>(
        doc.DELEGATE_TO_CUSTOMER,
        input,
        'DelegateSubscriptionToCustomer',
      )
    ).delegateSubscriptionToCustomer;
    await this.onCustomerChanged(before.customer.customerId);
    await this.onCustomerChanged(input.destinationCustomerId);
    return sub;
  }

  async detachCustomerPaymentMethod(customerId: string): Promise<Customer> {
    return (
      await this.write<{ detachCustomerPaymentMethod: Customer }>(
        doc.DETACH_PAYMENT_METHOD,
        { customerId },
        'DetachCustomerPaymentMethod',
      )
    ).detachCustomerPaymentMethod;
  }

  /** The subscription's next invoice as it stands now (safe to repeat). */
  async previewNextInvoice(subscriptionId: string): Promise<InvoicePreview> {
    return (
      await this.read<{ previewNextInvoice: InvoicePreview }>(
        doc.PREVIEW_NEXT_INVOICE,
        { input: { subscriptionId } },
        'PreviewNextInvoice',
      )
    ).previewNextInvoice;
  }

  async grantCredits(input: GrantCreditsInput): Promise<CreditGrant> {
    const grant = (await this.write<{ createCreditGrant: CreditGrant }>(doc.GRANT_CREDITS, input, 'GrantCredits'))
      .createCreditGrant;
    await this.onCustomerChanged(input.customerId);
    return grant;
  }

  async voidCreditGrant(grantId: string): Promise<CreditGrant> {
    const grant = (
      await this.write<{ voidCreditGrant: CreditGrant }>(doc.VOID_CREDIT_GRANT, { id: grantId }, 'VoidCreditGrant')
    ).voidCreditGrant;
    await this.onCustomerChanged(grant.customerId);
    return grant;
  }

  async getCreditGrants(input: {
    customerId: string;
    currencyId?: string;
    resourceId?: string;
  }): Promise<CreditGrant[]> {
    const data = await this.read<{ creditGrants: { edges: { node: CreditGrant }[] } }>(
      doc.GET_CREDIT_GRANTS,
      { input: { ...input, paging: { first: 100 } } },
      'GetCreditGrants',
    );
    return data.creditGrants.edges.map((e) => e.node);
  }

  async getCreditBalance(input: {
    customerId: string;
    currencyId?: string;
    resourceId?: string;
  }): Promise<CreditBalance[]> {
    return (
      await this.read<{ creditBalanceSummary: { balances: CreditBalance[] } }>(
        doc.GET_CREDIT_BALANCE,
        { input },
        'GetCreditBalance',
      )
    ).creditBalanceSummary.balances;
  }

  /** A feature's usage over time, as Stigg recorded the reports (`startDate` required, `endDate` default now). */
  async getUsageHistory(input: {
    customerId: string;
    featureId: string;
    resourceId?: string;
    startDate: string;
    endDate?: string;
    groupBy?: string[];
  }): Promise<UsageHistory> {
    return (await this.read<{ usageHistoryV2: UsageHistory }>(doc.GET_USAGE_HISTORY, { input }, 'GetUsageHistoryV2'))
      .usageHistoryV2;
  }

  /**
   * What a subscription would cost: the invoice made now and the one of each later period (nothing is created;
   * safe to repeat). For a customer with a subscription to the plan's product, the preview of the change.
   */
  async previewSubscription(input: PreviewSubscriptionInput): Promise<SubscriptionPreviewV2> {
    return (
      await this.read<{ previewSubscription: SubscriptionPreviewV2 }>(
        doc.PREVIEW_SUBSCRIPTION,
        { input },
        'PreviewSubscription',
      )
    ).previewSubscription;
  }

  /** Grants promotional entitlements as one feature group, which can later be revoked or unlinked together. */
  async grantPromotionalEntitlementsGroup(
    input: GrantPromotionalEntitlementsGroupInput,
  ): Promise<PromotionalEntitlement[]> {
    return this.customerWrite<PromotionalEntitlement[]>(
      doc.GRANT_PROMOTIONS_GROUP,
      input,
      'GrantPromotionalEntitlementsGroup',
      input.customerId,
    );
  }

  /** Revokes the promotional entitlements of a feature group (Stigg answers them, `Expired`). */
  async revokePromotionalEntitlementsGroup(
    input: PromotionalEntitlementsGroupInput,
  ): Promise<PromotionalEntitlement[]> {
    return this.customerWrite<PromotionalEntitlement[]>(
      doc.REVOKE_PROMOTIONS_GROUP,
      input,
      'RevokePromotionalEntitlementsGroup',
      input.customerId,
    );
  }

  /** Keeps a feature group's promotional entitlements, no longer as a group (they are revoked one by one after). */
  async unlinkPromotionalEntitlementsGroup(
    input: PromotionalEntitlementsGroupInput,
  ): Promise<PromotionalEntitlement[]> {
    return this.customerWrite<PromotionalEntitlement[]>(
      doc.UNLINK_PROMOTIONS_GROUP,
      input,
      'UnlinkPromotionalEntitlementsGroup',
      input.customerId,
    );
  }

  /** One page of the environment's subscriptions (newest first), filtered by customer, resource, status, product. */
  async getSubscriptions(
    input: GetSubscriptionsInput = {},
  ): Promise<{ subscriptions: SubscriptionSummary[]; pageInfo: PageInfo }> {
    const oneOrAny = <V>(v: V | V[] | undefined) =>
      v === undefined ? undefined : Array.isArray(v) ? { in: v } : { eq: v };
    const filter = {
      ...(input.customerId !== undefined ? { customerId: { eq: input.customerId } } : {}),
      ...(input.resourceId !== undefined ? { resourceId: oneOrAny(input.resourceId) } : {}),
      ...(input.status !== undefined ? { status: oneOrAny(input.status) } : {}),
      ...(input.productId !== undefined ? { productId: oneOrAny(input.productId) } : {}),
    };
    const data = await this.read<{ subscriptions: { edges: { node: SubscriptionSummary }[]; pageInfo: PageInfo } }>(
      doc.GET_SUBSCRIPTIONS,
      { filter, paging: input.paging ?? { first: 10 } },
      'GetSubscriptions',
    );
    return { subscriptions: data.subscriptions.edges.map((e) => e.node), pageInfo: data.subscriptions.pageInfo };
  }

  /** The customer's active subscriptions counted by pricing type; rejects (`CustomerNotFound`) for an unknown one. */
  async getCustomerStatistics(customerId: string): Promise<CustomerStatistics> {
    const data = await this.read<{ getCustomerByRefId: { statistics: CustomerStatistics | null } | null }>(
      doc.GET_CUSTOMER_STATISTICS,
      { input: { customerId } },
      'GetCustomerStatistics',
    );
    const customer = data.getCustomerByRefId;
    if (!customer)
      throw new TollgateError('STIGG_ERROR', `Customer not found: ${customerId}`, { stiggCode: 'CustomerNotFound' });
    return customer.statistics ?? { activeSubscriptionsByPricingType: [] };
  }

  /** The cache drops what a change to this subscription made outdated (its customer's entries). */
  private async onSubscriptionChanged(subscriptionId: string): Promise<void> {
    const sub = await this.getSubscription(subscriptionId).catch(() => null);
    if (sub) await this.onCustomerChanged(sub.customer.customerId);
  }

  /** Raw usage events; each carries its idempotency key, so the call is safe to repeat. */
  async reportEvent(events: UsageEvent[]): Promise<void> {
    await this.client.request(doc.REPORT_EVENT, { input: { usageEvents: events } }, 'ReportEvent', {
      idempotent: true,
    });
  }
}
