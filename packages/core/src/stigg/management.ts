import type * as T from '../client/management.js';
import { TollgateError } from '../errors.js';
import type * as S from './sdk-shapes.js';

/**
 * Refuses a call that asks for what the facade cannot pass on to Stigg (billing details, trials, ...): a write that
 * silently dropped part of what it was asked would be worse than one that fails. `undefined` and `null` pass.
 */
export function refuseUnsupported(call: string, input: object, fields: readonly string[]): void {
  const given = fields.filter((f) => {
    const v = (input as Record<string, unknown>)[f];
    return v !== undefined && v !== null;
  });
  if (given.length > 0)
    throw new TollgateError(
      'INVALID_REQUEST',
      `${call}: ${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} not supported by @tollgate/core/stigg (call Stigg's SDK or API for it)`,
    );
}

const date = (iso: string | null | undefined) => (iso ? new Date(iso) : undefined);
const isoOf = (d: Date | string | undefined) => (d === undefined ? undefined : d instanceof Date ? d.toISOString() : d);
const metadataOf = (m: Record<string, unknown> | null | undefined) => (m ?? null) as S.Metadata | null;
const present = <V>(key: string, value: V | undefined) => (value === undefined ? {} : { [key]: value });

export const CUSTOMER_UNSUPPORTED = [
  'salesforceId',
  'billingInfo',
  'excludeFromExperiment',
  'awsMarketplaceCustomerId',
] as const;
export const UPDATE_CUSTOMER_UNSUPPORTED = [
  'salesforceId',
  'billingInfo',
  'shouldWaitSync',
  'integrationId',
  'awsMarketplaceCustomerId',
] as const;
const SUBSCRIPTION_PARAMS_UNSUPPORTED = [
  'billableFeatures',
  'skipTrial',
  'awaitPaymentConfirmation',
  'billingInformation',
  'promotionCode',
  'appliedCoupon',
  'trialOverrideConfiguration',
  'priceOverrides',
] as const;
export const PROVISION_SUBSCRIPTION_UNSUPPORTED = [
  ...SUBSCRIPTION_PARAMS_UNSUPPORTED,
  'payingCustomerId',
  'billingId',
  'salesforceId',
  'checkoutOptions',
  'billingCountryCode',
  'subscriptionEntitlements',
  'scheduleStrategy',
  'paymentCollectionMethod',
] as const;
export const UPDATE_SUBSCRIPTION_UNSUPPORTED = [
  'billableFeatures',
  'awaitPaymentConfirmation',
  'billingInformation',
  'subscriptionEntitlements',
  'trialEndDate',
  'scheduleStrategy',
  'appliedCoupon',
  'priceOverrides',
] as const;
export const CANCEL_SUBSCRIPTION_UNSUPPORTED = [
  'subscriptionCancellationAction',
  'prorate',
  'awaitSubscriptionCancellation',
] as const;
export const GRANT_UNSUPPORTED = [
  'isVisible',
  'monthlyResetPeriodConfiguration',
  'weeklyResetPeriodConfiguration',
  'yearlyResetPeriodConfiguration',
] as const;

// ------------------------------------------------------------------------------------------------------------
// Inputs

export function subscriptionParams(p: S.CreateSubscriptionParams): T.SubscriptionParams {
  refuseUnsupported('provisionCustomer subscriptionParams', p, SUBSCRIPTION_PARAMS_UNSUPPORTED);
  return {
    planId: p.planId,
    ...present('refId', p.id),
    ...present('resourceId', p.resourceId),
    ...present('billingPeriod', p.billingPeriod),
    ...present('addons', p.addons),
    ...present('unitQuantity', p.unitQuantity),
    ...present('startDate', isoOf(p.startDate)),
    ...present('additionalMetaData', p.metadata ?? undefined),
  };
}

export function provisionCustomerInput(input: S.ProvisionCustomer): T.ProvisionCustomerInput {
  refuseUnsupported('provisionCustomer', input, CUSTOMER_UNSUPPORTED);
  if (!input.customerId)
    throw new TollgateError(
      'INVALID_REQUEST',
      'provisionCustomer: customerId is required by @tollgate/core/stigg (Stigg would make one up)',
    );
  return {
    customerId: input.customerId,
    ...present('name', input.name),
    ...present('email', input.email),
    ...present('billingId', input.billingId),
    ...present('couponRefId', input.couponId),
    ...present('additionalMetaData', input.metadata ?? undefined),
    ...(input.subscriptionParams ? { subscriptionParams: subscriptionParams(input.subscriptionParams) } : {}),
  };
}

