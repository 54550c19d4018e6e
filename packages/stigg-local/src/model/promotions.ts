import { addMonths } from './periods.js';
import { notFound, StiggError } from '../errors.js';
import { getUnarchivedCustomer } from './customers.js';
import { newId } from './ids.js';
import type { PromotionRecord } from './records.js';
import type { Store } from './store.js';
import { toGrant, type CustomEntitlementInput } from './subscriptions.js';

export interface PromotionInput extends CustomEntitlementInput {
  period: 'ONE_WEEK' | 'ONE_MONTH' | 'SIX_MONTH' | 'ONE_YEAR' | 'LIFETIME' | 'CUSTOM';
  customEndDate?: string | null;
  isVisible?: boolean | null;
}

function endOf(input: PromotionInput, now: number): string | null {
  switch (input.period) {
    case 'LIFETIME':
      return null;
    case 'ONE_WEEK':
      return new Date(now + 7 * 86_400_000).toISOString();
    case 'ONE_MONTH':
      return new Date(addMonths(now, 1)).toISOString();
    case 'SIX_MONTH':
      return new Date(addMonths(now, 6)).toISOString();
    case 'ONE_YEAR':
      return new Date(addMonths(now, 12)).toISOString();
    case 'CUSTOM': {
      const ms = input.customEndDate ? Date.parse(input.customEndDate) : NaN;
      if (Number.isNaN(ms) || ms <= now)
        throw new StiggError('BadUserInput', 'customEndDate must be a future ISO-8601 date for period CUSTOM');
      return new Date(ms).toISOString();
    }
  }
}

/** Grants (or replaces) promotional entitlements; they apply on top of the customer's subscriptions. */
export function grantPromotions(store: Store, customerId: string, inputs: PromotionInput[]): PromotionRecord[] {
  getUnarchivedCustomer(store, customerId);
  const now = store.now();
  const nowIso = new Date(now).toISOString();
  const created = inputs.map((input, i) => ({
    id: newId(),
    customerId,
    grant: toGrant(store, input, `promotionalEntitlements[${i}]: `),
    isVisible: input.isVisible ?? true,
    period: input.period,
    startDate: nowIso,
    endDate: endOf(input, now),
    createdAt: nowIso,
  }));
  const kept = (store.promotions.get(customerId) ?? []).filter(
    (p) => !created.some((c) => c.grant.featureId === p.grant.featureId),
  );
  store.promotions.set(customerId, [...kept, ...created]);
  store.touchCustomer(customerId);
  return created;
}

export function revokePromotion(store: Store, customerId: string, featureId: string): PromotionRecord {
  getUnarchivedCustomer(store, customerId);
  const list = store.promotions.get(customerId) ?? [];
  const found = list.find((p) => p.grant.featureId === featureId);
  if (!found)
    throw notFound('PromotionalEntitlementNotFoundError', 'Promotional entitlement', `${customerId}/${featureId}`);
  store.promotions.set(
    customerId,
    list.filter((p) => p !== found),
  );
  store.touchCustomer(customerId);
  return found;
}
