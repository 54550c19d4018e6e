import type * as T from '../client/management.js';
import { TollgateError } from '../errors.js';
import type * as S from './sdk-shapes.js';

/**
 * Refuses a call that asks for what the facade cannot pass on to Stigg (a field Stigg's input does not have): a
 * write that silently dropped part of what it was asked would be worse than one that fails. `undefined` and `null`
 * pass.
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

/** Stigg's `UpdateCustomerInput` has no `integrationId` (the SDK does not send it either). */
export const UPDATE_CUSTOMER_UNSUPPORTED = ['integrationId'] as const;
export const GRANT_UNSUPPORTED = [
  'isVisible',
  'monthlyResetPeriodConfiguration',
  'weeklyResetPeriodConfiguration',
  'yearlyResetPeriodConfiguration',
] as const;

// ------------------------------------------------------------------------------------------------------------
// Inputs

/** The SDK's trial override with its end date as ISO, as Stigg takes it. */
function trialOverrideOf(t: S.TrialOverrideConfigurationInput | undefined): T.TrialOverrideConfiguration | undefined {
  if (!t) return undefined;
  const { trialEndDate, ...rest } = t;
  return { ...rest, ...present('trialEndDate', trialEndDate === null ? null : isoOf(trialEndDate)) };
}

/** The SDK's applied coupon with its start date as ISO, as Stigg takes it. */
function couponOf(c: S.SubscriptionCouponInput | undefined): T.SubscriptionCoupon | undefined {
  if (!c) return undefined;
  const { configuration, ...rest } = c;
  if (!configuration) return { ...rest, ...present('configuration', configuration) };
  const { startDate } = configuration;
  return { ...rest, configuration: present('startDate', startDate === null ? null : isoOf(startDate)) };
}

/** A customer's first subscription: `unitQuantity` goes as `priceUnitAmount`, as the SDK sends it there. */
export function subscriptionParams(p: S.CreateSubscriptionParams): T.SubscriptionParams {
  // Stigg's `ProvisionCustomerSubscriptionInput` has no `skipTrial` (the SDK sends it, and Stigg refuses the call).
  if (p.skipTrial != null)
    throw new TollgateError(
      'INVALID_REQUEST',
      "provisionCustomer subscriptionParams: skipTrial is not supported by Stigg's API here (give trialOverrideConfiguration: { isTrial: false })",
    );
  return {
    planId: p.planId,
    ...present('refId', p.id),
    ...present('resourceId', p.resourceId),
    ...present('billingPeriod', p.billingPeriod),
    ...present('addons', p.addons),
    ...present('priceUnitAmount', p.unitQuantity),
    ...present('billableFeatures', p.billableFeatures),
    ...present('startDate', isoOf(p.startDate)),
    ...present('additionalMetaData', p.metadata ?? undefined),
    ...present('promotionCode', p.promotionCode),
    ...present('appliedCoupon', couponOf(p.appliedCoupon)),
    ...present('awaitPaymentConfirmation', p.awaitPaymentConfirmation),
    ...present('billingCountryCode', p.billingCountryCode),
    ...present('billingId', p.billingId),
    ...present('billingInformation', p.billingInformation),
    ...present('paymentCollectionMethod', p.paymentCollectionMethod),
    ...present('priceOverrides', p.priceOverrides),
    ...present('salesforceId', p.salesforceId),
    ...present('subscriptionEntitlements', p.subscriptionEntitlements),
    ...present('trialOverrideConfiguration', trialOverrideOf(p.trialOverrideConfiguration)),
  };
}

export function provisionCustomerInput(input: S.ProvisionCustomer): T.ProvisionCustomerInput {
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
    ...present('billingInformation', input.billingInfo),
    ...present('salesforceId', input.salesforceId),
    ...present('awsMarketplaceCustomerId', input.awsMarketplaceCustomerId),
    ...present('excludeFromExperiment', input.excludeFromExperiment),
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
    ...present('billingInformation', input.billingInfo),
    ...present('salesforceId', input.salesforceId),
    ...present('awsMarketplaceCustomerId', input.awsMarketplaceCustomerId),
    ...present('shouldWaitSync', input.shouldWaitSync),
  };
}

