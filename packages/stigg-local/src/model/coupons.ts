import { badInput, notFound, StiggError } from '../errors.js';
import type { Store } from './store.js';

/** A subscription's coupon as the API takes it: `promotionCode`, or `appliedCoupon` (`SubscriptionCouponInput`). */
export interface SubscriptionCouponRequest {
  promotionCode?: string | null;
  appliedCoupon?: { couponId?: string | null; promotionCode?: string | null } | null;
}

/**
 * The coupon a subscription request applies, or null when it names none. A promotion code must be one of a
 * catalog coupon's `promotionCodes` (matched ignoring case): Stigg refuses any other with `PromotionCodeNotFound`.
 */
export function couponOfRequest(store: Store, request: SubscriptionCouponRequest): string | null {
  const codes = [request.promotionCode, request.appliedCoupon?.promotionCode].filter(
    (code): code is string => typeof code === 'string',
  );
  const couponIds = new Set<string>();
  for (const code of codes) {
    const coupon = store.catalog.couponsByPromotionCode.get(code.trim().toUpperCase());
    if (!coupon) throw new StiggError('PromotionCodeNotFound', `Promotion code not found: ${code}`);
    couponIds.add(coupon.id);
  }
  const couponId = request.appliedCoupon?.couponId;
  if (typeof couponId === 'string') {
    if (!store.catalog.coupons.has(couponId)) throw notFound('CouponNotFound', 'Coupon', couponId);
    couponIds.add(couponId);
  }
  if (couponIds.size > 1) throw badInput('promotionCode and appliedCoupon name different coupons; give one');
  return couponIds.values().next().value ?? null;
}
