import type { Grant } from '../catalog/grant.js';
import { grantFrom } from '../catalog/grant.js';
import type { EntitlementDef, ResetPeriod } from '../catalog/types.js';
import { badInput, notFound, StiggError } from '../errors.js';
import { isActive } from './entitlements.js';
import { newId } from './ids.js';
import type { SubscriptionRecord } from './records.js';
import type { Store } from './store.js';

/** A custom entitlement as the API takes it (`SubscriptionEntitlementInput` or an import's `feature` item). */
export interface CustomEntitlementInput {
  featureId: string;
  usageLimit?: number | null;
  hasUnlimitedUsage?: boolean | null;
  hasSoftLimit?: boolean | null;
  enumValues?: string[] | null;
  resetPeriod?: ResetPeriod | null;
  monthlyResetPeriodConfiguration?: { monthlyAccordingTo?: string } | null;
  weeklyResetPeriodConfiguration?: { weeklyAccordingTo?: string } | null;
}

export interface SubscriptionInput {
  customerId: string;
  planId: string;
  subscriptionId?: string | null;
  resourceId?: string | null;
  addons?: { addonId: string; quantity?: number | null }[] | null;
  billingPeriod?: 'MONTHLY' | 'ANNUALLY' | null;
  unitQuantity?: number | null;
  billableFeatures?: { featureId: string; quantity: number }[] | null;
  billingId?: string | null;
  additionalMetaData?: Record<string, unknown> | null;
  startDate?: string | null;
  endDate?: string | null;
  updatedAt?: string | null;
  customEntitlements?: CustomEntitlementInput[] | null;
  /** A catalog coupon, already resolved from the request's promotion code (see `couponOfRequest`). */
  couponId?: string | null;
}

export function toGrant(store: Store, input: CustomEntitlementInput, where: string): Grant {
  const feature = store.catalog.features.get(input.featureId);
  if (!feature) throw notFound('FeatureNotFound', `${where}Feature`, input.featureId);
  const def: EntitlementDef = {
    feature: feature.id,
    limit: input.hasUnlimitedUsage ? 'unlimited' : (input.usageLimit ?? undefined),
    softLimit: input.hasSoftLimit ?? undefined,
    values: input.enumValues ?? undefined,
    resetPeriod: input.resetPeriod ?? undefined,
    monthlyAccordingTo: input.monthlyResetPeriodConfiguration
      ?.monthlyAccordingTo as EntitlementDef['monthlyAccordingTo'],
    weeklyAccordingTo: input.weeklyResetPeriodConfiguration?.weeklyAccordingTo as EntitlementDef['weeklyAccordingTo'],
  };
  return grantFrom(feature, def);
}