export function provisionSubscriptionInput(input: S.ProvisionSubscription): T.ProvisionSubscriptionInput {
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
    ...present('scheduleStrategy', input.scheduleStrategy),
    ...present('promotionCode', input.promotionCode),
    ...present('payingCustomerId', input.payingCustomerId),
    ...present('billingId', input.billingId),
    ...present('salesforceId', input.salesforceId),
    ...present('skipTrial', input.skipTrial),
    ...present('billableFeatures', input.billableFeatures),
    ...present('awaitPaymentConfirmation', input.awaitPaymentConfirmation),
    ...present('billingInformation', input.billingInformation),
    ...present('checkoutOptions', input.checkoutOptions),
    ...present('appliedCoupon', couponOf(input.appliedCoupon)),
    ...present('billingCountryCode', input.billingCountryCode),
    ...present('subscriptionEntitlements', input.subscriptionEntitlements),
    ...present('trialOverrideConfiguration', trialOverrideOf(input.trialOverrideConfiguration)),
    ...present('paymentCollectionMethod', input.paymentCollectionMethod),
    ...present('priceOverrides', input.priceOverrides),
  };
}

export function updateSubscriptionInput(input: S.UpdateSubscription): T.UpdateSubscriptionInput {
  return {
    subscriptionId: input.subscriptionId,
    ...present('billingPeriod', input.billingPeriod),
    ...present('addons', input.addons),
    ...present('unitQuantity', input.unitQuantity),
    ...present('additionalMetaData', input.metadata ?? undefined),
    ...present('scheduleStrategy', input.scheduleStrategy),
    ...present('billableFeatures', input.billableFeatures),
    ...present('awaitPaymentConfirmation', input.awaitPaymentConfirmation),
    ...present('billingInformation', input.billingInformation),
    ...present('subscriptionEntitlements', input.subscriptionEntitlements),
    ...present('trialEndDate', isoOf(input.trialEndDate)),
    ...present('appliedCoupon', couponOf(input.appliedCoupon)),
    ...present('priceOverrides', input.priceOverrides),
  };
}

export function cancelSubscriptionInput(input: S.CancelSubscription): T.CancelSubscriptionInput {
  return {
    subscriptionId: input.subscriptionId,
    ...present('subscriptionCancellationTime', input.subscriptionCancellationTime),
    ...present('endDate', isoOf(input.endDate)),
    ...present('subscriptionCancellationAction', input.subscriptionCancellationAction),
    ...present('prorate', input.prorate),
    ...present('awaitSubscriptionCancellation', input.awaitSubscriptionCancellation),
  };
}

export function estimateSubscriptionInput(
  input: S.EstimateSubscription & { trialOverrideConfiguration?: S.TrialOverrideConfigurationInput },
): T.EstimateSubscriptionInput {
  return {
    customerId: input.customerId,
    planId: input.planId,
    ...present('resourceId', input.resourceId),
    ...present('billingPeriod', input.billingPeriod),
    ...present('addons', input.addons),
    ...present('unitQuantity', input.unitQuantity),
    ...present('billableFeatures', input.billableFeatures),
    ...present('startDate', isoOf(input.startDate)),
    ...present('promotionCode', input.promotionCode),
    ...present('skipTrial', input.skipTrial),
    ...present('billingCountryCode', input.billingCountryCode),
    ...present('payingCustomerId', input.payingCustomerId),
    ...present('billingInformation', input.billingInformation),
    ...present('appliedCoupon', couponOf(input.appliedCoupon)),
    ...present('trialOverrideConfiguration', trialOverrideOf(input.trialOverrideConfiguration)),
  };
}