export function updateCustomerInput(input: S.UpdateCustomer): T.UpdateCustomerInput {
  refuseUnsupported('updateCustomer', input, UPDATE_CUSTOMER_UNSUPPORTED);
  if (input.couponId === null)
    throw new TollgateError('INVALID_REQUEST', 'updateCustomer: removing a coupon (couponId: null) is not supported');
  return {
    customerId: input.customerId,
    ...present('name', input.name),
    ...present('email', input.email),
    ...present('billingId', input.billingId),
    ...present('couponRefId', input.couponId),
    ...present('additionalMetaData', input.metadata ?? undefined),
  };
}

export function provisionSubscriptionInput(input: S.ProvisionSubscription): T.ProvisionSubscriptionInput {
  refuseUnsupported('provisionSubscription', input, PROVISION_SUBSCRIPTION_UNSUPPORTED);
  return {
    customerId: input.customerId,
    planId: input.planId,
    ...present('refId', input.id),
    ...present('resourceId', input.resourceId),
    ...present('billingPeriod', input.billingPeriod),
    ...present('addons', input.addons),
    ...present('unitQuantity', input.unitQuantity),
    ...present('startDate', isoOf(input.startDate)),
    ...present('additionalMetaData', input.metadata ?? undefined),
  };
}

export function updateSubscriptionInput(input: S.UpdateSubscription): T.UpdateSubscriptionInput {
  refuseUnsupported('updateSubscription', input, UPDATE_SUBSCRIPTION_UNSUPPORTED);
  return {
    subscriptionId: input.subscriptionId,
    ...present('billingPeriod', input.billingPeriod),
    ...present('addons', input.addons),
    ...present('unitQuantity', input.unitQuantity),
    ...present('additionalMetaData', input.metadata ?? undefined),
  };
}

export function cancelSubscriptionInput(input: S.CancelSubscription): T.CancelSubscriptionInput {
  refuseUnsupported('cancelSubscription', input, CANCEL_SUBSCRIPTION_UNSUPPORTED);
  return {
    subscriptionId: input.subscriptionId,
    ...present('subscriptionCancellationTime', input.subscriptionCancellationTime),
    ...present('endDate', isoOf(input.endDate)),
  };
}

export function grantInput(g: S.GrantPromotionalEntitlementInput): T.GrantPromotionalEntitlementInput {
  refuseUnsupported('grantPromotionalEntitlements', g, GRANT_UNSUPPORTED);
  return {
    featureId: g.featureId,
    period: g.period,
    ...present('customEndDate', isoOf(g.customEndDate)),
    ...present('usageLimit', g.usageLimit),
    ...present('hasUnlimitedUsage', g.hasUnlimitedUsage),
    ...present('hasSoftLimit', g.hasSoftLimit),
    ...present('resetPeriod', g.resetPeriod),
    ...present('enumValues', g.enumValues),
  };
}

// ------------------------------------------------------------------------------------------------------------
// Results: the SDK gives your ids as `id` (Stigg's own ids are not shown), Stigg's `additionalMetaData` as
// `metadata`, dates as Dates, and leaves out what Stigg answered null.

export function toCustomer(c: T.Customer): S.Customer {
  return {
    id: c.customerId,
    name: c.name || undefined,
    email: c.email || undefined,
    billingId: c.billingId || undefined,
    createdAt: new Date(c.createdAt ?? c.updatedAt),
    updatedAt: new Date(c.updatedAt),
    metadata: metadataOf(c.additionalMetaData),
  };
}

export function toSubscription(s: T.Subscription): S.Subscription {
  const addons = s.addons ?? [];
  return {
    id: s.subscriptionId,
    resource: s.resource ? { id: s.resource.resourceId } : null,
    planId: s.plan.refId,
    status: s.status,
    addons: addons.map((a) => ({ addonId: a.addon.refId, quantity: a.quantity })),
    addonIds: addons.map((a) => a.addon.refId),
    customerId: s.customer.customerId,
    metadata: metadataOf(s.additionalMetaData),
    pricingType: s.pricingType,
    effectiveEndDate: date(s.effectiveEndDate),
  };
}

