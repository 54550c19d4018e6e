import { notFound } from '../errors.js';
import { getUnarchivedCustomer } from './customers.js';
import { newId } from './ids.js';
import { subscriptionCharges } from './pricing.js';
import type { CheckoutRecord, SubscriptionRecord } from './records.js';
import type { Store } from './store.js';
import { buildSubscription, provisionSubscription, type SubscriptionInput } from './subscriptions.js';

/**
 * Payment flows. A paid subscription (a price for its period) needs a payment method when its plan says
 * `requiresPayment` or the admin said so (`setPaymentRequired`, for one customer or all). Provisioning it for a
 * customer without one does not create it: it answers `PAYMENT_REQUIRED` with a checkout URL stigg-local serves.
 * Completing the checkout (visiting the URL, or `completeCheckout`) gives the customer a payment method and
 * creates the subscription, whose entitlements are pushed.
 */

/** The path checkout pages are served at, under the server's base URL. */
export const CHECKOUT_PATH = '/_checkout/';

export function setPaymentRequired(store: Store, target: string, required: boolean): void {
  if (target === 'all') {
    store.paymentRequired.all = required;
    store.paymentRequired.customers.clear();
    return;
  }
  getUnarchivedCustomer(store, target);
  store.paymentRequired.customers.set(target, required);
}

/** Whether provisioning this (already checked) subscription must go through a checkout first. */
export function needsCheckout(store: Store, sub: SubscriptionRecord): boolean {
  const customer = store.customers.get(sub.customerId);
  if (!customer || customer.paymentMethodId) return false;
  const charges = subscriptionCharges(store, sub);
  if (!charges || charges.total <= 0) return false;
  const byCustomer = store.paymentRequired.customers.get(sub.customerId);
  if (byCustomer !== undefined) return byCustomer;
  return store.paymentRequired.all || store.catalog.plans.get(sub.planId)?.requiresPayment === true;
}

/** Keeps a provisioning waiting for payment; returns its checkout. The request is checked now, as Stigg does. */
export function openCheckout(store: Store, input: SubscriptionInput, successUrl: string | null): CheckoutRecord {
  buildSubscription(store, input);
  const checkout: CheckoutRecord = {
    token: newId().replace(/-/g, ''),
    customerId: input.customerId,
    planId: input.planId,
    createdAt: new Date(store.now()).toISOString(),
    successUrl,
    input,
  };
  store.checkouts.set(checkout.token, checkout);
  return checkout;
}

/**
 * Pays a checkout: the customer gets a payment method and the subscription is created (entitlements pushed).
 * `tokenOrCustomerId` is a checkout token, or a customer id (its latest open checkout).
 */
export function completeCheckout(
  store: Store,
  tokenOrCustomerId: string,
): { subscription: SubscriptionRecord; checkout: CheckoutRecord } {
  let checkout = store.checkouts.get(tokenOrCustomerId);
  if (!checkout) {
    const open = [...store.checkouts.values()].filter((c) => c.customerId === tokenOrCustomerId);
    checkout = open[open.length - 1];
  }
  if (!checkout) throw notFound('CheckoutNotFound', 'Open checkout', tokenOrCustomerId);
  const customer = getUnarchivedCustomer(store, checkout.customerId);
  const subscription = provisionSubscription(store, checkout.input as SubscriptionInput);
  store.checkouts.delete(checkout.token);
  customer.paymentMethodId = `pm_local_${checkout.token.slice(0, 12)}`;
  customer.updatedAt = new Date(store.now()).toISOString();
  store.emit('customerChanged', customer.customerId);
  return { subscription, checkout };
}

/** Open checkouts, oldest first. */
export const openCheckouts = (store: Store) =>
  [...store.checkouts.values()].map(({ token, customerId, planId, createdAt }) => ({
    token,
    customerId,
    planId,
    createdAt,
  }));