export function estimateSubscriptionUpdateInput(
  input: S.EstimateSubscriptionUpdate,
): T.EstimateSubscriptionUpdateInput {
  return {
    subscriptionId: input.subscriptionId,
    ...present('addons', input.addons),
    ...present('unitQuantity', input.unitQuantity),
    ...present('billableFeatures', input.billableFeatures),
    ...present('promotionCode', input.promotionCode),
    ...present('appliedCoupon', couponOf(input.appliedCoupon)),
  };
}

export function previewSubscriptionInput(input: S.PreviewSubscription): T.PreviewSubscriptionInput {
  return {
    customerId: input.customerId,
    planId: input.planId,
    ...present('payingCustomerId', input.payingCustomerId),
    ...present('resourceId', input.resourceId),
    ...present('addons', input.addons),
    ...present('startDate', isoOf(input.startDate)),
    ...present('billingPeriod', input.billingPeriod),
    ...present('billingCountryCode', input.billingCountryCode),
    ...present('unitQuantity', input.unitQuantity),
    ...present('billableFeatures', input.billableFeatures),
    ...present('billingInformation', input.billingInformation),
    ...present('promotionCode', input.promotionCode),
    ...present('appliedCoupon', couponOf(input.appliedCoupon)),
    ...present('scheduleStrategy', input.scheduleStrategy),
  };
}

/** `getSubscriptions`' filter and page, as the SDK sends them (`limit` 10 by default). */
export function getSubscriptionsInput(params: S.GetSubscriptionsParams): T.GetSubscriptionsInput {
  const { limit, startingAfter, endingBefore } = params.pagination ?? { limit: 10 };
  return {
    ...(params.customerId ? { customerId: params.customerId } : {}),
    ...(params.resourceId ? { resourceId: params.resourceId } : {}),
    ...(params.status ? { status: params.status } : {}),
    ...(params.productId ? { productId: params.productId } : {}),
    paging: startingAfter
      ? { ...present('first', limit), after: startingAfter }
      : endingBefore
        ? { ...present('last', limit), before: endingBefore }
        : present('first', limit),
  };
}

export function applySubscriptionInput(input: S.ApplySubscription): T.ApplySubscriptionInput {
  return {
    ...estimateSubscriptionInput({
      customerId: input.customerId,
      planId: input.planId,
      resourceId: input.resourceId,
      billingPeriod: input.billingPeriod,
      addons: input.addons,
      unitQuantity: input.unitQuantity,
      billableFeatures: input.billableFeatures,
      startDate: input.startDate,
      promotionCode: input.promotionCode,
      skipTrial: input.skipTrial,
      billingCountryCode: input.billingCountryCode,
      payingCustomerId: input.payingCustomerId,
      billingInformation: input.billingInformation,
      appliedCoupon: input.appliedCoupon,
      trialOverrideConfiguration: input.trialOverrideConfiguration,
    }),
    ...present('paymentMethodId', input.paymentMethodId),
    ...present('billingId', input.billingId),
    ...present('additionalMetaData', input.metadata ?? undefined),
    ...present('scheduleStrategy', input.scheduleStrategy),
    ...present('paymentCollectionMethod', input.paymentCollectionMethod),
    ...present('priceOverrides', input.priceOverrides),
  };
}

export function grantCreditsInput(input: S.CreditGrantInput): T.GrantCreditsInput {
  refuseUnsupported('grantCredits', input, ['awaitPaymentConfirmation', 'paymentCollectionMethod', 'environmentId']);
  return {
    customerId: input.customerId,
    currencyId: input.currencyId,
    amount: input.amount,
    displayName: input.displayName,
    grantType: input.grantType,
    ...present('resourceId', input.resourceId ?? undefined),
    ...present('effectiveAt', isoOf(input.effectiveAt ?? undefined)),
    ...present('expireAt', isoOf(input.expireAt ?? undefined)),
    ...present('priority', input.priority ?? undefined),
    ...present('comment', input.comment ?? undefined),
    // Stigg's default currency when none is given, as the SDK sends it.
    ...present(
      'cost',
      input.cost
        ? ({ amount: input.cost.amount, ...(input.cost.currency ? { currency: input.cost.currency } : {}) } as T.Money)
        : undefined,
    ),
    ...present('additionalMetaData', input.additionalMetaData ?? undefined),
  };
}

