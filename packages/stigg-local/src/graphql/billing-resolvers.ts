import { badInput, notFound, StiggError } from '../errors.js';
import {
  presentNextInvoice,
  presentSubscriptionPreview,
  presentSubscriptionPreviewV2,
  previewNew,
  previewUpdate,
} from '../model/billing.js';
import { CHECKOUT_PATH, needsCheckout, openCheckout } from '../model/checkout.js';
import { couponOfRequest } from '../model/coupons.js';
import {
  balanceOf,
  currenciesOf,
  grantCredits,
  grantsOf,
  presentBalance,
  presentCreditGrant,
  voidCreditGrant,
  type CreditGrantInput,
} from '../model/credits.js';
import { getUnarchivedCustomer } from '../model/customers.js';
import { entitlementsOf, isActive } from '../model/entitlements.js';
import { grantPromotions, type PromotionInput } from '../model/promotions.js';
import type { ScheduleType, SubscriptionRecord } from '../model/records.js';
import { cancelScheduledUpdates, scheduleUpdates, type ScheduleRequest } from '../model/schedules.js';
import type { Store } from '../model/store.js';
import {
  buildSubscription,
  getSubscription,
  provisionSubscription,
  replacedBy,
  updateSubscription,
  type SubscriptionInput,
} from '../model/subscriptions.js';
import { subscriptionCharges } from '../model/pricing.js';
import { usageHistoryOf } from '../model/usage-history.js';
import { isOnOlderVersion, moveToLatest } from '../model/versions.js';
import { presentCustomer, presentPrice, presentPromotion, presentSubscription } from './present.js';

/**
 * Resolvers of the operations that price, schedule, version, pay and credit subscriptions. Merged into the root
 * resolvers by `resolvers.ts`; `subscriptionInputOf` is its request mapping, passed in to avoid an import cycle.
 */

// biome-ignore lint/suspicious/noExplicitAny: GraphQL arguments, validated by the schema before a resolver runs
type Args = Record<string, any>;
export interface BillingContext {
  store: Store;
  /** The server's base URL (checkout links); empty when unknown. */
  baseUrl?: () => string;
}
type RootResolver = (args: Args, ctx: BillingContext) => unknown;
type InputOf = (store: Store, i: Args, customerId: string) => SubscriptionInput;

const SCHEDULED = new Set(['END_OF_BILLING_PERIOD', 'END_OF_BILLING_MONTH']);

const activeOrThrow = (store: Store, sub: SubscriptionRecord) => {
  if (!isActive(sub, store.now()))
    throw new StiggError('SubscriptionAlreadyCanceledOrExpired', `Subscription ${sub.subscriptionId} is not active`);
  return sub;
};

/** A new subscription's record as it would be created (checked against the catalog, nothing written). */
function dryRun(store: Store, input: SubscriptionInput): SubscriptionRecord {
  getUnarchivedCustomer(store, input.customerId);
  return buildSubscription(store, { ...input, subscriptionId: input.subscriptionId ?? null });
}

/** A plan change of an active subscription at the end of its billing period: a downgrade when it costs less. */
function schedulePlanChange(store: Store, old: SubscriptionRecord, next: SubscriptionRecord, strategy: string) {
  const product = store.catalog.products.get(store.catalog.plans.get(old.planId)?.product ?? '');
  const before = subscriptionCharges(store, old)?.subTotal ?? 0;
  const after = subscriptionCharges(store, next)?.subTotal ?? 0;
  const downgrade = after < before || product?.downgradePlan === next.planId;
  scheduleUpdates(
    store,
    old,
    [
      {
        type: downgrade ? 'Downgrade' : 'Plan',
        planId: next.planId,
        billingPeriod: next.billingPeriod,
        addons: next.addons,
      },
    ],
    strategy,
  );
}

/**
 * `provisionSubscriptionV2`: with `scheduleStrategy: END_OF_BILLING_PERIOD` a change of plan of an active
 * subscription is scheduled; a paid plan that needs a payment method the customer lacks answers a checkout.
 */