const isoOrNull = (value: string | null | undefined, field: string): string | null => {
  if (value === undefined || value === null) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badInput(`${field} is not an ISO-8601 date: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
};

/** Checks a subscription against the catalog and the customer; returns the record it would create. */
export function buildSubscription(store: Store, input: SubscriptionInput): SubscriptionRecord {
  const customer = store.customers.get(input.customerId);
  if (!customer) throw notFound('CustomerNotFound', 'Customer', input.customerId);
  const plan = store.catalog.plans.get(input.planId);
  if (!plan) throw notFound('PlanNotFound', 'Plan', input.planId);
  const product = store.catalog.products.get(plan.product);
  if (product?.multipleSubscriptions && !input.resourceId) {
    throw badInput(`resourceId is required: product ${plan.product} allows several subscriptions per customer`);
  }
  const addons = (input.addons ?? []).map((a, i) => {
    const addon = store.catalog.addons.get(a.addonId);
    if (!addon) throw notFound('AddonNotFound', `addons[${i}]: Addon`, a.addonId);
    if (!addon.compatiblePlans.includes(plan.id)) {
      throw new StiggError(
        'IncompatibleSubscriptionAddon',
        `Add-on ${addon.id} is not compatible with plan ${plan.id}`,
      );
    }
    const quantity = a.quantity ?? 1;
    if (
      !Number.isInteger(quantity) ||
      quantity < 1 ||
      (addon.maxQuantity !== undefined && quantity > addon.maxQuantity)
    ) {
      throw new StiggError(
        'InvalidQuantity',
        `addons[${i}].quantity must be a whole number between 1 and ${addon.maxQuantity ?? 'any'}`,
      );
    }
    return { addonId: addon.id, quantity };
  });
  if (store.catalog.pricingTypeOf(plan) === 'PAID' && !input.billingPeriod) {
    throw new StiggError('BillingPeriodMissingError', `billingPeriod is required for paid plan ${plan.id}`);
  }
  const customGrants = (input.customEntitlements ?? []).map((e, i) => toGrant(store, e, `entitlements[${i}]: `));
  const nowIso = new Date(store.now()).toISOString();
  const startDate = isoOrNull(input.startDate, 'startDate') ?? nowIso;
  const endDate = isoOrNull(input.endDate, 'endDate');
  if (endDate && endDate <= startDate) throw badInput(`endDate ${endDate} is not after startDate ${startDate}`);
  // Eight hex digits, as Stigg's ids have; drawn again on a clash (at 100,000 subscriptions one is likely).
  let subscriptionId = input.subscriptionId ?? '';
  while (!subscriptionId || (!input.subscriptionId && store.subscriptions.has(subscriptionId)))
    subscriptionId = `subscription-${plan.id}-${newId().slice(0, 8)}`;
  return {
    id: newId(),
    subscriptionId,
    customerId: customer.customerId,
    resourceId: input.resourceId ?? null,
    planId: plan.id,
    addons,
    billingPeriod: input.billingPeriod ?? null,
    unitQuantity: input.unitQuantity ?? null,
    billableFeatures: input.billableFeatures ?? null,
    billingId: input.billingId ?? null,
    additionalMetaData: input.additionalMetaData ?? null,
    couponId: input.couponId ?? null,
    customGrants,
    status: 'ACTIVE',
    startDate,
    endDate,
    cancellationDate: null,
    createdAt: nowIso,
    updatedAt: isoOrNull(input.updatedAt, 'updatedAt') ?? nowIso,
  };
}

/** The active subscription a new one replaces: same customer, same resource, same product. */
export function replacedBy(store: Store, next: SubscriptionRecord): SubscriptionRecord | undefined {
  const product = store.catalog.plans.get(next.planId)?.product;
  const now = store.now();
  return store
    .subscriptionsOf(next.customerId)
    .find(
      (s) =>
        s.subscriptionId !== next.subscriptionId &&
        s.resourceId === next.resourceId &&
        isActive(s, now) &&
        store.catalog.plans.get(s.planId)?.product === product,
    );
}

/** Creates a subscription, cancelling the one it replaces, and tells the stream. */
export function provisionSubscription(store: Store, input: SubscriptionInput): SubscriptionRecord {
  if (input.subscriptionId && store.subscriptions.has(input.subscriptionId)) {
    throw new StiggError('DuplicatedEntityNotAllowed', `Subscription ${input.subscriptionId} already exists`);
  }
  const sub = buildSubscription(store, input);
  const old = replacedBy(store, sub);
  if (old) {
    old.status = 'CANCELED';
    old.cancellationDate = sub.createdAt;
    old.updatedAt = sub.createdAt;
  }
  store.putSubscription(sub);
  store.emit('entitlementsChanged', sub.customerId, sub.resourceId);
  return sub;
}

export function getSubscription(store: Store, subscriptionId: string): SubscriptionRecord {
  const sub = store.subscriptions.get(subscriptionId);
  if (!sub) throw notFound('SubscriptionNotFound', 'Subscription', subscriptionId);
  return sub;
}

export interface SubscriptionUpdate {
  addons?: { addonId: string; quantity?: number | null }[] | null;
  billingPeriod?: 'MONTHLY' | 'ANNUALLY' | null;
  unitQuantity?: number | null;
  billableFeatures?: { featureId: string; quantity: number }[] | null;
  additionalMetaData?: Record<string, unknown> | null;
  customEntitlements?: CustomEntitlementInput[] | null;
  /** A coupon to apply from now on (resolved from a promotion code); undefined or null keeps the current one. */
  couponId?: string | null;
}

export function updateSubscription(
  store: Store,
  subscriptionId: string,
  update: SubscriptionUpdate,
): SubscriptionRecord {
  const sub = getSubscription(store, subscriptionId);
  if (!isActive(sub, store.now())) {
    throw new StiggError('SubscriptionAlreadyCanceledOrExpired', `Subscription ${subscriptionId} is not active`);
  }
  const next = buildSubscription(store, {
    ...sub,
    subscriptionId: sub.subscriptionId,
    addons: update.addons ?? sub.addons,
    billingPeriod: update.billingPeriod ?? sub.billingPeriod,
    unitQuantity: update.unitQuantity ?? sub.unitQuantity,
    billableFeatures: update.billableFeatures ?? sub.billableFeatures,
    additionalMetaData: update.additionalMetaData ?? sub.additionalMetaData,
    customEntitlements: null,
    updatedAt: null,
  });
  sub.addons = next.addons;
  sub.billingPeriod = next.billingPeriod;
  sub.unitQuantity = next.unitQuantity;
  sub.billableFeatures = next.billableFeatures;
  sub.additionalMetaData = next.additionalMetaData;
  if (update.couponId) sub.couponId = update.couponId;
  if (update.customEntitlements)
    sub.customGrants = update.customEntitlements.map((e, i) => toGrant(store, e, `subscriptionEntitlements[${i}]: `));
  sub.updatedAt = new Date(store.now()).toISOString();
  store.emit('entitlementsChanged', sub.customerId, sub.resourceId);
  return sub;
}

export function cancelSubscription(
  store: Store,
  subscriptionId: string,
  opts: { time?: 'IMMEDIATE' | 'END_OF_BILLING_PERIOD' | 'SPECIFIC_DATE' | null; endDate?: string | null },
): SubscriptionRecord {
  const sub = getSubscription(store, subscriptionId);
  const now = store.now();
  if (!isActive(sub, now))
    throw new StiggError('SubscriptionAlreadyCanceledOrExpired', `Subscription ${subscriptionId} is not active`);
  const nowIso = new Date(now).toISOString();
  if (opts.time === 'SPECIFIC_DATE') {
    const at = isoOrNull(opts.endDate, 'endDate');
    if (!at || Date.parse(at) <= now) throw new StiggError('InvalidCancellationDate', 'endDate must be a future date');
    sub.cancellationDate = at;
  } else if (opts.time === 'END_OF_BILLING_PERIOD') {
    sub.cancellationDate = billingPeriodEnd(sub, now);
  } else {
    sub.status = 'CANCELED';
    sub.cancellationDate = nowIso;
  }
  sub.updatedAt = nowIso;
  store.emit('entitlementsChanged', sub.customerId, sub.resourceId);
  return sub;
}

/** End of the current billing period: monthly (or yearly) from the start date. */
export function billingPeriodEnd(sub: Pick<SubscriptionRecord, 'billingPeriod' | 'startDate'>, now: number): string {
  return new Date(billingPeriodRange(sub, now).end).toISOString();
}

/** The current billing period, [start, end) in epoch ms: monthly (or yearly) from the start date. */
export function billingPeriodRange(
  sub: Pick<SubscriptionRecord, 'billingPeriod' | 'startDate'>,
  now: number,
): { start: number; end: number } {
  const months = sub.billingPeriod === 'ANNUALLY' ? 12 : 1;
  const d = new Date(sub.startDate);
  let start = d.getTime();
  while (d.getTime() <= now) {
    start = d.getTime();
    d.setUTCMonth(d.getUTCMonth() + months);
  }
  if (d.getTime() === start) d.setUTCMonth(d.getUTCMonth() + months);
  return { start, end: d.getTime() };
}
