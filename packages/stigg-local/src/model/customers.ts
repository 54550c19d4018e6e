import { badInput, notFound, StiggError } from '../errors.js';
import { newId } from './ids.js';
import type { CustomerRecord } from './records.js';
import type { Store } from './store.js';

export interface CustomerInput {
  customerId?: string | null;
  refId?: string | null;
  name?: string | null;
  email?: string | null;
  billingId?: string | null;
  paymentMethodId?: string | null;
  couponRefId?: string | null;
  additionalMetaData?: Record<string, unknown> | null;
  updatedAt?: string | null;
}

const FIELDS = ['name', 'email', 'billingId', 'paymentMethodId', 'couponRefId', 'additionalMetaData'] as const;

export function customerIdOf(input: CustomerInput): string {
  const id = input.customerId ?? input.refId;
  if (typeof id !== 'string' || id === '') throw badInput('customerId (or refId) is required');
  return id;
}

/** A customer held, archived or not (the admin surface sees archived customers). */
export function getCustomer(store: Store, customerId: string): CustomerRecord {
  const c = store.customers.get(customerId);
  if (!c) throw notFound('CustomerNotFound', 'Customer', customerId);
  return c;
}

/** A customer as Stigg's API shows it: archived customers are hidden, so they answer `CustomerNotFound` too. */
export function getUnarchivedCustomer(store: Store, customerId: string): CustomerRecord {
  const c = store.customers.get(customerId);
  if (!c || c.archived) throw notFound('CustomerNotFound', 'Customer', customerId);
  return c;
}

/**
 * Creates the customer, or updates the fields given when it exists. Returns whether anything changed.
 * The id of an archived customer is never reused: Stigg refuses it for a new customer.
 */
export function upsertCustomer(store: Store, input: CustomerInput): { customer: CustomerRecord; changed: boolean } {
  const customerId = customerIdOf(input);
  if (store.customers.get(customerId)?.archived) {
    throw new StiggError(
      'DuplicatedEntityNotAllowed',
      `Customer id ${customerId} belongs to an archived customer; new customers cannot use it`,
    );
  }
  if (input.couponRefId && !store.catalog.coupons.has(input.couponRefId))
    throw notFound('CouponNotFound', 'Coupon', input.couponRefId);
  const nowIso = new Date(store.now()).toISOString();
  const existing = store.customers.get(customerId);
  if (!existing) {
    const customer: CustomerRecord = {
      id: newId(),
      customerId,
      name: input.name ?? null,
      email: input.email ?? null,
      billingId: input.billingId ?? null,
      paymentMethodId: input.paymentMethodId ?? null,
      couponRefId: input.couponRefId ?? null,
      additionalMetaData: input.additionalMetaData ?? null,
      archived: false,
      createdAt: nowIso,
      updatedAt: input.updatedAt ?? nowIso,
    };
    store.customers.set(customerId, customer);
    store.emit('customerChanged', customerId);
    return { customer, changed: true };
  }
  let changed = false;
  for (const field of FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    if (JSON.stringify(existing[field]) !== JSON.stringify(value)) {
      (existing as unknown as Record<string, unknown>)[field] = value;
      changed = true;
    }
  }
  if (changed) {
    existing.updatedAt = input.updatedAt ?? nowIso;
    store.emit('customerChanged', customerId);
  }
  return { customer: existing, changed };
}

/**
 * Import rule: a record whose `updatedAt` is older than the customer Stigg holds is skipped.
 * Returns `skipped` for those, `unchanged` when nothing differs.
 */
export function importCustomer(store: Store, input: CustomerInput): 'created' | 'updated' | 'unchanged' | 'skipped' {
  const customerId = customerIdOf(input);
  const existing = store.customers.get(customerId);
  if (input.updatedAt !== undefined && input.updatedAt !== null && Number.isNaN(Date.parse(input.updatedAt))) {
    throw badInput(`updatedAt of customer ${customerId} is not an ISO-8601 date`);
  }
  if (existing && input.updatedAt && Date.parse(existing.updatedAt) > Date.parse(input.updatedAt)) return 'skipped';
  const { changed } = upsertCustomer(store, input);
  return !existing ? 'created' : changed ? 'updated' : 'unchanged';
}

/**
 * Archives a customer the way Stigg does: its PII (name and email) is erased for good, the API stops showing it,
 * its id stays taken. Unarchiving shows it again, without the erased fields.
 */
export function setArchived(store: Store, customerId: string, archived: boolean): CustomerRecord {
  const c = getCustomer(store, customerId);
  if (c.archived === archived) {
    if (archived) throw new StiggError('EntityIsArchivedError', `Customer ${customerId} is already archived`);
    return c;
  }
  c.archived = archived;
  if (archived) {
    c.name = null;
    c.email = null;
  }
  c.updatedAt = new Date(store.now()).toISOString();
  store.emit('customerChanged', customerId);
  store.touchCustomer(customerId);
  return c;
}