export function provisionWithPayment(store: Store, input: SubscriptionInput, raw: Args, baseUrl: string) {
  const next = dryRun(store, input);
  const old = replacedBy(store, next);
  if (old && SCHEDULED.has(raw.scheduleStrategy) && old.planId !== next.planId) {
    schedulePlanChange(store, old, next, raw.scheduleStrategy);
    return {
      status: 'SUCCESS',
      checkoutUrl: null,
      checkoutBillingId: null,
      subscription: presentSubscription(store, old),
      entitlements: entitlementsOf(store, old.customerId, old.resourceId),
    };
  }
  if (needsCheckout(store, next)) {
    const checkout = openCheckout(store, input, raw.checkoutOptions?.successUrl ?? null);
    return {
      status: 'PAYMENT_REQUIRED',
      checkoutUrl: `${baseUrl}${CHECKOUT_PATH}${checkout.token}`,
      checkoutBillingId: `cs_local_${checkout.token.slice(0, 16)}`,
      subscription: null,
      entitlements: null,
    };
  }
  const sub = provisionSubscription(store, input);
  return {
    status: 'SUCCESS',
    checkoutUrl: null,
    checkoutBillingId: null,
    subscription: presentSubscription(store, sub),
    entitlements: entitlementsOf(store, sub.customerId, sub.resourceId),
  };
}

/**
 * `updateOneSubscription` with `scheduleStrategy: END_OF_BILLING_PERIOD` (or `END_OF_BILLING_MONTH`): add-on,
 * billing-period and unit-quantity changes are scheduled (checked now); everything else applies at once.
 * Returns the requests it scheduled; the caller applies the rest.
 */
export function scheduledPart(store: Store, sub: SubscriptionRecord, input: Args): ScheduleRequest[] {
  if (!SCHEDULED.has(input.scheduleStrategy)) return [];
  activeOrThrow(store, sub);
  const requests: ScheduleRequest[] = [];
  if (input.addons) {
    const wanted = new Map<string, number>(
      (input.addons as { addonId: string; quantity?: number | null }[]).map((a) => [a.addonId, a.quantity ?? 1]),
    );
    for (const [addonId, quantity] of wanted) {
      if (sub.addons.find((a) => a.addonId === addonId)?.quantity !== quantity)
        requests.push({ type: 'Addon', addonId, quantity });
    }
    for (const a of sub.addons)
      if (!wanted.has(a.addonId)) requests.push({ type: 'Addon' as ScheduleType, addonId: a.addonId, quantity: 0 });
  }
  if (input.billingPeriod && input.billingPeriod !== sub.billingPeriod)
    requests.push({ type: 'BillingPeriod', billingPeriod: input.billingPeriod });
  if (input.unitQuantity !== undefined && input.unitQuantity !== null && input.unitQuantity !== sub.unitQuantity)
    requests.push({ type: 'UnitAmount', unitQuantity: input.unitQuantity });
  // The state the changes lead to must be valid now, as Stigg checks a scheduled update when it is asked for.
  buildSubscription(store, {
    ...sub,
    addons: input.addons ?? sub.addons,
    billingPeriod: input.billingPeriod ?? sub.billingPeriod,
    unitQuantity: input.unitQuantity ?? sub.unitQuantity,
    customEntitlements: null,
    updatedAt: null,
  });
  if (requests.length > 0) scheduleUpdates(store, sub, requests, input.scheduleStrategy);
  return requests;
}

