import type { PriceDef } from '../catalog/types.js';
import type { SubscriptionRecord } from './records.js';
import type { Store } from './store.js';
import { addonDefOf, planDefOf } from './versions.js';

/** What a paid subscription costs per billing period, as Stigg answers it in `prices` and `totalPrice`. */
export interface SubscriptionCharges {
  /** The plan's price for the subscription's billing period. */
  planPrice: PriceDef;
  currency: string;
  /** The plan's price (times the unit quantity when per unit) plus each add-on's price times its quantity. */
  subTotal: number;
  /** `subTotal` less the subscription's coupon (from a promotion code), else the customer's coupon. */
  total: number;
  /** The coupon that made the difference, if any. */
  couponId: string | null;
  /** Each charge: the plan's, then each add-on's. */
  lines: { kind: 'plan' | 'addon'; id: string; price: PriceDef; quantity: number; amount: number }[];
}

export const currencyOf = (priced: { currency?: string }): string => (priced.currency ?? 'USD').toUpperCase();

export const cents = (amount: number) => Math.round(amount * 100) / 100;

/** What a subscription would be charged: the fields of a record (or of a request shaped like one) that price it. */
export type Priced = Pick<SubscriptionRecord, 'planId' | 'addons' | 'billingPeriod' | 'unitQuantity' | 'customerId'> &
  Partial<Pick<SubscriptionRecord, 'couponId' | 'versions'>>;

/** The charges of a subscription, or null when it has none (free and custom plans, no price for its period). */
export function subscriptionCharges(store: Store, sub: Priced): SubscriptionCharges | null {
  const record = sub as SubscriptionRecord;
  const plan = planDefOf(store, record, sub.planId);
  if (!plan || store.catalog.pricingTypeOf(plan) !== 'PAID' || !sub.billingPeriod) return null;
  const planPrice = plan.prices?.find((p) => p.billingPeriod === sub.billingPeriod);
  if (!planPrice) return null;
  const currency = currencyOf(planPrice);
  const units = planPrice.billingModel === 'PER_UNIT' ? (sub.unitQuantity ?? 1) : 1;
  const lines: SubscriptionCharges['lines'] = [
    { kind: 'plan', id: sub.planId, price: planPrice, quantity: units, amount: cents(planPrice.amount * units) },
  ];
  for (const { addonId, quantity } of sub.addons) {
    const price = addonDefOf(store, record, addonId)?.prices?.find(
      (p) => p.billingPeriod === sub.billingPeriod && currencyOf(p) === currency,
    );
    if (price) lines.push({ kind: 'addon', id: addonId, price, quantity, amount: cents(price.amount * quantity) });
  }
  const subTotal = lines.reduce((sum, l) => sum + l.amount, 0);
  const couponId = sub.couponId ?? store.customers.get(sub.customerId)?.couponRefId ?? null;
  const coupon = couponId ? store.catalog.coupons.get(couponId) : undefined;
  let total = subTotal;
  let applied: string | null = null;
  if (coupon?.percentOff !== undefined) {
    total = subTotal * (1 - coupon.percentOff / 100);
    applied = coupon.id;
  } else if (coupon?.amountOff !== undefined && currencyOf(coupon) === currency) {
    total = Math.max(0, subTotal - coupon.amountOff);
    applied = coupon.id;
  }
  return { planPrice, currency, subTotal: cents(subTotal), total: cents(total), couponId: applied, lines };
}
