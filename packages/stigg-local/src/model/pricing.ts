import type { PriceDef } from '../catalog/types.js';
import type { SubscriptionRecord } from './records.js';
import type { Store } from './store.js';

/** What a paid subscription costs per billing period, as Stigg answers it in `prices` and `totalPrice`. */
export interface SubscriptionCharges {
  /** The plan's price for the subscription's billing period. */
  planPrice: PriceDef;
  currency: string;
  /** The plan's price plus each add-on's price for the period times its quantity. */
  subTotal: number;
  /** `subTotal` less the subscription's coupon (from a promotion code), else the customer's coupon. */
  total: number;
}

export const currencyOf = (priced: { currency?: string }): string => (priced.currency ?? 'USD').toUpperCase();

const cents = (amount: number) => Math.round(amount * 100) / 100;

/** The charges of a subscription, or null when it has none (free and custom plans, no price for its period). */
export function subscriptionCharges(store: Store, sub: SubscriptionRecord): SubscriptionCharges | null {
  const plan = store.catalog.plans.get(sub.planId);
  if (!plan || store.catalog.pricingTypeOf(plan) !== 'PAID' || !sub.billingPeriod) return null;
  const planPrice = plan.prices?.find((p) => p.billingPeriod === sub.billingPeriod);
  if (!planPrice) return null;
  const currency = currencyOf(planPrice);
  let subTotal = planPrice.amount;
  for (const { addonId, quantity } of sub.addons) {
    const price = store.catalog.addons
      .get(addonId)
      ?.prices?.find((p) => p.billingPeriod === sub.billingPeriod && currencyOf(p) === currency);
    if (price) subTotal += price.amount * quantity;
  }
  const couponId = sub.couponId ?? store.customers.get(sub.customerId)?.couponRefId ?? null;
  const coupon = couponId ? store.catalog.coupons.get(couponId) : undefined;
  let total = subTotal;
  if (coupon?.percentOff !== undefined) total = subTotal * (1 - coupon.percentOff / 100);
  else if (coupon?.amountOff !== undefined && currencyOf(coupon) === currency)
    total = Math.max(0, subTotal - coupon.amountOff);
  return { planPrice, currency, subTotal: cents(subTotal), total: cents(total) };
}
