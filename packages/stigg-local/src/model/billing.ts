import type { PriceDef } from '../catalog/types.js';
import { StiggError } from '../errors.js';
import { isActive } from './entitlements.js';
import { stableUuid } from './ids.js';
import { cents, subscriptionCharges, type Priced, type SubscriptionCharges } from './pricing.js';
import type { ScheduledUpdateRecord, SubscriptionRecord } from './records.js';
import type { Store } from './store.js';
import { billingPeriodRange, replacedBy } from './subscriptions.js';

/**
 * What Stigg's billing integration would compute, from the catalog's prices: estimates and previews of a new
 * subscription or of a change (with proration for the rest of the current billing period), the next invoice, and
 * the invoice that paid the current period. Amounts are rounded to cents; tax is the catalog's `taxPercentage`
 * (exclusive, default 0).
 */

const iso = (ms: number) => new Date(ms).toISOString();
const money = (amount: number, currency: string) => ({ __typename: 'Money', amount: cents(amount), currency });

/** One period's amounts: before discount, the discount, tax, and the total. */
export interface Amounts {
  currency: string;
  subTotal: number;
  discount: number;
  totalExcludingTax: number;
  tax: number;
  total: number;
}

const zero = (currency = 'USD'): Amounts => ({
  currency,
  subTotal: 0,
  discount: 0,
  totalExcludingTax: 0,
  tax: 0,
  total: 0,
});

/** Amounts of `subTotal`, discounted by the ratio the coupon gives the recurring charges, plus the catalog's tax. */
function amountsOf(store: Store, subTotal: number, charges: SubscriptionCharges | null): Amounts {
  if (!charges) return zero();
  const ratio = charges.subTotal > 0 ? charges.total / charges.subTotal : 1;
  const afterDiscount = cents(subTotal * ratio);
  const tax = cents((afterDiscount * (store.catalog.catalog.taxPercentage ?? 0)) / 100);
  return {
    currency: charges.currency,
    subTotal: cents(subTotal),
    discount: cents(subTotal - afterDiscount),
    totalExcludingTax: afterDiscount,
    tax,
    total: cents(afterDiscount + tax),
  };
}

const recurringOf = (store: Store, charges: SubscriptionCharges | null) =>
  amountsOf(store, charges?.subTotal ?? 0, charges);

function discountOf(store: Store, charges: SubscriptionCharges | null) {
  const coupon = charges?.couponId ? store.catalog.coupons.get(charges.couponId) : undefined;
  if (!coupon) return null;
  return {
    __typename: 'SubscriptionPreviewDiscount',
    name: coupon.name,
    type: coupon.percentOff !== undefined ? 'PERCENTAGE' : 'FIXED',
    value: coupon.percentOff ?? coupon.amountOff ?? 0,
    durationType: 'FOREVER',
    durationInMonths: null,
  };
}

function taxDetailsOf(store: Store) {
  const percentage = store.catalog.catalog.taxPercentage ?? 0;
  return percentage > 0
    ? { __typename: 'SubscriptionPreviewTaxDetails', displayName: 'Tax', percentage, inclusive: false }
    : null;
}

/** A change's proration: credit (negative) for the unused part of what was paid, debit for the new charges. */
export interface Proration {
  prorationDate: number;
  credit: number;
  debit: number;
  netAmount: number;
  currency: string;
}

/** The fraction of a billing period [start, end) left at `now`. */
export const remainingFraction = (range: { start: number; end: number }, now: number) =>
  Math.min(1, Math.max(0, (range.end - now) / (range.end - range.start)));

/** A preview of a subscription (new or changed): the immediate charge, the recurring one, the billing period. */
export interface Preview {
  immediate: Amounts;
  recurring: Amounts;
  proration: Proration | null;
  range: { start: number; end: number };
  charges: SubscriptionCharges | null;
  isPlanDowngrade: boolean;
  hasScheduledUpdates: boolean;
}

/**
 * A new subscription: its first period is charged in full. When it replaces an active paid subscription to the
 * same product, the unused part of that one's current period is credited. With `scheduled` (a change at the end of
 * the billing period) nothing is charged now.
 */
export function previewNew(store: Store, next: SubscriptionRecord, scheduled = false): Preview {
  const now = store.now();
  const charges = subscriptionCharges(store, next);
  const recurring = recurringOf(store, charges);
  const old = replacedBy(store, next);
  const oldCharges = old ? subscriptionCharges(store, old) : null;
  const start = Math.max(Date.parse(next.startDate), now);
  const months = next.billingPeriod === 'ANNUALLY' ? 12 : 1;
  const end = new Date(start);
  end.setUTCMonth(end.getUTCMonth() + months);
  let range = { start, end: end.getTime() };
  let proration: Proration | null = null;
  let immediate = recurring;
  if (scheduled && old) {
    range = billingPeriodRange(old, now);
    immediate = zero(recurring.currency);
  } else if (charges) {
    const credit =
      oldCharges && old ? -cents(oldCharges.subTotal * remainingFraction(billingPeriodRange(old, now), now)) : 0;
    const debit = charges.subTotal;
    proration = { prorationDate: now, credit, debit, netAmount: cents(debit + credit), currency: charges.currency };
    immediate = amountsOf(store, Math.max(0, debit + credit), charges);
  }
  return {
    immediate,
    recurring,
    proration,
    range,
    charges,
    isPlanDowngrade: !!old && (oldCharges?.subTotal ?? 0) > (charges?.subTotal ?? 0),
    hasScheduledUpdates: scheduled && !!old,
  };
}

