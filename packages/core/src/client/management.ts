import { isTollgateError } from '../errors.js';
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
  prices: { billingPeriod: 'MONTHLY' | 'ANNUALLY'; price: { amount: number; currency: string } | null }[] | null;
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
  subscriptions: Subscription[] | null;
  promotionalEntitlements: PromotionalEntitlement[];
}

export interface SubscriptionParams {
  planId: string;
  /** Requested subscription id. */
  refId?: string;
  resourceId?: string;
  billingPeriod?: 'MONTHLY' | 'ANNUALLY';
  addons?: { addonId: string; quantity?: number }[];
  unitQuantity?: number;
  startDate?: string;
  additionalMetaData?: Record<string, unknown>;
}

export interface ProvisionCustomerInput {
  customerId: string;
  name?: string;
  email?: string;
  billingId?: string;
  couponRefId?: string;
  additionalMetaData?: Record<string, unknown>;
  subscriptionParams?: SubscriptionParams;
}

export type UpdateCustomerInput = Omit<ProvisionCustomerInput, 'subscriptionParams'>;

export interface ProvisionSubscriptionInput extends SubscriptionParams {
  customerId: string;
}

export interface UpdateSubscriptionInput {
  subscriptionId: string;
  billingPeriod?: 'MONTHLY' | 'ANNUALLY';
  addons?: { addonId: string; quantity?: number }[];
  unitQuantity?: number;
  additionalMetaData?: Record<string, unknown>;
}

export interface CancelSubscriptionInput {
  subscriptionId: string;
  subscriptionCancellationTime?: 'IMMEDIATE' | 'END_OF_BILLING_PERIOD' | 'SPECIFIC_DATE';
  endDate?: string;
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
    const data = await this.write<{ unarchiveCustomer: Customer }>(
      doc.UNARCHIVE_CUSTOMER,
      { customerId },
      'UnarchiveCustomer',
    );
    await this.onCustomerChanged(customerId);
    return data.unarchiveCustomer;
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

  async getPaywall(input: { productId?: string; customerId?: string; resourceId?: string } = {}): Promise<Paywall> {
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
    const data = await this.write<{ grantPromotionalEntitlements: PromotionalEntitlement[] }>(
      doc.GRANT_PROMOTIONS,
      { customerId, promotionalEntitlements },
      'GrantPromotionalEntitlements',
    );
    await this.onCustomerChanged(customerId);
    return data.grantPromotionalEntitlements;
  }

  async revokePromotionalEntitlement(customerId: string, featureId: string): Promise<void> {
    await this.write(doc.REVOKE_PROMOTION, { customerId, featureId }, 'RevokePromotionalEntitlement');
    await this.onCustomerChanged(customerId);
  }

  /** Raw usage events; each carries its idempotency key, so the call is safe to repeat. */
  async reportEvent(events: UsageEvent[]): Promise<void> {
    await this.client.request(doc.REPORT_EVENT, { input: { usageEvents: events } }, 'ReportEvent', {
      idempotent: true,
    });
  }
}
