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
  startDate: string;
  endDate: string | null;
  cancellationDate: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PromotionRecord {
  id: string;
  customerId: string;
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
}
