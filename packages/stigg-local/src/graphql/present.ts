import type { Grant } from '../catalog/grant.js';
import type { PriceDef } from '../catalog/types.js';
import { isActive, statusOf } from '../model/entitlements.js';
import { stableUuid } from '../model/ids.js';
import type { CustomerRecord, PromotionRecord, SubscriptionRecord } from '../model/records.js';
import { currencyOf, subscriptionCharges } from '../model/pricing.js';
import type { Store } from '../model/store.js';
import { billingPeriodEnd } from '../model/subscriptions.js';
import { latestInvoiceOf } from '../model/billing.js';
import { pendingUpdates } from '../model/schedules.js';
import type { ScheduledUpdateRecord } from '../model/records.js';
import { currentVersion, planDefOf, planGrantsOf, versionOf } from '../model/versions.js';

/**
 * Records -> GraphQL objects. Related objects are functions, so graphql-js resolves them only when a query
 * selects them (and cyclic links such as plan -> product -> downgrade plan cost nothing until asked for).
 */

const money = (amount: number, currency: string) => ({ __typename: 'Money', amount, currency });

export function presentCatalogFeature(store: Store, featureId: string) {
  const f = store.catalog.features.get(featureId);
  return {
    __typename: 'Feature',
    refId: featureId,
    displayName: f?.displayName ?? featureId,
    description: f?.description ?? null,
    featureType: f?.type ?? 'BOOLEAN',
    meterType: f?.meterType ?? 'None',
    featureUnits: f?.units ?? null,
    featureUnitsPlural: f?.unitsPlural ?? null,
    additionalMetaData: null,
  };
}

function presentPackageEntitlement(store: Store, grant: Grant) {
  return {
    __typename: 'PackageEntitlement',
    // Stigg answers the feature's internal id here; its ref id (the id users write) is `feature.refId`.
    featureId: store.catalog.internalId('feature', grant.featureId),
    feature: presentCatalogFeature(store, grant.featureId),
    isGranted: true,
    usageLimit: grant.hasUnlimitedUsage ? null : grant.usageLimit,
    hasUnlimitedUsage: grant.hasUnlimitedUsage,
    hasSoftLimit: grant.hasSoftLimit,
    enumValues: grant.enumValues,
    resetPeriod: grant.resetPeriod,
    isCustom: false,
    displayNameOverride: null,
    hiddenFromWidgets: [],
  };
}

/** A catalog price: a flat fee (or a price per unit) per billing period. */
export function presentPrice(p: PriceDef) {
  return {
    __typename: 'Price',
    billingModel: p.billingModel ?? 'FLAT_FEE',
    billingPeriod: p.billingPeriod,
    billingCadence: 'RECURRING',
    billingId: null,
    billingCountryCode: null,
    price: money(p.amount, currencyOf(p)),
    minUnitQuantity: null,
    maxUnitQuantity: null,
    blockSize: null,
    creditRate: null,
    tiersMode: null,
    tiers: null,
    feature: null,
  };
}

const presentPrices = (prices: PriceDef[] | undefined) => (prices ?? []).map(presentPrice);

export function presentProduct(store: Store, productId: string) {
  const p = store.catalog.products.get(productId);
  return {
    __typename: 'Product',
    refId: productId,
    displayName: p?.displayName ?? productId,
    description: p?.description ?? null,
    additionalMetaData: null,
    productSettings: () => ({
      __typename: 'ProductSettings',
      downgradePlan: p?.downgradePlan ? presentPlan(store, p.downgradePlan) : null,
    }),
  };
}

export function presentAddon(store: Store, addonId: string) {
  const a = store.catalog.addons.get(addonId);
  return {
    __typename: 'Addon',
    id: store.catalog.internalId('addon', addonId),
    refId: addonId,
    displayName: a?.displayName ?? addonId,
    description: a?.description ?? null,
    maxQuantity: a?.maxQuantity ?? null,
    pricingType: a?.prices?.length ? 'PAID' : 'FREE',
    additionalMetaData: null,
    billingId: null,
    dependencies: [],
    hiddenFromWidgets: [],
    prices: () => presentPrices(a?.prices),
    overagePrices: [],
    entitlements: () =>
      [...store.catalog.addonGrants(addonId).values()].map((g) => presentPackageEntitlement(store, g)),
  };
}

