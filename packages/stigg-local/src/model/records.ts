import type { Grant } from '../catalog/grant.js';

/** What stigg-local keeps, in the shape it is persisted. Dates are ISO strings, usage periods epoch ms. */

export interface CustomerRecord {
  id: string;
  customerId: string;
  name: string | null;
  email: string | null;
  billingId: string | null;
  paymentMethodId: string | null;
  couponRefId: string | null;
  additionalMetaData: Record<string, unknown> | null;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
}

export type StoredSubscriptionStatus = 'ACTIVE' | 'IN_TRIAL' | 'CANCELED';

export interface SubscriptionRecord {
  id: string;
  subscriptionId: string;
  customerId: string;
  resourceId: string | null;
  planId: string;
  addons: { addonId: string; quantity: number }[];
  billingPeriod: 'MONTHLY' | 'ANNUALLY' | null;
  unitQuantity: number | null;
  billableFeatures: { featureId: string; quantity: number }[] | null;
  billingId: string | null;
  additionalMetaData: Record<string, unknown> | null;
  /** The coupon a promotion code (or `appliedCoupon`) applied to this subscription. */
  couponId: string | null;
  /** Custom entitlements (custom plans, imports): they replace the plan's grant of the same feature. */
  customGrants: Grant[];
  status: StoredSubscriptionStatus;
  /**
   * Package versions this subscription stays on (`plan:<id>` / `addon:<id>` -> version) after a newer version was
   * published for new customers only; absent or missing keys mean the latest version.
   */
  versions?: Record<string, number>;
  /** The customer that pays for this subscription when it was delegated to another (`delegateSubscriptionToCustomer`). */
  payingCustomerId?: string | null;
  /** Changes that apply later (at the end of the billing period), and those applied or cancelled since. */
  scheduledUpdates?: ScheduledUpdateRecord[];
  startDate: string;
  endDate: string | null;
  cancellationDate: string | null;
  createdAt: string;
  updatedAt: string;
}

export type ScheduleType = 'Downgrade' | 'Plan' | 'Addon' | 'BillingPeriod' | 'UnitAmount' | 'MigrateToLatest';
export type ScheduleStatus = 'Scheduled' | 'PendingPayment' | 'Done' | 'Canceled' | 'Failed';

/** One scheduled change of a subscription (Stigg's `SubscriptionScheduledUpdate`). */
export interface ScheduledUpdateRecord {
  id: string;
  type: ScheduleType;
  status: ScheduleStatus;
  /** When it applies (ISO). */
  executeAt: string;
  createdAt: string;
  /** Downgrade / Plan: the plan the subscription moves to (with its billing period and add-ons). */
  planId?: string;
  billingPeriod?: 'MONTHLY' | 'ANNUALLY' | null;
  addons?: { addonId: string; quantity: number }[];
  /** Addon: the add-on whose quantity changes (0 removes it). */
  addonId?: string;
  quantity?: number;
  /** UnitAmount: the new unit quantity. */
  unitQuantity?: number;
}

/** A credit grant (Stigg's `CreditGrant`); `consumedAmount` grows as credit-metered usage is reported. */
export interface CreditGrantRecord {
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
  cost: { amount: number; currency: string };
  additionalMetaData: Record<string, unknown> | null;
  effectiveAt: string;
  expireAt: string | null;
  voidedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One point of a usage counter's history: when, the value after the report, the usage period it counted in. */
export type UsagePoint = [timestamp: number, value: number, periodStart: number | null];

/** A package's earlier definition, kept while subscriptions stay on it. */
export interface PackageVersionRecord {
  key: string;
  version: number;
  // biome-ignore lint/suspicious/noExplicitAny: a PlanDef or AddonDef, told apart by `key`
  def: any;
}

export interface PromotionRecord {
  id: string;
  customerId: string;
  /** Set when granted as part of a promotional entitlements group. */
  featureGroupId?: string | null;
  grant: Grant;
  isVisible: boolean;
  period: string;
  startDate: string;
  endDate: string | null;
  createdAt: string;
}

export interface UsageRecord {
  value: number;
  /** Start of the usage period the value belongs to; a later period starts from 0. `null` when it never resets. */
  periodStart: number | null;
  updatedAt: number;
}

export type TaskStatus = 'PENDING' | 'IN_PROGRESS' | 'COMPLETED' | 'PARTIALLY_FAILED' | 'FAILED' | 'CANCELED';

export interface ImportTaskRecord {
  id: string;
  status: TaskStatus;
  taskType: 'IMPORT_SUBSCRIPTIONS_BULK';
  progress: number;
  customersCount: number;
  totalSubtasksCount: number;
  importErrors: { id: string; error: string }[];
  createdAt: string;
  startDate: string | null;
  endDate: string | null;
}

export interface Snapshot {
  version: 1;
  customers: CustomerRecord[];
  subscriptions: SubscriptionRecord[];
  promotions: PromotionRecord[];
  usage: [string, UsageRecord][];
  idempotencyKeys: [string, number][];
  importTasks: ImportTaskRecord[];
  /** Added later: files written before them lack these. */
  creditGrants?: CreditGrantRecord[];
  usageHistory?: [string, UsagePoint[]][];
  packageVersions?: [string, number][];
  packageHistory?: PackageVersionRecord[];
}

/** A provisioning that waits for payment: completing its checkout creates the subscription. */
export interface CheckoutRecord {
  token: string;
  customerId: string;
  planId: string;
  createdAt: string;
  /** Where the checkout page sends the browser once paid (`checkoutOptions.successUrl`). */
  successUrl: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: the SubscriptionInput to provision, kept as given
  input: any;
}
