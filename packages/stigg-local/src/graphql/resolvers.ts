import { badInput, notFound } from '../errors.js';
import { entitlementsOf, isActive, statusOf } from '../model/entitlements.js';
import { couponOfRequest } from '../model/coupons.js';
import { currencyOf } from '../model/pricing.js';
import {
  customerIdOf,
  getUnarchivedCustomer,
  importCustomer,
  setArchived,
  upsertCustomer,
  type CustomerInput,
} from '../model/customers.js';
import { startSubscriptionImport, type ImportSubscriptionItem } from '../model/imports.js';
import { grantPromotions, revokePromotion, type PromotionInput } from '../model/promotions.js';
import type { SubscriptionRecord } from '../model/records.js';
import type { Store } from '../model/store.js';
import {
  cancelSubscription,
  getSubscription,
  provisionSubscription,
  updateSubscription,
  type CustomEntitlementInput,
  type SubscriptionInput,
} from '../model/subscriptions.js';
import { reportEvents, reportUsage, type UsageCounters, type UsageReport } from '../model/usage.js';
import {
  presentCoupon,
  presentCustomer,
  presentPlan,
  presentProduct,
  presentPromotion,
  presentSubscription,
} from './present.js';
import {
  billingMutationResolvers,
  billingQueryResolvers,
  provisionWithPayment,
  scheduledPart,
} from './billing-resolvers.js';

/** What every resolver gets: the state and the counters the admin stats show. */
export interface ResolverContext {
  store: Store;
  usageCounters: UsageCounters;
  /** The server's base URL, for the links it answers (checkout pages). */
  baseUrl?: () => string;
}

// biome-ignore lint/suspicious/noExplicitAny: GraphQL arguments, validated by the schema before a resolver runs
type Args = Record<string, any>;
type RootResolver = (args: Args, ctx: ResolverContext) => unknown;

/** Relay-style cursor paging over a list: `first`/`after` forwards, `last`/`before` backwards. */
const connection = <T>(
  items: T[],
  paging: { first?: number | null; after?: string | null; last?: number | null; before?: string | null } | undefined,
) => {
  const decode = (cursor: string) => {
    const n = Number(Buffer.from(cursor, 'base64url').toString());
    if (!Number.isInteger(n) || n < 0)
      throw badInput(`paging cursor ${JSON.stringify(cursor)} is not a cursor this server issued`);
    return n;
  };
  let start = paging?.after ? decode(paging.after) + 1 : 0;
  let end = paging?.before ? decode(paging.before) : items.length;
  if (paging?.first !== undefined && paging.first !== null) end = Math.min(end, start + paging.first);
  if (paging?.last !== undefined && paging.last !== null) start = Math.max(start, end - paging.last);
  const page = items.slice(start, end);
  const cursor = (i: number) => Buffer.from(String(i)).toString('base64url');
  return {
    edges: page.map((node, i) => ({ node, cursor: cursor(start + i) })),
    pageInfo: {
      startCursor: page.length ? cursor(start) : null,
      endCursor: page.length ? cursor(start + page.length - 1) : null,
      hasNextPage: start + page.length < items.length,
      hasPreviousPage: start > 0,
    },
    totalCount: items.length,
  };
};

/** `{eq}` / `{in}` filters of Stigg's connection queries. */
const matches = (
  value: unknown,
  cmp: { eq?: unknown; in?: unknown[]; neq?: unknown; notIn?: unknown[] } | null | undefined,
) =>
  !cmp ||
  ((cmp.eq === undefined || cmp.eq === null || cmp.eq === value) &&
    (!cmp.in || cmp.in.includes(value)) &&
    (cmp.neq === undefined || cmp.neq === null || cmp.neq !== value) &&
    !cmp.notIn?.includes(value));

/** A subscription request's fields; its promotion code is checked here, before anything is written. */
function subscriptionInput(store: Store, i: Args, customerId: string): SubscriptionInput {
  return {
    customerId,
    planId: i.planId,
    subscriptionId: i.subscriptionId ?? i.refId ?? null,
    resourceId: i.resourceId ?? null,
    addons: i.addons ?? null,
    billingPeriod: i.billingPeriod ?? null,
    unitQuantity: i.unitQuantity ?? i.priceUnitAmount ?? null,
    billableFeatures: i.billableFeatures ?? null,
    billingId: i.billingId ?? null,
    additionalMetaData: i.additionalMetaData ?? null,
    startDate: i.startDate ?? null,
    customEntitlements: i.subscriptionEntitlements ?? null,
    couponId: couponOfRequest(store, i),
  };
}