export function billingQueryResolvers(): Record<string, RootResolver> {
  return {
    creditBalanceSummary: ({ input }, { store }) => {
      getUnarchivedCustomer(store, input.customerId);
      const resourceId = input.resourceId ?? null;
      const currencies: string[] = input.currencyId
        ? [input.currencyId]
        : currenciesOf(store, input.customerId, resourceId);
      if (input.currencyId && !store.catalog.currencies.has(input.currencyId))
        throw notFound('CustomCurrencyNotFound', 'Custom currency', input.currencyId);
      return {
        __typename: 'CreditBalanceSummary',
        customerId: input.customerId,
        balances: currencies.map((c) => presentBalance(store, balanceOf(store, input.customerId, resourceId, c))),
      };
    },
    creditGrants: ({ input }, { store }) => {
      getUnarchivedCustomer(store, input.customerId);
      const grants = grantsOf(store, input.customerId, input.resourceId ?? null, input.currencyId).map(
        presentCreditGrant,
      );
      return connectionOf(grants, input.paging);
    },
    usageHistory: ({ usageHistoryInput: i }, { store }) => {
      const h = usageHistoryOf(store, {
        customerId: i.customerRefId,
        resourceId: i.resourceRefId ?? null,
        featureId: i.featureRefId,
        startDate: i.startDate,
        endDate: i.endDate,
      });
      return {
        __typename: 'UsageHistory',
        startDate: new Date(h.start).toISOString(),
        endDate: new Date(h.end).toISOString(),
        markers: h.markers.map((m) => ({ __typename: 'UsageMarker', type: m.type, timestamp: iso(m.timestamp) })),
        usageMeasurements: h.points.map((p) => ({
          __typename: 'UsageMeasurementPoint',
          date: iso(p.timestamp),
          value: p.value,
          isResetPoint: p.isResetPoint,
        })),
        groups: i.groupBy?.length ? [] : null,
      };
    },
    usageHistoryV2: ({ input: i }, { store }) => {
      const h = usageHistoryOf(store, {
        customerId: i.customerId,
        resourceId: i.resourceId ?? null,
        featureId: i.featureId,
        startDate: i.startDate,
        endDate: i.endDate,
      });
      return {
        __typename: 'UsageHistoryV2',
        markers: h.markers.map((m) => ({ __typename: 'UsageMarker', type: m.type, timestamp: iso(m.timestamp) })),
        series: [
          {
            __typename: 'UsageHistorySeries',
            tags: [],
            points: h.points.map((p) => ({
              __typename: 'UsageHistoryPoint',
              timestamp: iso(p.timestamp),
              value: p.value,
              isResetPoint: p.isResetPoint,
            })),
          },
        ],
      };
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

function connectionOf<T>(items: T[], paging: Args | null | undefined) {
  const decode = (c: string) => Number(Buffer.from(c, 'base64url').toString());
  const start = paging?.after ? decode(paging.after) + 1 : 0;
  const end = paging?.first ? Math.min(items.length, start + paging.first) : items.length;
  const page = items.slice(start, end);
  const cursor = (i: number) => Buffer.from(String(i)).toString('base64url');
  return {
    edges: page.map((node, i) => ({ node, cursor: cursor(start + i) })),
    pageInfo: {
      startCursor: page.length ? cursor(start) : null,
      endCursor: page.length ? cursor(start + page.length - 1) : null,
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
    },
    totalCount: items.length,
  };
}

export function billingMutationResolvers(inputOf: InputOf): Record<string, RootResolver> {
  const estimateInput = (store: Store, i: Args) =>
    inputOf(store, { ...i, subscriptionId: null, refId: null }, i.customerId);
  return {
    estimateSubscription: ({ input }, { store }) =>
      presentSubscriptionPreview(store, previewNew(store, dryRun(store, estimateInput(store, input)))),
    previewSubscription: ({ input }, { store }) => {
      const next = dryRun(store, estimateInput(store, input));
      return presentSubscriptionPreviewV2(store, previewNew(store, next, SCHEDULED.has(input.scheduleStrategy)));
    },
    estimateSubscriptionUpdate: ({ input }, { store }) => {
      const sub = activeOrThrow(store, getSubscription(store, input.subscriptionId));
      const next = buildSubscription(store, {
        ...sub,
        addons: input.addons ?? sub.addons,
        unitQuantity: input.unitQuantity ?? sub.unitQuantity,
        customEntitlements: null,
        updatedAt: null,
        couponId: couponOfRequest(store, input) ?? sub.couponId,
      });
      return presentSubscriptionPreview(store, previewUpdate(store, sub, { ...next, versions: sub.versions }));
    },
    previewNextInvoice: ({ input }, { store }) =>
      presentNextInvoice(store, getSubscription(store, input.subscriptionId), presentPrice),
    cancelSchedule: ({ input }, { store }) => cancelScheduledUpdates(store, input.subscriptionId, input.status),
    migrateSubscriptionToLatest: ({ input }, { store }) => {
      const sub = activeOrThrow(store, getSubscription(store, input.subscriptionId));
      if (!isOnOlderVersion(store, sub))
        throw new StiggError(
          'SubscriptionAlreadyOnLatestPlanError',
          `Subscription ${sub.subscriptionId} is already on the latest version of its plan and add-ons`,
        );
      if (input.subscriptionMigrationTime === 'END_OF_BILLING_PERIOD') {
        if ((sub.scheduledUpdates ?? []).some((u) => u.type === 'MigrateToLatest' && u.status === 'Scheduled'))
          throw new StiggError(
            'ScheduledMigrationAlreadyExistsError',
            `Subscription ${sub.subscriptionId} already has a scheduled migration`,
          );
        scheduleUpdates(store, sub, [{ type: 'MigrateToLatest' }], 'END_OF_BILLING_PERIOD');
      } else {
        moveToLatest(sub);
        sub.updatedAt = new Date(store.now()).toISOString();
        store.emit('entitlementsChanged', sub.customerId, sub.resourceId);
      }
      return presentSubscription(store, sub);
    },
    applySubscription: ({ input }, { store }) => {
      const customer = getUnarchivedCustomer(store, input.customerId);
      if (input.paymentMethodId && customer.paymentMethodId !== input.paymentMethodId) {
        customer.paymentMethodId = input.paymentMethodId;
        customer.updatedAt = new Date(store.now()).toISOString();
        store.emit('customerChanged', customer.customerId);
      }
      const requested = inputOf(store, input, input.customerId);
      const next = dryRun(store, requested);
      const current = replacedBy(store, next);
      let sub: SubscriptionRecord;
      if (current && current.planId === next.planId) {
        // The same plan: the subscription is updated (add-ons, billing period, quantity, metadata), not replaced.
        sub = updateSubscription(store, current.subscriptionId, {
          addons: input.addons,
          billingPeriod: input.billingPeriod,
          unitQuantity: input.unitQuantity,
          billableFeatures: input.billableFeatures,
          additionalMetaData: input.additionalMetaData,
          customEntitlements: input.subscriptionEntitlements ?? null,
          couponId: requested.couponId,
        });
      } else if (current && SCHEDULED.has(input.scheduleStrategy)) {
        schedulePlanChange(store, current, next, input.scheduleStrategy);
        sub = current;
      } else {
        if (needsCheckout(store, next))
          throw new StiggError(
            'PaymentMethodNotFoundError',
            `Customer ${customer.customerId} has no payment method: pass paymentMethodId, or provision the subscription to get a checkout`,
          );
        sub = provisionSubscription(store, requested);
      }
      return {
        __typename: 'ApplySubscription',
        subscription: presentSubscription(store, sub),
        entitlements: entitlementsOf(store, sub.customerId, sub.resourceId),
      };
    },
    createSubscription: ({ subscription: input }, { store }) => {
      getUnarchivedCustomer(store, input.customerId);
      return presentSubscription(store, provisionSubscription(store, inputOf(store, input, input.customerId)));
    },
    transferSubscriptionToResource: ({ input }, { store }) =>
      presentSubscription(
        store,
        transferToResource(store, getSubscription(store, input.subscriptionId), input.destinationResourceId ?? null),
      ),
    transferSubscription: ({ input }, { store }) => {
      getUnarchivedCustomer(store, input.customerId);
      const now = store.now();
      const sub = store
        .subscriptionsOf(input.customerId)
        .find((s) => s.resourceId === input.sourceResourceId && isActive(s, now));
      if (!sub)
        throw notFound(
          'SubscriptionNotFound',
          'Active subscription of resource',
          `${input.customerId}/${input.sourceResourceId}`,
        );
      return presentSubscription(store, transferToResource(store, sub, input.destinationResourceId));
    },
    delegateSubscriptionToCustomer: ({ input }, { store }) => {
      const sub = activeOrThrow(store, getSubscription(store, input.subscriptionId));
      if (!input.destinationCustomerId) throw badInput('destinationCustomerId is required');
      const destination = getUnarchivedCustomer(store, input.destinationCustomerId);
      if (destination.customerId === sub.customerId) return presentSubscription(store, sub);
      const from = sub.customerId;
      store.subscriptionsByCustomer.get(from)?.delete(sub.subscriptionId);
      sub.payingCustomerId = sub.payingCustomerId ?? from;
      sub.customerId = destination.customerId;
      sub.updatedAt = new Date(store.now()).toISOString();
      store.putSubscription(sub);
      store.emit('entitlementsChanged', from, sub.resourceId);
      store.emit('entitlementsChanged', sub.customerId, sub.resourceId);
      return presentSubscription(store, sub);
    },
    detachCustomerPaymentMethod: ({ input }, { store }) => {
      const customer = getUnarchivedCustomer(store, input.customerId);
      if (customer.paymentMethodId !== null) {
        customer.paymentMethodId = null;
        customer.updatedAt = new Date(store.now()).toISOString();
        store.emit('customerChanged', customer.customerId);
      }
      return presentCustomer(store, customer);
    },
    grantPromotionalEntitlementsGroup: ({ input }, { store }) => {
      const granted = grantPromotions(store, input.customerId, input.promotionalEntitlements as PromotionInput[]);
      for (const p of granted) p.featureGroupId = input.featureGroupId;
      store.emit('stateChanged');
      return granted.map((p) => presentPromotion(store, p));
    },
    revokePromotionalEntitlementsGroup: ({ input }, { store }) => {
      getUnarchivedCustomer(store, input.customerId);
      const all = store.promotions.get(input.customerId) ?? [];
      const group = groupOf(all, input.featureGroupId, input.customerId);
      store.promotions.set(
        input.customerId,
        all.filter((p) => !group.includes(p)),
      );
      store.touchCustomer(input.customerId);
      return group.map((p) => ({ ...presentPromotion(store, p), status: 'Expired' }));
    },
    unlinkPromotionalEntitlementsGroup: ({ input }, { store }) => {
      getUnarchivedCustomer(store, input.customerId);
      const group = groupOf(store.promotions.get(input.customerId) ?? [], input.featureGroupId, input.customerId);
      for (const p of group) p.featureGroupId = null;
      store.emit('stateChanged');
      return group.map((p) => presentPromotion(store, p));
    },
    createCreditGrant: ({ input }, { store }) => presentCreditGrant(grantCredits(store, input as CreditGrantInput)),
    voidCreditGrant: ({ input }, { store }) => presentCreditGrant(voidCreditGrant(store, input.id)),
  };
}

function groupOf<T extends { featureGroupId?: string | null }>(
  all: T[],
  featureGroupId: string,
  customerId: string,
): T[] {
  const group = all.filter((p) => p.featureGroupId === featureGroupId);
  if (group.length === 0)
    throw notFound('FeatureGroupNotFoundError', 'Promotional entitlements group', `${customerId}/${featureGroupId}`);
  return group;
}

/** Moves a subscription to another resource of its customer (null: the customer level). */
function transferToResource(store: Store, sub: SubscriptionRecord, destination: string | null): SubscriptionRecord {
  activeOrThrow(store, sub);
  if (sub.resourceId === destination) return sub;
  const moved = { ...sub, resourceId: destination };
  const taken = replacedBy(store, moved);
  if (taken)
    throw new StiggError(
      'DuplicatedEntityNotAllowed',
      `Resource ${destination ?? '(customer level)'} already has subscription ${taken.subscriptionId} to this product`,
    );
  const from = sub.resourceId;
  sub.resourceId = destination;
  sub.updatedAt = new Date(store.now()).toISOString();
  store.emit('entitlementsChanged', sub.customerId, from);
  store.emit('entitlementsChanged', sub.customerId, destination);
  return sub;
}