/** A scope of credits (customer, currency, resource) as Tollgate's calls take it. */
export function creditScope(
  call: string,
  input: S.CreditBalanceSummaryInput | S.GetCreditGrantsInput,
): { customerId: string; currencyId?: string; resourceId?: string } {
  refuseUnsupported(call, input, ['environmentId', 'paging']);
  return {
    customerId: input.customerId,
    ...present('currencyId', input.currencyId ?? undefined),
    ...present('resourceId', input.resourceId ?? undefined),
  };
}

export function usageHistoryInput(input: S.UsageHistoryV2Input) {
  refuseUnsupported('getUsageHistoryV2', input, ['groupBy', 'environmentId']);
  return {
    customerId: input.customerId,
    featureId: input.featureId,
    startDate: isoOf(input.startDate)!,
    ...present('resourceId', input.resourceId ?? undefined),
    ...present('endDate', isoOf(input.endDate ?? undefined)),
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

const moneyOf = (m: T.Money): S.Money => ({ amount: m.amount, currency: m.currency });
const tiersOf = (tiers: T.SubscriptionPrice['tiers']): S.PriceTier[] | null =>
  tiers?.map((t) => ({ upTo: t.upTo, flatPrice: t.flatPrice, unitPrice: t.unitPrice })) ?? null;
const currencyOf = (p: T.SubscriptionPrice) =>
  p.price?.currency || p.tiers?.[0]?.unitPrice?.currency || p.tiers?.[0]?.flatPrice?.currency || 'USD';

/** One of a subscription's prices, as the SDK maps it. */
function toPrice(p: T.SubscriptionPrice, usageLimit: number | null): S.Price {
  return {
    pricingModel: p.billingModel,
    billingPeriod: p.billingPeriod,
    billingCadence: p.billingCadence,
    billingId: p.billingId,
    amount: p.price ? p.price.amount : null,
    currency: currencyOf(p),
    tiers: tiersOf(p.tiers),
    tiersMode: p.tiersMode,
    minUnitQuantity: p.minUnitQuantity,
    maxUnitQuantity: p.maxUnitQuantity,
    billingCountryCode: p.billingCountryCode,
    blockSize: p.blockSize,
    creditRate: p.creditRate ? { amount: p.creditRate.amount } : null,
    ...(p.feature
      ? {
          feature: {
            featureId: p.feature.refId,
            displayName: p.feature.displayName,
            description: p.feature.description,
            units: p.feature.featureUnits,
            unitsPlural: p.feature.featureUnitsPlural,
            unitQuantity: usageLimit,
          },
        }
      : {}),
  };
}

/** The fields of a subscription's price and billing, as the SDK gives them on `Subscription` and `FullSubscription`. */
function billingOf(s: T.Subscription) {
  const [plan] = s.prices ?? [];
  const total = s.totalPrice ? { subTotal: moneyOf(s.totalPrice.subTotal), total: moneyOf(s.totalPrice.total) } : null;
  const price: S.SubscriptionPrice | null =
    plan?.price && total
      ? {
          pricingModel: plan.price.billingModel,
          billingPeriod: plan.price.billingPeriod,
          amount: total.total.amount,
          grossAmount: total.subTotal.amount,
          currency: currencyOf(plan.price),
          tiersMode: plan.price.tiersMode,
          tiers: tiersOf(plan.price.tiers),
          ...(plan.price.feature
            ? {
                feature: {
                  featureId: plan.price.feature.refId,
                  displayName: plan.price.feature.displayName,
                  units: plan.price.feature.featureUnits,
                  unitsPlural: plan.price.feature.featureUnitsPlural,
                  unitQuantity: plan.usageLimit,
                },
              }
            : {}),
        }
      : null;
  const invoice = s.latestInvoice;
  const experiment = s.experimentInfo;
  return {
    price,
    prices: (s.prices ?? []).filter((p) => !!p.price).map((p) => toPrice(p.price!, p.usageLimit)),
    totalPrice: total,
    billingId: s.billingId || undefined,
    billingLinkUrl: s.billingLinkUrl || undefined,
    experimentInfo: experiment
      ? { name: experiment.name, id: experiment.id, groupType: experiment.groupType, groupName: experiment.groupName }
      : {},
    latestInvoice: invoice
      ? { ...invoice, createdAt: date(invoice.createdAt), updatedAt: date(invoice.updatedAt) }
      : undefined,
    paymentCollection: s.paymentCollection,
    billingSyncError: s.billingSyncError || undefined,
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
    ...billingOf(s),
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
    ...billingOf(s),
    paymentCollectionMethod: s.paymentCollectionMethod || undefined,
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
    hasPaymentMethod: c.hasPaymentMethod,
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
        billingCountryCode: price.billingCountryCode,
      })),
      pricingType: plan.pricingType,
      product: { id: plan.product.refId, displayName: plan.product.displayName },
    })),
    activeSubscriptions: p.activeSubscriptions ? p.activeSubscriptions.map(toFullSubscription) : null,
    currency: { code: p.currency.code, symbol: p.currency.symbol },
  };
}

