/**
 * The catalog file: what a Stigg environment's product catalog holds, in a form a person writes by hand.
 * `catalog/demo.json` is the reference example; `docs` in the package README describe every field.
 */

export type FeatureType = 'BOOLEAN' | 'NUMBER' | 'ENUM';
export type MeterType = 'None' | 'Fluctuating' | 'Incremental';
export type ResetPeriod = 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | 'YEAR';
export type MonthlyAccordingTo = 'SubscriptionStart' | 'StartOfTheMonth';
export type WeeklyAccordingTo =
  | 'SubscriptionStart'
  | 'EveryMonday'
  | 'EveryTuesday'
  | 'EveryWednesday'
  | 'EveryThursday'
  | 'EveryFriday'
  | 'EverySaturday'
  | 'EverySunday';
export type PricingType = 'FREE' | 'PAID' | 'CUSTOM';
export type BillingPeriod = 'MONTHLY' | 'ANNUALLY';

/** How a metered feature's usage resets: the period and what the period is counted from. */
export interface ResetConfig {
  resetPeriod?: ResetPeriod | null;
  monthlyAccordingTo?: MonthlyAccordingTo;
  weeklyAccordingTo?: WeeklyAccordingTo;
}

export interface FeatureDef extends ResetConfig {
  id: string;
  displayName: string;
  type: FeatureType;
  /** NUMBER features only; default `None` (a configuration value, not metered). */
  meterType?: MeterType;
  description?: string;
  units?: string;
  unitsPlural?: string;
  /** ENUM features: the values an entitlement may grant. */
  enumValues?: string[];
  /** Metered features: `reportEvent` events of this name add to the feature's usage. */
  eventName?: string;
  /** With `eventName`: add this numeric dimension of each event instead of 1. */
  eventValueDimension?: string;
  /**
   * Metered features paid in credits: each unit of reported usage consumes `amount` credits of the custom
   * currency `currency` (one of `currencies[].id`) from the customer's credit grants.
   */
  creditRate?: { currency: string; amount: number };
}

/** One feature as a plan, add-on, subscription or promotion grants it. */
export interface EntitlementDef extends ResetConfig {
  feature: string;
  /** NUMBER features: a number, or `"unlimited"`. For add-ons, the amount one unit adds. */
  limit?: number | 'unlimited';
  softLimit?: boolean;
  /** ENUM features: the granted values. */
  values?: string[];
}

/** A price per billing period: a flat fee (Stigg's `FLAT_FEE`), or per unit (`PER_UNIT`, times the unit quantity). */
export interface PriceDef {
  billingPeriod: BillingPeriod;
  amount: number;
  /** ISO 4217 code; default `USD`. */
  currency?: string;
  /** Default `FLAT_FEE`. `PER_UNIT`: `amount` is per unit, times the subscription's `unitQuantity` (default 1). */
  billingModel?: 'FLAT_FEE' | 'PER_UNIT';
}

export interface ProductDef {
  id: string;
  displayName: string;
  description?: string;
  /** Allow several subscriptions per customer, told apart by `resourceId`. Default false. */
  multipleSubscriptions?: boolean;
  downgradePlan?: string;
}

export interface PlanDef {
  id: string;
  product: string;
  displayName: string;
  description?: string;
  /** A plan whose entitlements this plan inherits (and may override). */
  basePlan?: string;
  /** Default `PAID` when prices are given, else `FREE`. */
  pricingType?: PricingType;
  prices?: PriceDef[];
  entitlements: EntitlementDef[];
  /**
   * Provisioning this plan (when it has a price) for a customer without a payment method answers
   * `PAYMENT_REQUIRED` with a checkout URL instead of creating the subscription. Default false.
   */
  requiresPayment?: boolean;
}

/** A custom currency credits are granted and consumed in (Stigg's custom currencies). */
export interface CurrencyDef {
  id: string;
  displayName: string;
  symbol?: string;
  units?: { singular: string; plural: string };
}

export interface AddonDef {
  id: string;
  displayName: string;
  description?: string;
  compatiblePlans: string[];
  maxQuantity?: number;
  prices?: PriceDef[];
  entitlements: EntitlementDef[];
}

export interface CouponDef {
  id: string;
  name: string;
  description?: string;
  percentOff?: number;
  amountOff?: number;
  currency?: string;
  /**
   * Codes customers type that apply this coupon to a subscription (`promotionCode`; matched ignoring case).
   * Any other code is refused with `PromotionCodeNotFound`.
   */
  promotionCodes?: string[];
}

export interface SeedSubscriptionDef {
  plan: string;
  resourceId?: string;
  addons?: { addon: string; quantity?: number }[];
  startDate?: string;
}

/** Customers present when the server starts with empty state. */
export interface SeedCustomerDef {
  id: string;
  name?: string;
  email?: string;
  subscriptions?: SeedSubscriptionDef[];
}

export interface Catalog {
  /** Shown in `packagePublished` events; default `env-tollgate-local`. */
  environmentId?: string;
  accountId?: string;
  products: ProductDef[];
  features: FeatureDef[];
  plans: PlanDef[];
  addons?: AddonDef[];
  coupons?: CouponDef[];
  /** Custom currencies for credits. */
  currencies?: CurrencyDef[];
  /** Exclusive tax added to estimates, previews and invoices, in percent; default 0 (no tax). */
  taxPercentage?: number;
  customers?: SeedCustomerDef[];
}