/**
 * A change of an active subscription (add-ons, unit quantity, coupon) from now to the end of its current billing
 * period: credit for the unused part of the current charges, debit for the new ones for the rest of the period.
 */
export function previewUpdate(store: Store, sub: SubscriptionRecord, next: Priced): Preview {
  const now = store.now();
  if (!isActive(sub, now))
    throw new StiggError('SubscriptionAlreadyCanceledOrExpired', `Subscription ${sub.subscriptionId} is not active`);
  const range = billingPeriodRange(sub, now);
  const before = subscriptionCharges(store, sub);
  const after = subscriptionCharges(store, next);
  const fraction = remainingFraction(range, now);
  const currency = after?.currency ?? before?.currency ?? 'USD';
  const credit = -cents((before?.subTotal ?? 0) * fraction);
  const debit = cents((after?.subTotal ?? 0) * fraction);
  const netAmount = cents(debit + credit);
  return {
    immediate: after || before ? amountsOf(store, netAmount, after ?? before) : zero(currency),
    recurring: recurringOf(store, after),
    proration: { prorationDate: now, credit, debit, netAmount, currency },
    range,
    charges: after,
    isPlanDowngrade: false,
    hasScheduledUpdates: (sub.scheduledUpdates ?? []).some((u) => u.status === 'Scheduled'),
  };
}

/** `SubscriptionPreview` (estimateSubscription, estimateSubscriptionUpdate). */
export function presentSubscriptionPreview(store: Store, p: Preview) {
  const discount = discountOf(store, p.charges);
  const taxDetails = taxDetailsOf(store);
  const m = (a: number) => money(a, p.immediate.currency);
  const r = (a: number) => money(a, p.recurring.currency);
  return {
    __typename: 'SubscriptionPreview',
    subTotal: m(p.immediate.subTotal),
    totalExcludingTax: m(p.immediate.totalExcludingTax),
    total: m(p.immediate.total),
    discountAmount: discount ? m(p.immediate.discount) : null,
    taxDetails,
    tax: m(p.immediate.tax),
    billingPeriodRange: { __typename: 'DateRange', start: iso(p.range.start), end: iso(p.range.end) },
    discount,
    subscription: {
      __typename: 'SubscriptionPricePreviewDTO',
      subTotal: r(p.recurring.subTotal),
      totalExcludingTax: r(p.recurring.totalExcludingTax),
      total: r(p.recurring.total),
      tax: r(p.recurring.tax),
      discountAmount: discount ? r(p.recurring.discount) : null,
      taxDetails,
      discount,
    },
    proration: p.proration ? presentProration(p.proration) : null,
    isPlanDowngrade: p.isPlanDowngrade,
    hasScheduledUpdates: p.hasScheduledUpdates,
    credits: null,
  };
}

function presentProration(p: Proration) {
  return {
    __typename: 'SubscriptionPreviewProrations',
    prorationDate: iso(p.prorationDate),
    credit: money(p.credit, p.currency),
    debit: money(p.debit, p.currency),
    netAmount: money(p.netAmount, p.currency),
    hasProrations: p.credit !== 0,
  };
}

function presentInvoiceAmounts(store: Store, a: Amounts, charges: SubscriptionCharges | null) {
  const discount = discountOf(store, charges);
  return {
    total: money(a.total, a.currency),
    subTotal: money(a.subTotal, a.currency),
    totalExcludingTax: money(a.totalExcludingTax, a.currency),
    tax: money(a.tax, a.currency),
    discount: discount ? money(a.discount, a.currency) : null,
    discountDetails: discount,
    taxDetails: taxDetailsOf(store),
  };
}

/** `SubscriptionPreviewV2` (previewSubscription). */
export function presentSubscriptionPreviewV2(store: Store, p: Preview) {
  return {
    __typename: 'SubscriptionPreviewV2',
    immediateInvoice: {
      __typename: 'ImmediateSubscriptionPreviewInvoice',
      ...presentInvoiceAmounts(store, p.immediate, p.charges),
      credits: null,
      proration: p.proration ? presentProration(p.proration) : null,
    },
    recurringInvoice: p.charges
      ? { __typename: 'SubscriptionPreviewInvoice', ...presentInvoiceAmounts(store, p.recurring, p.charges) }
      : null,
    billingPeriodRange: { __typename: 'DateRange', start: iso(p.range.start), end: iso(p.range.end) },
    isPlanDowngrade: p.isPlanDowngrade,
    hasScheduledUpdates: p.hasScheduledUpdates,
  };
}