const money = (m: T.Money): S.Money => ({ amount: m.amount, currency: m.currency });

/** Stigg's estimate as the SDK maps it: Dates, and tax only with its details, as the SDK gives them. */
export function toSubscriptionPreview(e: T.SubscriptionEstimate): S.SubscriptionPreview {
  const { discount, proration, subscription } = e;
  return {
    total: money(e.total),
    totalExcludingTax: money(e.totalExcludingTax),
    subTotal: money(e.subTotal),
    ...(e.tax && e.taxDetails
      ? {
          tax: money(e.tax),
          taxDetails: {
            displayName: e.taxDetails.displayName,
            percentage: e.taxDetails.percentage,
            inclusive: e.taxDetails.inclusive,
          },
        }
      : {}),
    ...(discount
      ? {
          discount: {
            type: discount.type,
            value: discount.value,
            durationType: discount.durationType,
            ...(discount.durationInMonths ? { durationInMonths: discount.durationInMonths } : {}),
          },
        }
      : {}),
    billingPeriodRange: {
      start: date(e.billingPeriodRange.start),
      end: date(e.billingPeriodRange.end),
    },
    proration: proration
      ? {
          credit: money(proration.credit),
          debit: money(proration.debit),
          netAmount: money(proration.netAmount),
          prorationDate: new Date(proration.prorationDate),
        }
      : undefined,
    subscription: subscription
      ? {
          total: money(subscription.total),
          totalExcludingTax: money(subscription.totalExcludingTax),
          subTotal: money(subscription.subTotal),
          tax: money(subscription.tax),
        }
      : undefined,
  };
}

export function toInvoicePreview(p: T.InvoicePreview): S.SubscriptionInvoicePreviewFragment {
  return {
    lastUpdatedAt: p.lastUpdatedAt,
    amountDue: money(p.amountDue),
    total: money(p.total),
    totalExcludingTax: money(p.totalExcludingTax),
    subTotal: money(p.subTotal),
    tax: p.tax ? money(p.tax) : null,
    lines: p.lines.map((l) => ({
      type: l.type,
      description: l.description,
      amount: money(l.amount),
      quantity: l.quantity,
      proration: l.proration,
      period: { start: l.period.start, end: l.period.end },
    })),
  };
}

export function toCreditGrant(g: T.CreditGrant): S.CreditGrantFragment {
  return {
    grantId: g.grantId,
    amount: g.amount,
    comment: g.comment,
    currencyId: g.currencyId,
    customerId: g.customerId,
    displayName: g.displayName,
    effectiveAt: g.effectiveAt,
    expireAt: g.expireAt,
    grantType: g.grantType,
    priority: g.priority,
    consumedAmount: g.consumedAmount,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
    resourceId: g.resourceId,
    additionalMetaData: g.additionalMetaData,
    cost: money(g.cost),
  };
}

