import { badInput, StiggError } from '../errors.js';
import { applyChange } from './billing.js';
import { isActive } from './entitlements.js';
import { newId } from './ids.js';
import type { ScheduledUpdateRecord, ScheduleStatus, SubscriptionRecord } from './records.js';
import type { Store } from './store.js';
import { billingPeriodEnd, getSubscription } from './subscriptions.js';

/**
 * Scheduled subscription updates: changes asked for `scheduleStrategy: END_OF_BILLING_PERIOD` (a downgrade, fewer
 * add-ons, another billing period, a unit quantity) and migrations at the end of the period. They are shown in
 * `scheduledUpdates` / `futureUpdates`, applied when the store's clock passes their time (`settleSchedules`, run
 * before every operation and every second), and cancelled with `cancelSchedule`.
 */

export type ScheduleRequest = Omit<ScheduledUpdateRecord, 'id' | 'status' | 'executeAt' | 'createdAt'>;

/** Where a scheduled change applies: the end of the current billing period (or of the current month). */
export function executionTime(store: Store, sub: SubscriptionRecord, strategy: string | null | undefined): string {
  const now = store.now();
  if (strategy === 'END_OF_BILLING_MONTH') {
    return billingPeriodEnd({ billingPeriod: 'MONTHLY', startDate: sub.startDate }, now);
  }
  return billingPeriodEnd(sub, now);
}

/** Adds scheduled changes to a subscription; a change of the same kind (and add-on) replaces the earlier one. */
export function scheduleUpdates(
  store: Store,
  sub: SubscriptionRecord,
  requests: ScheduleRequest[],
  strategy: string | null | undefined,
): ScheduledUpdateRecord[] {
  if (!isActive(sub, store.now()))
    throw new StiggError('SubscriptionAlreadyCanceledOrExpired', `Subscription ${sub.subscriptionId} is not active`);
  const executeAt = executionTime(store, sub, strategy);
  const createdAt = new Date(store.now()).toISOString();
  const planChange = (t: string) => t === 'Downgrade' || t === 'Plan';
  const added = requests.map((r) => ({ ...r, id: newId(), status: 'Scheduled' as const, executeAt, createdAt }));
  const replaces = (u: ScheduledUpdateRecord, a: ScheduleRequest) =>
    u.status === 'Scheduled' &&
    ((planChange(a.type) && planChange(u.type)) || (a.type === u.type && a.addonId === u.addonId));
  for (const u of sub.scheduledUpdates ?? []) if (added.some((a) => replaces(u, a))) u.status = 'Canceled';
  sub.scheduledUpdates = [...(sub.scheduledUpdates ?? []), ...added];
  // Keep the record bounded: the 20 latest finished updates are enough history.
  const finished = sub.scheduledUpdates.filter((u) => u.status !== 'Scheduled' && u.status !== 'PendingPayment');
  if (finished.length > 20) {
    const drop = new Set(finished.slice(0, finished.length - 20));
    sub.scheduledUpdates = sub.scheduledUpdates.filter((u) => !drop.has(u));
  }
  sub.updatedAt = createdAt;
  store.scheduled.add(sub.subscriptionId);
  store.emit('stateChanged');
  return added;
}

/** Pending updates of a subscription (those `scheduledUpdates` and `futureUpdates` show). */
export const pendingUpdates = (sub: SubscriptionRecord): ScheduledUpdateRecord[] =>
  (sub.scheduledUpdates ?? []).filter((u) => u.status === 'Scheduled' || u.status === 'PendingPayment');

/**
 * Cancels a subscription's pending updates (those of one status when given). Answers the subscription id, as
 * Stigg's `cancelSchedule` does.
 */
export function cancelScheduledUpdates(store: Store, subscriptionId: string, status?: ScheduleStatus | null): string {
  const sub = getSubscription(store, subscriptionId);
  if (status && status !== 'Scheduled' && status !== 'PendingPayment')
    throw badInput(`status must be Scheduled or PendingPayment, got ${status}`);
  let cancelled = 0;
  for (const u of pendingUpdates(sub)) {
    if (status && u.status !== status) continue;
    u.status = 'Canceled';
    cancelled += 1;
  }
  if (cancelled > 0) {
    sub.updatedAt = new Date(store.now()).toISOString();
    if (pendingUpdates(sub).length === 0) store.scheduled.delete(sub.subscriptionId);
    store.emit('entitlementsChanged', sub.customerId, sub.resourceId);
  }
  return sub.subscriptionId;
}

/** Applies every scheduled update whose time has come, in time order; entitlements are pushed. */
export function settleSchedules(store: Store): void {
  if (store.scheduled.size === 0) return;
  const now = store.now();
  for (const id of [...store.scheduled]) {
    const sub = store.subscriptions.get(id);
    const pending = sub ? pendingUpdates(sub) : [];
    if (!sub || pending.length === 0) {
      store.scheduled.delete(id);
      continue;
    }
    const due = pending
      .filter((u) => u.status === 'Scheduled' && Date.parse(u.executeAt) <= now)
      .sort((a, b) => a.executeAt.localeCompare(b.executeAt));
    if (due.length === 0) continue;
    for (const u of due) {
      // A subscription that ended before its update was due keeps its plan: the update fails.
      if (sub.cancellationDate && Date.parse(sub.cancellationDate) <= Date.parse(u.executeAt)) {
        u.status = 'Failed';
        continue;
      }
      applyChange(sub, u);
      u.status = 'Done';
      sub.updatedAt = u.executeAt;
    }
    if (pendingUpdates(sub).length === 0) store.scheduled.delete(id);
    store.emit('entitlementsChanged', sub.customerId, sub.resourceId);
  }
}