/** The subscription as it will be once its updates scheduled up to `at` have applied. */
export function projectSchedules(sub: SubscriptionRecord, at: number): SubscriptionRecord {
  const next: SubscriptionRecord = { ...sub, addons: [...sub.addons] };
  for (const u of sub.scheduledUpdates ?? []) {
    if (u.status !== 'Scheduled' || Date.parse(u.executeAt) > at) continue;
    applyChange(next, u);
  }
  return next;
}

/** Applies one scheduled change to a record (the plan, add-ons, billing period or unit quantity it names). */
export function applyChange(sub: SubscriptionRecord, u: ScheduledUpdateRecord): void {
  switch (u.type) {
    case 'Downgrade':
    case 'Plan':
      sub.planId = u.planId ?? sub.planId;
      if (u.billingPeriod !== undefined) sub.billingPeriod = u.billingPeriod;
      if (u.addons) sub.addons = u.addons.map((a) => ({ ...a }));
      break;
    case 'BillingPeriod':
      if (u.billingPeriod !== undefined) sub.billingPeriod = u.billingPeriod;
      break;
    case 'UnitAmount':
      if (u.unitQuantity !== undefined) sub.unitQuantity = u.unitQuantity;
      break;
    case 'Addon': {
      const others = sub.addons.filter((a) => a.addonId !== u.addonId);
      sub.addons = u.quantity ? [...others, { addonId: u.addonId!, quantity: u.quantity }] : others;
      break;
    }
    case 'MigrateToLatest':
      delete sub.versions;
      break;
  }
}

/** `SubscriptionInvoicePreview` (previewNextInvoice): the next period's charges, after updates scheduled by then. */
export function presentNextInvoice(store: Store, sub: SubscriptionRecord, presentPrice: (p: PriceDef) => unknown) {
  const now = store.now();
  if (!isActive(sub, now))
    throw new StiggError('SubscriptionAlreadyCanceledOrExpired', `Subscription ${sub.subscriptionId} is not active`);
  const range = billingPeriodRange(sub, now);
  const next = projectSchedules(sub, range.end);
  const charges = subscriptionCharges(store, next);
  const amounts = recurringOf(store, charges);
  const nextRange = billingPeriodRange(next, range.end);
  const currency = amounts.currency;
  const discount = discountOf(store, charges);
  const plan = store.catalog.plans.get(next.planId);
  return {
    __typename: 'SubscriptionInvoicePreview',
    amountDue: money(amounts.total, currency),
    minimumSpendAdjustment: money(0, currency),
    total: money(amounts.total, currency),
    totalExcludingTax: money(amounts.totalExcludingTax, currency),
    subTotal: money(amounts.subTotal, currency),
    subTotalExcludingTax: money(amounts.subTotal, currency),
    tax: money(amounts.tax, currency),
    taxDetails: taxDetailsOf(store),
    discount: discount ? money(amounts.discount, currency) : null,
    discountDetails: discount,
    credits: null,
    lastUpdatedAt: iso(now),
    lines: (charges?.lines ?? []).map((l) => {
      const name =
        l.kind === 'plan' ? (plan?.displayName ?? l.id) : (store.catalog.addons.get(l.id)?.displayName ?? l.id);
      return {
        __typename: 'SubscriptionInvoicePreviewLineItem',
        type: l.kind === 'plan' ? 'BaseCharge' : 'AddonCharge',
        description: name,
        costDescription: `${l.quantity} × ${l.price.amount} ${currency}`,
        amount: money(l.amount, currency),
        unitPrice: money(l.price.amount, currency),
        quantity: l.quantity,
        proration: false,
        price: presentPrice(l.price),
        usageLimit: null,
        period: {
          __typename: 'SubscriptionInvoicePreviewLineItemPeriod',
          start: iso(nextRange.start),
          end: iso(nextRange.end),
        },
        hasSoftLimit: null,
        lines: null,
      };
    }),
  };
}

/**
 * The invoice of a paid subscription's current billing period, as the billing integration would have it: paid
 * (stigg-local takes every payment), created at the start of the period.
 */
export function latestInvoiceOf(store: Store, sub: SubscriptionRecord) {
  const charges = subscriptionCharges(store, sub);
  if (!charges) return null;
  const now = store.now();
  const start = Math.min(billingPeriodRange(sub, now).start, Math.max(now, Date.parse(sub.startDate)));
  const amounts = recurringOf(store, charges);
  const at = iso(start);
  return {
    __typename: 'SubscriptionInvoice',
    billingId: `in_local_${stableUuid(`invoice:${sub.id}:${start}`).replace(/-/g, '').slice(0, 16)}`,
    status: 'PAID',
    createdAt: at,
    updatedAt: at,
    dueDate: at,
    errorMessage: null,
    requiresAction: false,
    paymentSecret: null,
    paymentUrl: null,
    pdfUrl: null,
    billingReason: start === Date.parse(sub.startDate) ? 'SUBSCRIPTION_CREATION' : 'BILLING_CYCLE',
    currency: amounts.currency,
    subTotal: amounts.subTotal,
    subTotalExcludingTax: amounts.subTotal,
    total: amounts.total,
    totalExcludingTax: amounts.totalExcludingTax,
    tax: amounts.tax,
    amountDue: amounts.total,
    attemptCount: 1,
  };
}