export function toCreditBalance(b: T.CreditBalance): S.CreditBalanceFragment {
  return {
    customerId: b.customerId,
    currentBalance: b.currentBalance,
    totalConsumed: b.totalConsumed,
    totalGranted: b.totalGranted,
    resourceId: b.resourceId,
    validUntil: b.validUntil,
    currency: {
      currencyId: b.currency.currencyId,
      displayName: b.currency.displayName,
      symbol: b.currency.symbol,
      units: b.currency.units ? { singular: b.currency.units.singular, plural: b.currency.units.plural } : null,
    },
  };
}

const taxOf = (i: { tax: T.Money | null; taxDetails: T.PreviewTaxDetails | null }) =>
  i.tax && i.taxDetails
    ? {
        tax: money(i.tax),
        taxDetails: {
          displayName: i.taxDetails.displayName,
          percentage: i.taxDetails.percentage,
          inclusive: i.taxDetails.inclusive,
        },
      }
    : {};

function toPreviewInvoice(i: T.SubscriptionPreviewInvoice): S.SubscriptionPreviewInvoice {
  const d = i.discountDetails;
  return {
    total: money(i.total),
    subTotal: money(i.subTotal),
    totalExcludingTax: money(i.totalExcludingTax),
    discount: i.discount ? money(i.discount) : undefined,
    ...(d
      ? {
          discountDetails: {
            type: d.type,
            value: d.value,
            durationType: d.durationType,
            ...(d.durationInMonths ? { durationInMonths: d.durationInMonths } : {}),
          },
        }
      : {}),
    ...taxOf(i),
  };
}

/** Stigg's preview as the SDK maps it (`mapSubscriptionPreviewV2`): Dates, tax only with its details. */
export function toSubscriptionPreviewV2(p: T.SubscriptionPreviewV2): S.SubscriptionPreviewV2 {
  const { immediateInvoice: now, recurringInvoice: recurring, billingPeriodRange: range } = p;
  return {
    immediateInvoice: {
      ...toPreviewInvoice(now),
      proration: now.proration
        ? {
            credit: money(now.proration.credit),
            debit: money(now.proration.debit),
            netAmount: money(now.proration.netAmount),
            prorationDate: new Date(now.proration.prorationDate),
            hasProrations: now.proration.hasProrations || undefined,
          }
        : undefined,
      credits: now.credits
        ? {
            initial: money(now.credits.initial),
            used: money(now.credits.used),
            remaining: money(now.credits.remaining),
          }
        : undefined,
    },
    recurringInvoice: recurring ? toPreviewInvoice(recurring) : undefined,
    billingPeriodRange: { start: date(range.start), end: date(range.end) },
    isPlanDowngrade: !!p.isPlanDowngrade,
    hasScheduledUpdates: !!p.hasScheduledUpdates,
  };
}

/** A listed subscription as Stigg answers it to the SDK (`SubscriptionQueryFragment`: `planId`, `addonId` aliases). */
export function toSubscriptionQuery(s: T.SubscriptionSummary): S.SubscriptionQueryFragment {
  return {
    subscriptionId: s.subscriptionId,
    status: s.status,
    pricingType: s.pricingType,
    startDate: s.startDate,
    currentBillingPeriodEnd: s.currentBillingPeriodEnd,
    trialEndDate: s.trialEndDate,
    customer: { customerId: s.customer.customerId },
    payingCustomer: s.payingCustomer ? { customerId: s.payingCustomer.customerId } : null,
    resource: s.resource ? { resourceId: s.resource.resourceId } : null,
    plan: { displayName: s.plan.displayName, planId: s.plan.refId },
    addons: s.addons ? s.addons.map((a) => ({ quantity: a.quantity, addon: { addonId: a.addon.refId } })) : null,
    trialConfiguration: s.trialConfiguration ? { trialEndBehavior: s.trialConfiguration.trialEndBehavior } : null,
  };
}