export function presentPlan(store: Store, planId: string, onVersion?: SubscriptionRecord) {
  const plan = onVersion ? planDefOf(store, onVersion, planId) : store.catalog.plans.get(planId);
  const own = new Set(plan?.entitlements.map((e) => e.feature));
  const grants = [...(onVersion ? planGrantsOf(store, onVersion) : store.catalog.planGrants(planId)).values()];
  return {
    __typename: 'Plan',
    id: store.catalog.internalId('plan', planId),
    refId: planId,
    displayName: plan?.displayName ?? planId,
    description: plan?.description ?? null,
    pricingType: plan ? store.catalog.pricingTypeOf(plan) : null,
    versionNumber: onVersion ? versionOf(store, onVersion, 'plan', planId) : currentVersion(store, 'plan', planId),
    additionalMetaData: null,
    billingId: null,
    hiddenFromWidgets: [],
    defaultTrialConfig: null,
    compatiblePackageGroups: [],
    product: () => presentProduct(store, plan?.product ?? ''),
    basePlan: () => (plan?.basePlan ? presentPlan(store, plan.basePlan) : null),
    entitlements: () => grants.filter((g) => own.has(g.featureId)).map((g) => presentPackageEntitlement(store, g)),
    inheritedEntitlements: () =>
      grants.filter((g) => !own.has(g.featureId)).map((g) => presentPackageEntitlement(store, g)),
    compatibleAddons: () =>
      [...store.catalog.addons.values()]
        .filter((a) => a.compatiblePlans.includes(planId))
        .map((a) => presentAddon(store, a.id)),
    prices: () => presentPrices(plan?.prices),
    overagePrices: [],
  };
}

export function presentCoupon(store: Store, couponId: string) {
  const c = store.catalog.coupons.get(couponId);
  const at = store.catalog.publishedAt.toISOString();
  return {
    __typename: 'Coupon',
    id: store.catalog.internalId('coupon', couponId),
    refId: couponId,
    name: c?.name ?? couponId,
    description: c?.description ?? null,
    type: c?.percentOff !== undefined ? 'PERCENTAGE' : 'FIXED',
    discountValue: c?.percentOff ?? c?.amountOff ?? 0,
    percentOff: c?.percentOff ?? null,
    amountsOff: c?.amountOff !== undefined ? [money(c.amountOff, currencyOf(c))] : null,
    status: 'ACTIVE',
    createdAt: at,
    updatedAt: at,
    additionalMetaData: null,
    billingId: null,
    billingLinkUrl: null,
    syncStates: [],
  };
}

export function presentPromotion(store: Store, p: PromotionRecord) {
  const ended = p.endDate !== null && Date.parse(p.endDate) <= store.now();
  return {
    __typename: 'PromotionalEntitlement',
    id: p.id,
    featureId: store.catalog.internalId('feature', p.grant.featureId),
    feature: presentCatalogFeature(store, p.grant.featureId),
    status: ended ? 'Expired' : 'Active',
    usageLimit: p.grant.hasUnlimitedUsage ? null : p.grant.usageLimit,
    hasUnlimitedUsage: p.grant.hasUnlimitedUsage,
    hasSoftLimit: p.grant.hasSoftLimit,
    resetPeriod: p.grant.resetPeriod,
    endDate: p.endDate,
    isVisible: p.isVisible,
  };
}

export function presentCustomer(store: Store, c: CustomerRecord) {
  return {
    __typename: 'Customer',
    id: c.id,
    refId: c.customerId,
    customerId: c.customerId,
    name: c.name,
    email: c.email,
    billingId: c.billingId,
    additionalMetaData: c.additionalMetaData,
    awsMarketplaceCustomerId: null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    hasPaymentMethod: c.paymentMethodId !== null,
    defaultPaymentMethodType: null,
    defaultPaymentMethodLast4Digits: null,
    defaultPaymentExpirationMonth: null,
    defaultPaymentExpirationYear: null,
    trialedPlans: [],
    eligibleForTrial: [],
    experimentInfo: null,
    hasActiveSubscription: () => store.subscriptionsOf(c.customerId).some((s) => isActive(s, store.now())),
    coupon: () => (c.couponRefId ? presentCoupon(store, c.couponRefId) : null),
    promotionalEntitlements: () => (store.promotions.get(c.customerId) ?? []).map((p) => presentPromotion(store, p)),
    subscriptions: () => store.subscriptionsOf(c.customerId).map((s) => presentSubscription(store, s)),
    statistics: () => {
      const counts = new Map<string, number>();
      for (const s of store.subscriptionsOf(c.customerId)) {
        if (!isActive(s, store.now())) continue;
        const plan = store.catalog.plans.get(s.planId);
        const type = plan ? store.catalog.pricingTypeOf(plan) : 'FREE';
        counts.set(type, (counts.get(type) ?? 0) + 1);
      }
      return {
        __typename: 'CustomerStatistics',
        activeSubscriptionsByPricingType: [...counts].map(([pricingType, totalCount]) => ({ pricingType, totalCount })),
      };
    },
  };
}

