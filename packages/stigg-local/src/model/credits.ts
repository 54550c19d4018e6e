import { badInput, notFound, StiggError } from '../errors.js';
import { getUnarchivedCustomer } from './customers.js';
import { newId } from './ids.js';
import { cents } from './pricing.js';
import type { CreditGrantRecord } from './records.js';
import type { Store } from './store.js';

/**
 * Credits: grants of a catalog custom currency (`currencies[]`) to a customer (or one of its resources), consumed by
 * usage of features with a `creditRate` (lowest `priority` first, then the grant expiring first, then the oldest),
 * voidable. Every change of a balance is announced (`creditBalanceChanged` -> the `creditBalanceUpdated` stream).
 */

export interface CreditGrantInput {
  customerId: string;
  resourceId?: string | null;
  currencyId: string;
  amount: number;
  displayName: string;
  grantType: 'PAID' | 'PROMOTIONAL';
  priority?: number | null;
  comment?: string | null;
  cost?: { amount: number; currency: string } | null;
  additionalMetaData?: Record<string, unknown> | null;
  effectiveAt?: string | null;
  expireAt?: string | null;
}

const DEFAULT_PRIORITY = 100;

const dateOf = (value: string | null | undefined, field: string): number | null => {
  if (value === undefined || value === null) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badInput(`${field} is not an ISO-8601 date: ${JSON.stringify(value)}`);
  return ms;
};

function currencyOf(store: Store, currencyId: string) {
  const currency = store.catalog.currencies.get(currencyId);
  if (!currency) throw notFound('CustomCurrencyNotFound', 'Custom currency', currencyId);
  return currency;
}

/** Whether a grant counts now: not voided, effective, not expired. */
export const isLive = (g: CreditGrantRecord, now: number) =>
  !g.voidedAt && Date.parse(g.effectiveAt) <= now && (!g.expireAt || Date.parse(g.expireAt) > now);