export const queryResolvers: Record<string, RootResolver> = {
  sdkConfiguration: () => ({ sentryDsn: null, isWidgetWatermarkEnabled: false }),
  cachedEntitlements: ({ query }, { store }) => entitlementsOf(store, query.customerId, query.resourceId ?? null),
  // Stigg answers CustomerNotFound for unknown and archived customers alike.
  getCustomerByRefId: ({ input }, { store }) => presentCustomer(store, getUnarchivedCustomer(store, input.customerId)),
  getActiveSubscriptions: ({ input }, { store }) => {
    getUnarchivedCustomer(store, input.customerId);
    const now = store.now();
    const wanted: (string | null)[] | null = input.resourceId ? [input.resourceId] : (input.resourceIds ?? null);
    return store
      .subscriptionsOf(input.customerId)
      .filter((s) => isActive(s, now) && (!wanted || wanted.includes(s.resourceId)))
      .map((s) => presentSubscription(store, s));
  },
  getSubscription: ({ input }, { store }) => presentSubscription(store, getSubscription(store, input.subscriptionId)),
  subscriptions: ({ filter, paging, sorting }, { store }) => {
    const now = store.now();
    const test = (s: SubscriptionRecord, f: Args | undefined): boolean =>
      !f ||
      (matches(s.customerId, f.customerId) &&
        matches(s.resourceId, f.resourceId) &&
        matches(statusOf(s, now), f.status) &&
        matches(store.catalog.plans.get(s.planId)?.product, f.productId) &&
        (!f.and || f.and.every((g: Args) => test(s, g))) &&
        (!f.or || f.or.some((g: Args) => test(s, g))));
    const sort = (sorting as Args[] | undefined)?.[0];
    const dir = sort?.direction === 'ASC' ? 1 : -1;
    const field = sort?.field === 'startDate' ? 'startDate' : 'createdAt';
    // A filter naming customers reads their subscriptions through the per-customer index, not a full scan.
    const named: unknown[] | null = filter?.customerId?.in ?? (filter?.customerId?.eq ? [filter.customerId.eq] : null);
    const candidates = named
      ? named.flatMap((id) => (typeof id === 'string' ? store.subscriptionsOf(id) : []))
      : [...store.subscriptions.values()];
    const items = candidates
      .filter((s) => test(s, filter))
      .sort((a, b) => dir * a[field].localeCompare(b[field]))
      .map((s) => presentSubscription(store, s));
    return connection(items, paging);
  },
  paywall: ({ input }, { store }) => {
    const plans = [...store.catalog.plans.values()].filter((p) => !input.productId || p.product === input.productId);
    if (input.productId && !store.catalog.products.has(input.productId))
      throw notFound('ProductNotFoundError', 'Product', input.productId);
    const customer = input.customerId ? getUnarchivedCustomer(store, input.customerId) : null;
    const now = store.now();
    return {
      plans: plans.map((p) => presentPlan(store, p.id)),
      currency: { code: 'USD', symbol: '$' },
      configuration: null,
      customer: customer ? presentCustomer(store, customer) : null,
      activeSubscriptions: customer
        ? store
            .subscriptionsOf(customer.customerId)
            .filter((s) => isActive(s, now) && (!input.resourceId || s.resourceId === input.resourceId))
            .map((s) => presentSubscription(store, s))
        : null,
      resource: input.resourceId ? { resourceId: input.resourceId } : null,
      paywallCalculatedPricePoints: plans.flatMap((p) =>
        (p.prices ?? []).map((price) => ({
          planId: p.id,
          additionalChargesMayApply: false,
          billingPeriod: price.billingPeriod,
          amount: price.amount,
          currency: currencyOf(price),
          billingCountryCode: null,
          feature: null,
        })),
      ),
    };
  },
  products: ({ paging }, { store }) =>
    connection(
      [...store.catalog.products.keys()].map((id) => presentProduct(store, id)),
      paging,
    ),
  coupons: ({ paging }, { store }) =>
    connection(
      [...store.catalog.coupons.keys()].map((id) => presentCoupon(store, id)),
      paging,
    ),
  importIntegrationTasks: ({ filter, paging }, { store }) => {
    const tasks = [...store.importTasks.values()].filter(
      (t) => matches(t.id, filter?.id) && matches(t.status, filter?.status) && matches(t.taskType, filter?.taskType),
    );
    return connection(tasks, paging);
  },
};