export function presentSubscription(store: Store, s: SubscriptionRecord) {
  const plan = store.catalog.plans.get(s.planId);
  const now = store.now();
  const customer = () => {
    const c = store.customers.get(s.customerId);
    return c ? presentCustomer(store, c) : null;
  };
  const status = statusOf(s, now);
  const charges = subscriptionCharges(store, s);
  return {
    __typename: 'CustomerSubscription',
    id: s.id,
    subscriptionId: s.subscriptionId,
    refId: s.subscriptionId,
    status,
    startDate: s.startDate,
    endDate: s.endDate,
    trialEndDate: null,
    cancellationDate: s.cancellationDate,
    effectiveEndDate: s.cancellationDate ?? s.endDate,
    currentBillingPeriodEnd: status === 'ACTIVE' ? billingPeriodEnd(s, now) : null,
    additionalMetaData: s.additionalMetaData,
    billingId: s.billingId,
    billingLinkUrl: null,
    billingSyncError: null,
    latestInvoice: latestInvoiceOf(store, s),
    paymentCollection: 'NOT_REQUIRED',
    paymentCollectionMethod: charges ? 'CHARGE' : 'NONE',
    pricingType: plan ? store.catalog.pricingTypeOf(plan) : 'FREE',
    resource: s.resourceId ? { __typename: 'CustomerResource', resourceId: s.resourceId } : null,
    experimentInfo: null,
    // Paid subscriptions: the plan's price for the billing period; the total adds add-ons, less the coupon.
    prices: charges
      ? [{ __typename: 'SubscriptionPrice', usageLimit: null, price: presentPrice(charges.planPrice) }]
      : [],
    totalPrice: charges
      ? {
          __typename: 'CustomerSubscriptionTotalPrice',
          subTotal: money(charges.subTotal, charges.currency),
          total: money(charges.total, charges.currency),
        }
      : null,
    scheduledUpdates: () =>
      pendingUpdates(s).map((u) => presentScheduledUpdate(store, s, u, 'SubscriptionScheduledUpdate')),
    futureUpdates: () => pendingUpdates(s).map((u) => presentScheduledUpdate(store, s, u, 'SubscriptionFutureUpdate')),
    trialConfiguration: null,
    plan: () => presentPlan(store, s.planId, s),
    addons: () =>
      s.addons.map((a) => ({
        __typename: 'SubscriptionAddon',
        id: stableUuid(`subscription-addon:${s.id}:${a.addonId}`),
        quantity: a.quantity,
        addon: presentAddon(store, a.addonId),
      })),
    customer,
    payingCustomer: () => {
      const c = s.payingCustomerId ? store.customers.get(s.payingCustomerId) : undefined;
      return c ? presentCustomer(store, c) : null;
    },
  };
}

/** A pending scheduled update, with the variables of its kind (`ScheduleVariables` union members). */
function presentScheduledUpdate(store: Store, s: SubscriptionRecord, u: ScheduledUpdateRecord, typename: string) {
  const targetPlan =
    u.type === 'Downgrade' || u.type === 'Plan' ? u.planId : u.type === 'MigrateToLatest' ? s.planId : null;
  const plan = targetPlan ? store.catalog.plans.get(targetPlan) : undefined;
  const addons = (u.addons ?? []).map((a) => ({
    __typename: 'PlanChangeAddon',
    addonRefId: a.addonId,
    quantity: a.quantity,
  }));
  let scheduleVariables: Record<string, unknown> | null = null;
  switch (u.type) {
    case 'Downgrade':
      scheduleVariables = {
        __typename: 'DowngradeChangeVariables',
        downgradePlanRefId: u.planId,
        billingPeriod: u.billingPeriod ?? null,
        billableFeatures: null,
        addons,
        priceOverrides: null,
      };
      break;
    case 'Plan':
      scheduleVariables = {
        __typename: 'PlanChangeVariables',
        planRefId: u.planId,
        changeType: 'UPGRADE',
        billingPeriod: u.billingPeriod ?? null,
        billableFeatures: null,
        addons,
        priceOverrides: null,
      };
      break;
    case 'BillingPeriod':
      scheduleVariables = { __typename: 'BillingPeriodChangeVariables', billingPeriod: u.billingPeriod ?? null };
      break;
    case 'UnitAmount':
      scheduleVariables = {
        __typename: 'UnitAmountChangeVariables',
        newUnitAmount: u.unitQuantity ?? null,
        featureId: null,
      };
      break;
    case 'Addon':
      scheduleVariables = { __typename: 'AddonChangeVariables', addonRefId: u.addonId, newQuantity: u.quantity ?? 0 };
      break;
  }
  return {
    __typename: typename,
    subscriptionScheduleType: u.type,
    scheduleStatus: u.status,
    scheduledExecutionTime: u.executeAt,
    targetPackage: plan
      ? {
          __typename: 'PackageDTO',
          id: store.catalog.internalId('plan', plan.id),
          refId: plan.id,
          displayName: plan.displayName,
        }
      : null,
    scheduleVariables,
  };
}