/** A customer's grants in one scope (customer level, or one resource), optionally of one currency, oldest first. */
export function grantsOf(store: Store, customerId: string, resourceId: string | null, currencyId?: string | null) {
  return [...store.creditGrants.values()]
    .filter(
      (g) =>
        g.customerId === customerId &&
        g.resourceId === resourceId &&
        !g.voidedAt &&
        (!currencyId || g.currencyId === currencyId),
    )
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export interface CreditBalanceView {
  customerId: string;
  resourceId: string | null;
  currencyId: string;
  totalGranted: number;
  totalConsumed: number;
  currentBalance: number;
  /** Epoch ms the balance lasts until (the latest expiry), null when a grant never expires. */
  validUntil: number | null;
}

export function balanceOf(
  store: Store,
  customerId: string,
  resourceId: string | null,
  currencyId: string,
): CreditBalanceView {
  const now = store.now();
  const live = grantsOf(store, customerId, resourceId, currencyId).filter((g) => isLive(g, now));
  const totalGranted = live.reduce((s, g) => s + g.amount, 0);
  const totalConsumed = live.reduce((s, g) => s + g.consumedAmount, 0);
  const expiries = live.map((g) => (g.expireAt ? Date.parse(g.expireAt) : null));
  return {
    customerId,
    resourceId,
    currencyId,
    totalGranted: cents(totalGranted),
    totalConsumed: cents(totalConsumed),
    currentBalance: cents(totalGranted - totalConsumed),
    validUntil: expiries.length === 0 || expiries.includes(null) ? null : Math.max(...(expiries as number[])),
  };
}

/** The currencies a customer's scope has grants in (for a balance summary without a currency). */
export function currenciesOf(store: Store, customerId: string, resourceId: string | null): string[] {
  return [...new Set(grantsOf(store, customerId, resourceId).map((g) => g.currencyId))];
}

export function grantCredits(store: Store, input: CreditGrantInput): CreditGrantRecord {
  getUnarchivedCustomer(store, input.customerId);
  currencyOf(store, input.currencyId);
  if (!Number.isFinite(input.amount) || input.amount <= 0) throw badInput('amount must be a number above 0');
  if (!input.displayName) throw badInput('displayName is required');
  const now = store.now();
  const effectiveAt = dateOf(input.effectiveAt, 'effectiveAt') ?? now;
  const expireAt = dateOf(input.expireAt, 'expireAt');
  if (expireAt !== null && expireAt <= effectiveAt)
    throw new StiggError('ExpireAtMustBeLaterThanEffectiveAtError', 'expireAt must be later than effectiveAt');
  const nowIso = new Date(now).toISOString();
  const grant: CreditGrantRecord = {
    grantId: `credit-grant-${newId().replace(/-/g, '').slice(0, 12)}`,
    customerId: input.customerId,
    resourceId: input.resourceId ?? null,
    currencyId: input.currencyId,
    amount: input.amount,
    consumedAmount: 0,
    displayName: input.displayName,
    grantType: input.grantType,
    priority: input.priority ?? DEFAULT_PRIORITY,
    comment: input.comment ?? null,
    cost: input.cost
      ? { amount: input.cost.amount, currency: (input.cost.currency ?? 'USD').toUpperCase() }
      : { amount: 0, currency: 'USD' },
    additionalMetaData: input.additionalMetaData ?? null,
    effectiveAt: new Date(effectiveAt).toISOString(),
    expireAt: expireAt === null ? null : new Date(expireAt).toISOString(),
    voidedAt: null,
    createdAt: nowIso,
    updatedAt: nowIso,
  };
  changingBalance(store, grant.customerId, grant.resourceId, grant.currencyId, () =>
    store.creditGrants.set(grant.grantId, grant),
  );
  return grant;
}

export function voidCreditGrant(store: Store, grantId: string): CreditGrantRecord {
  const grant = store.creditGrants.get(grantId);
  if (!grant) throw notFound('CreditGrantNotFound', 'Credit grant', grantId);
  if (grant.voidedAt) throw new StiggError('CreditGrantAlreadyVoided', `Credit grant ${grantId} is already voided`);
  changingBalance(store, grant.customerId, grant.resourceId, grant.currencyId, () => {
    grant.voidedAt = grant.updatedAt = new Date(store.now()).toISOString();
  });
  return grant;
}

/**
 * Consumes `amount` credits of a currency from a customer's live grants. What exceeds the balance is charged to
 * the last grant (the balance goes below 0, as with a soft limit); with no live grant nothing is recorded.
 */
export function consumeCredits(
  store: Store,
  customerId: string,
  resourceId: string | null,
  currencyId: string,
  amount: number,
): void {
  if (!(amount > 0)) return;
  const now = store.now();
  const live = grantsOf(store, customerId, resourceId, currencyId)
    .filter((g) => isLive(g, now))
    .sort(
      (a, b) =>
        a.priority - b.priority ||
        (a.expireAt ?? '\uffff').localeCompare(b.expireAt ?? '\uffff') ||
        a.createdAt.localeCompare(b.createdAt),
    );
  if (live.length === 0) {
    // Usage of a resource with no grants of its own is paid from the customer's grants.
    if (resourceId !== null) consumeCredits(store, customerId, null, currencyId, amount);
    return;
  }
  changingBalance(store, customerId, resourceId, currencyId, () => {
    let left = amount;
    const nowIso = new Date(now).toISOString();
    for (const g of live) {
      const take = Math.min(left, Math.max(0, g.amount - g.consumedAmount));
      if (take <= 0) continue;
      g.consumedAmount = cents(g.consumedAmount + take);
      g.updatedAt = nowIso;
      left -= take;
      if (left <= 0) break;
    }
    if (left > 0) {
      const last = live[live.length - 1]!;
      last.consumedAmount = cents(last.consumedAmount + left);
      last.updatedAt = nowIso;
    }
  });
}

/** Runs a change of a balance and announces it; entitlements paid in that currency are pushed when it runs out or comes back. */
function changingBalance(
  store: Store,
  customerId: string,
  resourceId: string | null,
  currencyId: string,
  change: () => void,
): void {
  const before = balanceOf(store, customerId, resourceId, currencyId).currentBalance > 0;
  change();
  const after = balanceOf(store, customerId, resourceId, currencyId).currentBalance > 0;
  store.emit('creditBalanceChanged', customerId, resourceId, currencyId);
  if (before !== after) store.emit('entitlementsChanged', customerId, resourceId);
}

/** `SlimCustomCurrency` of a catalog currency. */
export function presentCurrency(store: Store, currencyId: string) {
  const c = store.catalog.currencies.get(currencyId);
  return {
    __typename: 'SlimCustomCurrency',
    currencyId,
    displayName: c?.displayName ?? currencyId,
    symbol: c?.symbol ?? null,
    units: c?.units ? { __typename: 'Units', singular: c.units.singular, plural: c.units.plural } : null,
  };
}

export function presentBalance(store: Store, b: CreditBalanceView, typename = 'CreditBalance') {
  return {
    __typename: typename,
    customerId: b.customerId,
    resourceId: b.resourceId,
    currencyId: b.currencyId,
    currency: presentCurrency(store, b.currencyId),
    currentBalance: b.currentBalance,
    totalConsumed: b.totalConsumed,
    totalGranted: b.totalGranted,
    validUntil: b.validUntil,
  };
}

export function presentCreditGrant(g: CreditGrantRecord) {
  return {
    __typename: 'CreditGrant',
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
    cost: { __typename: 'Money', amount: g.cost.amount, currency: g.cost.currency },
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
    resourceId: g.resourceId,
    additionalMetaData: g.additionalMetaData,
  };
}