export function toFullSubscription(s: T.Subscription): S.FullSubscription {
  return {
    id: s.subscriptionId,
    resource: s.resource ? { id: s.resource.resourceId } : null,
    status: s.status,
    plan: { id: s.plan.refId, displayName: s.plan.displayName },
    pricingType: s.pricingType,
    addons: (s.addons ?? []).map((a) => ({ quantity: a.quantity, addon: { id: a.addon.refId } })),
    startDate: new Date(s.startDate),
    endDate: date(s.endDate),
    cancellationDate: date(s.cancellationDate),
    currentBillingPeriodEnd: date(s.currentBillingPeriodEnd),
    effectiveEndDate: date(s.effectiveEndDate),
    metadata: metadataOf(s.additionalMetaData),
  };
}

export function toSlimSubscriptionV2(s: T.Subscription): S.SlimSubscriptionFragmentV2Fragment {
  return {
    subscriptionId: s.subscriptionId,
    status: s.status,
    pricingType: s.pricingType,
    startDate: s.startDate,
    cancellationDate: s.cancellationDate,
    currentBillingPeriodEnd: s.currentBillingPeriodEnd,
    customer: { customerId: s.customer.customerId },
    resource: s.resource ? { resourceId: s.resource.resourceId } : null,
    plan: { displayName: s.plan.displayName, planId: s.plan.refId },
    addons: s.addons ? s.addons.map((a) => ({ quantity: a.quantity, addon: { addonId: a.addon.refId } })) : null,
  };
}

function toPromotion(p: T.PromotionalEntitlement): S.PromotionalEntitlement {
  return {
    status: p.status,
    usageLimit: p.usageLimit || 0,
    feature: { id: p.feature.refId },
    hasUnlimitedUsage: p.hasUnlimitedUsage,
    expiresAt: p.endDate ?? undefined,
    hasExpirationDate: !!p.endDate,
  };
}

export function toFullCustomer(c: T.CustomerWithSubscriptions): S.FullCustomer {
  const subscriptions = (c.subscriptions ?? []).map(toFullSubscription);
  const promotionalEntitlements = c.promotionalEntitlements.map(toPromotion);
  return {
    ...toCustomer(c),
    subscriptions,
    promotionalEntitlements,
    getActiveSubscriptions: () => subscriptions.filter((s) => s.status === 'ACTIVE'),
    getActiveTrials: () => subscriptions.filter((s) => s.status === 'IN_TRIAL'),
    getActivePromotionalEntitlements: () => promotionalEntitlements.filter((p) => p.status === 'Active'),
  };
}

export function toPromotionFragment(p: T.PromotionalEntitlement): S.PromotionalEntitlementFragment {
  return {
    status: p.status,
    usageLimit: p.usageLimit,
    hasUnlimitedUsage: p.hasUnlimitedUsage,
    endDate: p.endDate,
    feature: { refId: p.feature.refId },
  };
}

const toPackageEntitlement = (e: T.PackageEntitlement): S.PackageEntitlement => ({
  usageLimit: e.usageLimit || 0,
  feature: { id: e.featureId },
  hasUnlimitedUsage: e.hasUnlimitedUsage,
  resetPeriod: e.resetPeriod as S.EntitlementResetPeriod | null,
});

export function toPaywall(p: T.Paywall): S.Paywall {
  return {
    plans: p.plans.map((plan, order) => ({
      id: plan.refId,
      order,
      displayName: plan.displayName,
      description: plan.description,
      entitlements: (plan.entitlements ?? []).map(toPackageEntitlement),
      inheritedEntitlements: (plan.inheritedEntitlements ?? []).map(toPackageEntitlement),
      pricePoints: (plan.prices ?? []).map((price) => ({
        billingPeriod: price.billingPeriod,
        amount: price.price ? price.price.amount : null,
        currency: price.price?.currency ?? '',
      })),
      pricingType: plan.pricingType,
      product: { id: plan.product.refId, displayName: plan.product.displayName },
    })),
    activeSubscriptions: p.activeSubscriptions ? p.activeSubscriptions.map(toFullSubscription) : null,
    currency: { code: p.currency.code, symbol: p.currency.symbol },
  };
}
