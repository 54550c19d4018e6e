import { StiggError } from '../errors.js';
import { getUnarchivedCustomer } from './customers.js';
import { newId } from './ids.js';
import { isActive } from './entitlements.js';
import type { ImportTaskRecord, SubscriptionRecord } from './records.js';
import type { Store } from './store.js';
import { buildSubscription, replacedBy, type CustomEntitlementInput, type SubscriptionInput } from './subscriptions.js';

/** An `ImportSubscriptionInput` item with the extension fields (`entitlements`, `charges`). */
export interface ImportSubscriptionItem extends Omit<SubscriptionInput, 'customEntitlements'> {
  subscriptionEntitlements?: CustomEntitlementInput[] | null;
  entitlements?: { feature?: CustomEntitlementInput | null; credit?: Record<string, unknown> | null }[] | null;
}

/** Records an import handles per turn of the event loop, so reads keep being answered while it runs. */
const CHUNK = 500;

const comparable = (s: SubscriptionRecord) =>
  JSON.stringify([
    s.planId,
    s.resourceId,
    s.addons,
    s.billingPeriod,
    s.unitQuantity,
    s.billableFeatures,
    s.billingId,
    s.additionalMetaData,
    s.customGrants,
    s.startDate,
    s.endDate,
  ]);

/**
 * Applies one imported subscription. Same plan as the active one: updated in place (or left alone when equal);
 * another plan of the product: replaces it. Older than what is held (`updatedAt`): skipped.
 */
export function importSubscription(
  store: Store,
  item: ImportSubscriptionItem,
): 'created' | 'updated' | 'unchanged' | 'skipped' {
  const custom: CustomEntitlementInput[] = [...(item.subscriptionEntitlements ?? [])];
  (item.entitlements ?? []).forEach((e, i) => {
    if (!!e.feature === !!e.credit)
      throw new StiggError('BadUserInput', `entitlements[${i}] must have exactly one of feature or credit`);
    if (e.feature) custom.push(e.feature);
  });
  if (custom.length > 0) {
    const plan = store.catalog.plans.get(item.planId);
    if (plan && store.catalog.pricingTypeOf(plan) !== 'CUSTOM') {
      throw new StiggError(
        'BadUserInput',
        `entitlements are only accepted for custom plans; ${plan.id} is ${store.catalog.pricingTypeOf(plan)}`,
      );
    }
  }
  getUnarchivedCustomer(store, item.customerId);
  const next = buildSubscription(store, { ...item, customEntitlements: custom });
  const now = store.now();
  const samePlan = store
    .subscriptionsOf(next.customerId)
    .find((s) => s.planId === next.planId && s.resourceId === next.resourceId && isActive(s, now));
  if (samePlan && item.updatedAt && Date.parse(samePlan.updatedAt) > Date.parse(item.updatedAt)) return 'skipped';
  if (samePlan) {
    // Imports carry no promotion code: a coupon applied to the subscription held stays.
    const candidate = {
      ...next,
      id: samePlan.id,
      subscriptionId: samePlan.subscriptionId,
      couponId: samePlan.couponId ?? null,
    };
    if (!item.startDate) candidate.startDate = samePlan.startDate;
    if (comparable(candidate) === comparable(samePlan)) return 'unchanged';
    Object.assign(samePlan, { ...candidate, createdAt: samePlan.createdAt, status: samePlan.status });
    store.emit('entitlementsChanged', samePlan.customerId, samePlan.resourceId);
    return 'updated';
  }
  const old = replacedBy(store, next);
  if (old && item.updatedAt && Date.parse(old.updatedAt) > Date.parse(item.updatedAt)) return 'skipped';
  if (old) {
    old.status = 'CANCELED';
    old.cancellationDate = next.createdAt;
    old.updatedAt = next.createdAt;
  }
  if (item.subscriptionId && store.subscriptions.has(item.subscriptionId))
    next.subscriptionId = `${item.subscriptionId}-${next.id.slice(0, 8)}`;
  store.putSubscription(next);
  store.emit('entitlementsChanged', next.customerId, next.resourceId);
  return 'created';
}

/** A running `importSubscriptionsBulk`: one at a time, as Stigg runs them. */
export function startSubscriptionImport(store: Store, items: ImportSubscriptionItem[]): ImportTaskRecord {
  for (const task of store.importTasks.values()) {
    if (task.status === 'PENDING' || task.status === 'IN_PROGRESS') {
      throw new StiggError('ImportAlreadyInProgress', `Import ${task.id} is still running; retry when it has finished`);
    }
  }
  const nowIso = new Date(store.now()).toISOString();
  const task: ImportTaskRecord = {
    id: newId(),
    status: 'PENDING',
    taskType: 'IMPORT_SUBSCRIPTIONS_BULK',
    progress: 0,
    customersCount: new Set(items.map((i) => i.customerId)).size,
    totalSubtasksCount: items.length,
    importErrors: [],
    createdAt: nowIso,
    startDate: null,
    endDate: null,
  };
  store.importTasks.set(task.id, task);
  let next = 0;
  const step = () => {
    if (task.status === 'PENDING') {
      task.status = 'IN_PROGRESS';
      task.startDate = new Date(store.now()).toISOString();
    }
    for (const end = Math.min(items.length, next + CHUNK); next < end; next++) {
      const item = items[next]!;
      try {
        importSubscription(store, item);
      } catch (err) {
        if (!(err instanceof StiggError)) throw err;
        task.importErrors.push({ id: `${next}:${item.customerId}`, error: `${err.code}: ${err.message}` });
      }
    }
    task.progress = items.length === 0 ? 100 : Math.floor((next / items.length) * 100);
    if (next < items.length) {
      setImmediate(step);
      return;
    }
    const failed = task.importErrors.length;
    task.status = failed === 0 ? 'COMPLETED' : failed === items.length ? 'FAILED' : 'PARTIALLY_FAILED';
    task.endDate = new Date(store.now()).toISOString();
    store.emit('stateChanged');
  };
  setImmediate(step);
  return task;
}