export const mutationResolvers: Record<string, RootResolver> = {
  reportUsage: ({ input }, { store, usageCounters }) => reportUsage(store, [input as UsageReport], usageCounters)[0],
  reportUsageBulk: ({ input }, { store, usageCounters }) =>
    reportUsage(store, input.usages as UsageReport[], usageCounters),
  reportEvent: ({ events }, { store, usageCounters }) => {
    reportEvents(store, events.usageEvents, usageCounters);
    return 'OK';
  },
  provisionCustomer: ({ input }, { store }) => {
    const params = input.subscriptionParams as Args | null | undefined;
    const requested = params ? subscriptionInput(store, params, customerIdOf(input as CustomerInput)) : null;
    const { customer } = upsertCustomer(store, input as CustomerInput);
    const sub = requested ? provisionSubscription(store, requested) : null;
    if (!sub) store.touchCustomer(customer.customerId);
    return {
      customer: presentCustomer(store, customer),
      subscriptionDecisionStrategy: sub ? 'REQUESTED_PLAN' : 'SKIPPED_SUBSCRIPTION_CREATION',
      subscription: sub ? presentSubscription(store, sub) : null,
      entitlements: entitlementsOf(store, customer.customerId, sub?.resourceId ?? null),
    };
  },
  updateOneCustomer: ({ input }, { store }) => {
    const id = input.refId ?? input.customerId;
    getUnarchivedCustomer(store, id);
    return presentCustomer(store, upsertCustomer(store, { ...input, customerId: id } as CustomerInput).customer);
  },
  archiveCustomer: ({ input }, { store }) => presentCustomer(store, setArchived(store, input.customerId, true)),
  unarchiveCustomer: ({ input }, { store }) => presentCustomer(store, setArchived(store, input.customerId, false)),
  importOneCustomer: ({ input }, { store }) => {
    importCustomer(store, input as CustomerInput);
    return presentCustomer(store, getUnarchivedCustomer(store, input.customerId ?? input.refId));
  },
  importCustomersBulk: ({ input }, { store }) => {
    const customers = input.customers as CustomerInput[];
    customers.forEach((c, i) => {
      if (!(c.customerId ?? c.refId)) throw badInput(`customers[${i}]: customerId is required`);
    });
    const results = customers.map((c) => importCustomer(store, c));
    const count = (kind: string) => results.filter((r) => r === kind).length;
    return `Imported ${customers.length} customers: ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('skipped')} skipped (older updatedAt)`;
  },
  importSubscriptionsBulk: ({ input }, { store }) =>
    startSubscriptionImport(store, input.subscriptions as ImportSubscriptionItem[]).id,
  provisionSubscriptionV2: ({ input }, { store, baseUrl }) => {
    getUnarchivedCustomer(store, input.customerId);
    return provisionWithPayment(store, subscriptionInput(store, input, input.customerId), input, baseUrl?.() ?? '');
  },
  updateOneSubscription: ({ input }, { store }) => {
    const id = input.refId ?? input.subscriptionId;
    if (!id) throw badInput('refId (the subscription id) is required');
    const custom = (input.subscriptionEntitlements as Args[] | null | undefined)?.map((e) => {
      if (!e.featureId) throw badInput('subscriptionEntitlements[].featureId is required');
      return e as CustomEntitlementInput;
    });
    // With an END_OF_BILLING_PERIOD strategy, add-on, billing-period and quantity changes wait for the period end.
    const scheduled = scheduledPart(store, getSubscription(store, id), input).length > 0;
    const sub = updateSubscription(store, id, {
      addons: scheduled ? undefined : input.addons,
      billingPeriod: scheduled ? undefined : input.billingPeriod,
      unitQuantity: scheduled ? undefined : input.unitQuantity,
      billableFeatures: input.billableFeatures,
      additionalMetaData: input.additionalMetaData,
      customEntitlements: custom ?? null,
      couponId: couponOfRequest(store, input),
    });
    return presentSubscription(store, sub);
  },
  cancelSubscription: ({ input }, { store }) =>
    presentSubscription(
      store,
      cancelSubscription(store, input.subscriptionRefId, {
        time: input.subscriptionCancellationTime,
        endDate: input.endDate,
      }),
    ),
  grantPromotionalEntitlements: ({ input }, { store }) =>
    grantPromotions(store, input.customerId, input.promotionalEntitlements as PromotionInput[]).map((p) =>
      presentPromotion(store, p),
    ),
  revokePromotionalEntitlement: ({ input }, { store }) => {
    const revoked = revokePromotion(store, input.customerId, input.featureId);
    return { ...presentPromotion(store, revoked), status: 'Expired' };
  },
  ...billingMutationResolvers(subscriptionInput),
};

Object.assign(queryResolvers, billingQueryResolvers());
