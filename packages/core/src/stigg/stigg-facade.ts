import { StiggClient, toTollgateError } from '../client/stigg-client.js';
import { decide } from '../decision/decide.js';
import type { CachedEntitlement, Decision } from '../decision/types.js';
import { isTollgateError, TollgateError } from '../errors.js';
import type { Logger as TollgateLogger } from '../options.js';
import { Tollgate } from '../tollgate.js';
import type { DrainReport } from '../usage/outbox.js';
import { toTollgateOptions } from './config.js';
import {
  answer,
  detailsOf,
  detailsOfDecision,
  fallbackEntitlement,
  fallbackList,
  type Asked,
  type Details,
  type Kind,
  mapEntitlement,
} from './entitlements.js';
import { FacadeEvents } from './events.js';
import { FeatureUnits } from './feature-units.js';
import * as M from './management.js';
import type * as S from './sdk-shapes.js';

/**
 * An error of a facade call, as the SDK's carry them: Stigg's error code as `errorCode` (`CustomerNotFound`, ...)
 * and the message prefixed with what failed. It is a `TollgateError` too (`code`, `stiggCode`, `cause`).
 */
export class StiggFacadeError extends TollgateError {
  override readonly name: string = 'StiggFacadeError';
  /** Stigg's error code, as the SDK's `ExtendedError.errorCode`; the same as `stiggCode`. */
  readonly errorCode: string | undefined;

  constructor(prefix: string, err: TollgateError) {
    super(err.code, `${prefix}: ${err.message}`, {
      cause: err,
      stiggCode: err.stiggCode,
      retryable: err.retryable,
      status: err.status,
    });
    this.errorCode = err.stiggCode;
  }
}

/** The SDK keeps one client per process; `initialize` with the same key returns it (outside tests), and so do we. */
let current: Stigg | null = null;
const inTests = () =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV === 'test';

/** The longest a read waits for the cached entitlement behind its decision (see `details`). */
const DETAILS_WAIT_MS = 2_000;

/**
 * The official Stigg Node SDK's client (`@stigg/node-server-sdk@3.95.0`), its method names, arguments and results,
 * over Tollgate: entitlements from Tollgate's two-level cache kept fresh by Stigg's stream, usage reported with
 * idempotency keys, management calls through Tollgate's client. Replace
 * `import { Stigg } from '@stigg/node-server-sdk'` by `import { Stigg } from '@tollgate/core/stigg'`.
 * What differs, and why: `docs/guide/coming-from-the-sdk.md`.
 */
export class Stigg {
  /** The Tollgate client behind the facade: give it to Tollgate's guards (`entitlements({ client: stigg.tollgate })`). */
  readonly tollgate: Tollgate;
  private readonly apiKey: string;
  private readonly fallbacks: S.EntitlementsFallback;
  private readonly offline: boolean;
  private readonly units: FeatureUnits;
  private readonly events: FacadeEvents;
  private readonly logger: TollgateLogger;
  private readonly initialized: Promise<void>;
  private closing: Promise<DrainReport> | null = null;

  private constructor(config: S.ClientConfiguration) {
    const { options, unused } = toTollgateOptions(config);
    this.tollgate = new Tollgate(options);
    this.apiKey = config.apiKey;
    this.offline = options.offline ?? false;
    this.fallbacks = { ...(config.entitlementsFallback ?? {}) };
    const base = options.logger ?? { warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
    this.logger = { ...base, debug: options.debug ? base.debug?.bind(base) : undefined };
    for (const what of unused) this.tollgate.warnOnce(`tollgate: the Stigg facade does not use ${what}`);
    this.units = new FeatureUnits(
      this.offline
        ? null
        : new StiggClient({
            apiKey: config.apiKey,
            graphqlUrl: `${new URL(options.baseUrl ?? 'https://api.stigg.io').href.replace(/\/+$/, '')}/graphql`,
            timeoutMs: options.timeoutMs ?? 10_000,
            maxAttempts: 1,
            retryBaseMs: 200,
            retryMaxMs: 5_000,
            logger: this.logger,
          }),
      this.logger,
    );
    this.events = new FacadeEvents(this.tollgate, this.units, {
      error: (m) => this.logger.error(m),
      warnOnce: (m) => this.tollgate.warnOnce(m),
    });
    this.initialized = Promise.all([this.tollgate.ready(), this.units.load()]).then(
      () => this.events.emit('initializeSuccessfully'),
      (err: unknown) => {
        if (isTollgateError(err) && err.code === 'UNAUTHENTICATED') this.events.emit('apiKeyInvalid');
        this.events.emit('initializeFailed', err);
        throw err;
      },
    );
    // Whoever does not wait for initialization is not told of its failure by an unhandled rejection.
    this.initialized.catch(() => {});
  }

  /**
   * Creates the client and starts it (the key is checked, the stream opened, the feature catalog read). Outside
   * tests (`NODE_ENV=test`), a second call with the same API key returns the first client, as the SDK does.
   */
  static initialize(configuration: S.ClientConfiguration): Stigg {
    if (!inTests() && current && current.apiKey === configuration.apiKey) {
      current.logger.error(
        'tollgate: Stigg.initialize called again with the same API key: the client made first is returned, the new configuration is ignored (close() it first to make another)',
      );
      return current;
    }
    current = new Stigg(configuration);
    return current;
  }

  /** Resolves when Tollgate is ready (`tollgate.ready()`); rejects as it does (a bad key, Stigg unreachable). */
  async waitForInitialization(): Promise<Stigg> {
    await this.initialized;
    return this;
  }

  /**
   * Delivers pending usage, closes the stream (Tollgate's `close()`) and says what became of the usage. The SDK's
   * `close()` returns nothing; awaiting this one is optional, and it never rejects unhandled.
   */
  close(): Promise<DrainReport> {
    if (current === this) current = null;
    if (!this.closing) {
      this.closing = this.tollgate.close();
      this.closing.catch((err: unknown) =>
        this.logger.error(`tollgate: closing the Stigg facade failed: ${(err as Error)?.message}`),
      );
    }
    return this.closing;
  }

  /** Adds a listener of one of the SDK's events (see `Events` for those emitted). */
  addListener<K extends S.EventNames>(eventName: K, listener: S.Events[K]): void {
    this.events.add(eventName, listener);
  }

  removeListener<K extends S.EventNames>(eventName: K, listener: S.Events[K]): void {
    this.events.remove(eventName, listener);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Entitlements

  getBooleanEntitlement(params: S.GetBooleanEntitlement): Promise<S.BooleanEntitlement> {
    return this.read('BOOLEAN', 'BOOLEAN', params, {}) as Promise<S.BooleanEntitlement>;
  }

  getNumericEntitlement(params: S.GetNumericEntitlement): Promise<S.NumericEntitlement> {
    return this.read('NUMERIC', 'NUMERIC', params, {}) as Promise<S.NumericEntitlement>;
  }

  getMeteredEntitlement(params: S.GetMeteredEntitlement): Promise<S.MeteredEntitlement> {
    const asked = { requestedUsage: params.options?.requestedUsage };
    return this.read('METERED', 'METERED', params, asked) as Promise<S.MeteredEntitlement>;
  }

  getEnumEntitlement(params: S.GetEnumEntitlement): Promise<S.EnumEntitlement> {
    const asked = { requestedValues: params.options?.requestedValues };
    return this.read('ENUM', 'ENUM', params, asked) as Promise<S.EnumEntitlement>;
  }

  /** An entitlement of whatever kind the feature is; the fallback's kind is guessed from `options` as the SDK does. */
  getEntitlement(params: S.GetEntitlement): Promise<S.Entitlement> {
    const o = params.options as (S.MeteredEntitlementOptions & S.EnumEntitlementOptions) | undefined;
    const fallbackKind: Kind =
      o && 'requestedUsage' in o
        ? 'METERED'
        : o && 'requestedValues' in o
          ? 'ENUM'
          : o?.fallback && 'value' in o.fallback
            ? 'NUMERIC'
            : 'BOOLEAN';
    return this.read(null, fallbackKind, params, {
      requestedUsage: o?.requestedUsage,
      requestedValues: o?.requestedValues,
    });
  }

  /** Every entitlement of a customer (or resource), as an array in Stigg's order. */
  async getEntitlements(customerId: string, resourceId?: string): Promise<S.Entitlement[]> {
    if (this.offline) return fallbackList(this.fallbacks);
    try {
      if (!customerId || typeof customerId !== 'string') throw new TollgateError('INVALID_REQUEST', 'customerId');
      const set = await this.tollgate.getEntitlements(customerId, resourceId ?? null);
      const now = Date.now();
      const ids = Object.keys(set);
      const units = await this.units.of(ids);
      return ids.map((featureId) => {
        const d = decide({ entitlements: set }, { customerId, featureId, resourceId: resourceId ?? null }, now);
        return mapEntitlement(featureId, d, detailsOf(set[featureId]!, now), units(featureId), {});
      });
    } catch (err) {
      this.reportFailure('Failed to get customer entitlements', err, 'GetEntitlements');
      return fallbackList(this.fallbacks);
    }
  }

  /** Drops what is cached for the customer and reads it from Stigg again. */
  async reloadEntitlements(customerId: string, resourceId?: string): Promise<{ entitledEntityExists: boolean }> {
    if (this.offline) return { entitledEntityExists: true };
    try {
      await this.tollgate.forgetCustomer(customerId);
      const set = await this.tollgate.getEntitlements(customerId, resourceId ?? null);
      return { entitledEntityExists: Object.keys(set).length > 0 };
    } catch (err) {
      this.reportFailure('Failed to reload customer entitlements', err, 'GetEntitlements');
      return { entitledEntityExists: false };
    }
  }

  /**
   * One typed getter (`kind`; null for `getEntitlement`): Tollgate's decision (synchronous on a cache hit), the cached
   * entitlement for the fields a decision does not carry, the feature's units, shaped as the SDK shapes it.
   */
  private async read(
    kind: Kind | null,
    fallbackKind: Kind,
    params: S.GetEntitlement,
    asked: Asked,
  ): Promise<S.Entitlement> {
    const { customerId, featureId } = params;
    const given = params.options?.fallback ?? this.fallbacks[featureId];
    let decision: Decision;
    try {
      const checked = this.tollgate.check({
        customerId,
        featureId,
        resourceId: params.resourceId ?? null,
        requestedUsage: asked.requestedUsage ?? 0,
        requestedValues: asked.requestedValues ?? [],
      });
      const cached = !(checked instanceof Promise);
      if (!this.offline) this.events.emit(cached ? 'cacheHit' : 'cacheMiss', this.cacheEvent(params));
      decision = cached ? checked : await checked;
    } catch (err) {
      // An unusable argument (an empty id): the SDK logs it and answers the fallback.
      this.reportFailure(
        `Failed to get ${fallbackKind.toLowerCase()} entitlement, using fallback entitlement`,
        err,
        'check',
      );
      return fallbackEntitlement(fallbackKind, given);
    }
    const fallback = fallbackEntitlement(fallbackKind, given, decision.isFallback && decision.hasAccess);
    if (decision.isFallback || decision.featureType === null)
      return answer(kind, featureId, decision, null, undefined, asked, fallback);
    const details = await this.details(customerId, params.resourceId ?? null, featureId, decision);
    const units = (await this.units.of([featureId]))(featureId);
    return answer(kind, featureId, decision, details, units, asked, fallback);
  }

  /**
   * The cached entitlement behind a decision, for the fields a decision does not carry. A decision made from a stale
   * entry (Stigg could not confirm it) takes it only if the cache hands it over at once: asking Stigg for it again
   * would make the read wait for a Stigg that is not answering. Else it is waited for (a usage change pushed while
   * the decision's read ran leaves the entry to be read again), at most `DETAILS_WAIT_MS`. Without it, what the
   * decision says.
   */
  private async details(
    customerId: string,
    resourceId: string | null,
    featureId: string,
    d: Decision,
  ): Promise<Details> {
    const read = this.tollgate.getEntitlements(customerId, resourceId).catch(() => null);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>(
      (resolve) => (timer = setTimeout(() => resolve(null), d.isStale ? 0 : DETAILS_WAIT_MS)),
    );
    const set: Record<string, CachedEntitlement> | null = await Promise.race([read, late]);
    clearTimeout(timer);
    const e = set?.[featureId];
    return e ? detailsOf(e, Date.now()) : detailsOfDecision(d)!;
  }

  private cacheEvent(params: S.GetEntitlement): S.CacheHit {
    return {
      customerId: params.customerId,
      ...(params.resourceId !== undefined ? { resourceId: params.resourceId } : {}),
    };
  }

  /** A failure the SDK logs and answers without throwing (reads): logged, and told to the SDK's event listeners. */
  private reportFailure(prefix: string, err: unknown, operation: string): void {
    const error = toTollgateError(err, operation);
    this.logger.error(`tollgate: ${prefix}: ${error.message}`);
    this.events.failed(error);
  }

  /** A call the SDK rethrows the failure of: told to the listeners, thrown as a `StiggFacadeError`. */
  private async call<R>(prefix: string, operation: string, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      const error = toTollgateError(err, operation);
      this.events.failed(error);
      throw new StiggFacadeError(prefix, error);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Usage

  /**
   * Reports usage now (not through Tollgate's batched outbox) and answers Stigg's acknowledgement. Each call carries
   * an idempotency key (yours as `idempotencyKey`, else a new one), so Tollgate's retries of it apply once.
   */
  async reportUsage(params: S.ReportUsage): Promise<S.ReportUsageAck> {
    const { customerId, featureId, resourceId } = params;
    if (this.offline) return { measurementId: crypto.randomUUID(), customerId, resourceId, featureId };
    M.refuseUnsupported('reportUsage', params, ['createdAt', 'dimensions']);
    const ack = await this.call('Failed to report usage', 'ReportUsage', () =>
      this.tollgate.reportUsage({
        customerId,
        featureId,
        value: params.value,
        ...(params.updateBehavior !== undefined ? { updateBehavior: params.updateBehavior } : {}),
        ...(resourceId !== undefined ? { resourceId } : {}),
        ...(params.idempotencyKey !== undefined ? { idempotencyKey: params.idempotencyKey } : {}),
      }),
    );
    const date = (iso: string | null) => (iso ? new Date(iso) : undefined);
    return {
      measurementId: ack.measurementId,
      customerId: ack.customerId,
      resourceId: ack.resourceId || undefined,
      featureId: ack.featureId,
      currentUsage: ack.currentUsage ?? undefined,
      usagePeriodStart: date(ack.usagePeriodStart),
      usagePeriodEnd: date(ack.usagePeriodEnd),
      nextResetDate: date(ack.usagePeriodEnd),
    };
  }

  /** Each usage as `reportUsage`, one after the other (not one bulk call: see the guide). */
  async reportUsageBulk({ usages }: S.ReportUsageBulk): Promise<S.ReportUsageAck[]> {
    const acks: S.ReportUsageAck[] = [];
    for (const usage of usages) acks.push(await this.reportUsage(usage));
    return acks;
  }

  /** Raw usage events; each carries its idempotency key. */
  async reportEvent(events: S.ReportEvent | S.ReportEvent[]): Promise<void> {
    if (this.offline) return;
    const list = Array.isArray(events) ? events : [events];
    await this.call('Failed to report usage event', 'ReportEvent', () =>
      this.tollgate.reportEvent(
        list.map(({ timestamp, ...rest }) => ({
          ...rest,
          ...(timestamp !== undefined ? { timestamp: timestamp.toISOString() } : {}),
        })),
      ),
    );
  }

  // ------------------------------------------------------------------------------------------------------------
  // Customers

  /** Creates (or updates) a customer and, with `subscriptionParams`, its first subscription. `customerId` is required. */
  provisionCustomer(params: S.ProvisionCustomer): Promise<S.ProvisionedCustomer> {
    return this.call('Failed to provision customer', 'ProvisionCustomer', async () => {
      const input = M.provisionCustomerInput(params);
      const { customer, subscription, ...rest } = await this.tollgate.provisionCustomer(input);
      // Tollgate's result types leave out the strategy its document selects.
      const strategy = (rest as { subscriptionDecisionStrategy?: S.SubscriptionDecisionStrategy })
        .subscriptionDecisionStrategy;
      return {
        customer: M.toCustomer(customer),
        subscriptionDecisionStrategy: strategy ?? (subscription ? 'REQUESTED_PLAN' : 'SKIPPED_SUBSCRIPTION_CREATION'),
        subscription: subscription ? M.toSubscription(subscription) : undefined,
      };
    });
  }

  /** @deprecated use {@link provisionCustomer}, as in the SDK */
  async createCustomer(params: S.CreateCustomer): Promise<S.Customer> {
    return (await this.provisionCustomer({ ...params, subscriptionParams: null })).customer;
  }

  updateCustomer(params: S.UpdateCustomer): Promise<S.Customer> {
    return this.call('Failed to update customer', 'UpdateCustomer', async () =>
      M.toCustomer(await this.tollgate.updateCustomer(M.updateCustomerInput(params))),
    );
  }

  /** The customer with its subscriptions; rejects (`errorCode` `CustomerNotFound`) for an unknown or archived one. */
  getCustomer(customerId: string): Promise<S.FullCustomer> {
    return this.call('Failed to get customer', 'GetCustomerById', async () => {
      const customer = await this.tollgate.getCustomer(customerId);
      if (!customer)
        throw new TollgateError('STIGG_ERROR', `Customer not found: ${customerId}`, { stiggCode: 'CustomerNotFound' });
      return M.toFullCustomer(customer);
    });
  }

  /** Archives the customer; resolves to its id. */
  archiveCustomer(customerId: string): Promise<string> {
    return this.call('Failed to archive customer', 'ArchiveCustomer', async () => {
      await this.tollgate.archiveCustomer(customerId);
      return customerId;
    });
  }

  /** The customer's active subscriptions counted by pricing type; rejects (`errorCode` `CustomerNotFound`) for an unknown one. */
  getCustomerStatistics(customerId: string): Promise<S.CustomerStatisticsModel> {
    return this.call('Failed to get customer statistics', 'GetCustomerStatistics', async () => {
      const { activeSubscriptionsByPricingType } = await this.tollgate.getCustomerStatistics(customerId);
      return {
        statistics: {
          activeSubscriptionsByPricingType: activeSubscriptionsByPricingType.map((s) => ({
            pricingType: s.pricingType,
            totalCount: s.totalCount,
          })),
        },
      };
    });
  }

  /** Removes the customer's payment method. */
  detachCustomerPaymentMethod(customerId: string): Promise<S.Customer> {
    return this.call('Failed to detach customer payment method', 'DetachCustomerPaymentMethod', async () =>
      M.toCustomer(await this.tollgate.detachCustomerPaymentMethod(customerId)),
    );
  }

  unarchiveCustomer(customerId: string): Promise<S.Customer> {
    return this.call('Failed to unarchive customer', 'UnarchiveCustomer', async () =>
      M.toCustomer(await this.tollgate.unarchiveCustomer(customerId)),
    );
  }

  // ------------------------------------------------------------------------------------------------------------
  // Subscriptions

  provisionSubscription(params: S.ProvisionSubscription): Promise<S.ProvisionSubscriptionResult> {
    return this.call('Failed to provision subscription', 'ProvisionSubscription', async () => {
      const r = await this.tollgate.provisionSubscription(M.provisionSubscriptionInput(params));
      return {
        subscription: r.subscription ? M.toSubscription(r.subscription) : undefined,
        checkoutUrl: r.checkoutUrl,
        provisionStatus: r.status,
      };
    });
  }

  updateSubscription(params: S.UpdateSubscription): Promise<S.Subscription> {
    return this.call('Failed to update subscription', 'UpdateSubscription', async () =>
      M.toSubscription(await this.tollgate.updateSubscription(M.updateSubscriptionInput(params))),
    );
  }

  cancelSubscription(params: S.CancelSubscription): Promise<S.Subscription> {
    return this.call('Failed to cancel subscription', 'CancelSubscription', async () =>
      M.toSubscription(await this.tollgate.cancelSubscription(M.cancelSubscriptionInput(params))),
    );
  }

  getSubscription({ subscriptionId }: S.GetSubscription): Promise<S.FullSubscription> {
    return this.call('Failed to get subscription', 'GetSubscription', async () =>
      M.toFullSubscription(await this.tollgate.getSubscription(subscriptionId)),
    );
  }

  /** Active subscriptions of the customer (of its resource, or of each resource of a list). */
  getActiveSubscriptions(params: S.GetActiveSubscriptions): Promise<S.FullSubscription[]> {
    return this.call('Failed to get active subscriptions', 'GetActiveSubscriptions', async () =>
      (await this.activeSubscriptions(params)).map(M.toFullSubscription),
    );
  }

  getActiveSubscriptionsList(params: S.GetActiveSubscriptions): Promise<S.SlimSubscriptionFragmentV2Fragment[]> {
    return this.call('Failed to get active subscriptions list', 'GetActiveSubscriptions', async () =>
      (await this.activeSubscriptions(params)).map(M.toSlimSubscriptionV2),
    );
  }

  private async activeSubscriptions({ customerId, resourceId }: S.GetActiveSubscriptions) {
    if (!Array.isArray(resourceId)) return this.tollgate.getActiveSubscriptions(customerId, resourceId);
    const lists = await Promise.all(resourceId.map((r) => this.tollgate.getActiveSubscriptions(customerId, r)));
    return lists.flat();
  }

  /** Cancels the subscription's updates that wait (`Scheduled` ones by default, or those `PendingPayment`). */
  cancelSubscriptionScheduledUpdates(
    params: S.CancelSubscriptionScheduledUpdates,
  ): Promise<{ subscriptionId: string }> {
    return this.call('Failed to cancel subscription scheduled updates', 'CancelSubscriptionUpdates', () =>
      this.tollgate.cancelSubscriptionUpdates({
        subscriptionId: params.subscriptionId,
        ...(params.status !== undefined ? { status: params.status } : {}),
      }),
    );
  }

  /** Moves the subscription to the latest version of its plan and add-ons (now, or at the end of its period). */
  migrateSubscriptionToLatest(params: S.MigrateSubscriptionToLatest): Promise<{ subscriptionId: string }> {
    return this.call('Failed to migrate subscription to latest', 'MigrateSubscriptionToLatest', async () => {
      const { subscriptionId } = await this.tollgate.migrateSubscriptionToLatest({
        subscriptionId: params.subscriptionId,
        ...(params.subscriptionMigrationTime !== undefined
          ? { subscriptionMigrationTime: params.subscriptionMigrationTime }
          : {}),
      });
      return { subscriptionId };
    });
  }

  /** Provisions the plan, or updates the customer's subscription to it in place, without a checkout. */
  applySubscription(params: S.ApplySubscription): Promise<S.ApplySubscriptionResults> {
    return this.call('Failed to apply subscription to customer', 'ApplySubscription', async () => {
      const sub = await this.tollgate.applySubscription(M.applySubscriptionInput(params));
      // As the SDK: the subscription's customer is the one asked for.
      return {
        subscription: sub ? M.toSubscription({ ...sub, customer: { customerId: params.customerId } }) : undefined,
      };
    });
  }

  transferSubscriptionToResource(input: S.TransferSubscriptionToResourceInput): Promise<S.Subscription> {
    return this.call('Failed to transfer subscription', 'TransferSubscriptionToResource', async () => {
      M.refuseUnsupported('transferSubscriptionToResource', input, ['environmentId']);
      return M.toSubscription(
        // Without a destination, Stigg answers why (as to the SDK).
        await this.tollgate.transferSubscriptionToResource({
          subscriptionId: input.subscriptionId,
          destinationResourceId: input.destinationResourceId ?? (undefined as unknown as string),
        }),
      );
    });
  }

  /** Lets another customer use the subscription; the paying customer stays the same. */
  delegateSubscriptionToCustomer(input: S.DelegateSubscriptionToCustomerInput): Promise<S.Subscription> {
    return this.call('Failed to delegate subscription', 'DelegateSubscriptionToCustomer', async () => {
      M.refuseUnsupported('delegateSubscriptionToCustomer', input, ['environmentId']);
      return M.toSubscription(
        await this.tollgate.delegateSubscriptionToCustomer({
          subscriptionId: input.subscriptionId,
          destinationCustomerId: input.destinationCustomerId ?? (undefined as unknown as string),
        }),
      );
    });
  }

  /** What a new subscription would cost (nothing is created). */
  estimateSubscription(params: S.EstimateSubscription): Promise<S.SubscriptionPreview> {
    return this.call('Failed to estimate subscription', 'EstimateSubscription', async () =>
      M.toSubscriptionPreview(await this.tollgate.estimateSubscription(M.estimateSubscriptionInput(params))),
    );
  }

  /** What a change to a subscription would cost now, prorated (nothing changes). */
  estimateSubscriptionUpdate(params: S.EstimateSubscriptionUpdate): Promise<S.SubscriptionPreview> {
    return this.call('Failed to estimate subscription', 'EstimateSubscriptionUpdate', async () =>
      M.toSubscriptionPreview(
        await this.tollgate.estimateSubscriptionUpdate(M.estimateSubscriptionUpdateInput(params)),
      ),
    );
  }

  /** What a subscription (or a change to the customer's plan) would cost now and each period after (nothing changes). */
  previewSubscription(params: S.PreviewSubscription): Promise<S.SubscriptionPreviewV2> {
    return this.call('Failed to preview subscription', 'PreviewSubscription', async () =>
      M.toSubscriptionPreviewV2(await this.tollgate.previewSubscription(M.previewSubscriptionInput(params))),
    );
  }

  /** One page of subscriptions (10 by default), filtered by customer, resource, status or product. */
  getSubscriptions(params: S.GetSubscriptionsParams = {}): Promise<S.GetSubscriptionsResult> {
    return this.call('Failed to get subscriptions', 'GetSubscriptions', async () => {
      const page = await this.tollgate.getSubscriptions(M.getSubscriptionsInput(params));
      return {
        data: page.subscriptions.map(M.toSubscriptionQuery),
        pageInfo: {
          startCursor: page.pageInfo.startCursor,
          endCursor: page.pageInfo.endCursor,
          hasNextPage: page.pageInfo.hasNextPage,
          hasPreviousPage: page.pageInfo.hasPreviousPage,
        },
      };
    });
  }

  /** The subscription's next invoice as it stands now. */
  previewNextInvoice({ subscriptionId }: S.PreviewNextInvoice): Promise<S.SubscriptionInvoicePreviewFragment> {
    return this.call('Failed to preview subscription next invoice', 'PreviewNextInvoice', async () =>
      M.toInvoicePreview(await this.tollgate.previewNextInvoice(subscriptionId)),
    );
  }

  // ------------------------------------------------------------------------------------------------------------
  // Credits and usage history

  grantCredits(input: S.CreditGrantInput): Promise<S.CreditGrantFragment | undefined> {
    return this.call('Failed to grant credits', 'GrantCredits', async () =>
      M.toCreditGrant(await this.tollgate.grantCredits(M.grantCreditsInput(input))),
    );
  }

  voidCreditGrant(input: S.VoidCreditGrantInput): Promise<S.CreditGrantFragment | undefined> {
    return this.call('Failed to void credit grant', 'VoidCreditGrant', async () => {
      M.refuseUnsupported('voidCreditGrant', input, ['environmentId']);
      return M.toCreditGrant(await this.tollgate.voidCreditGrant(input.id));
    });
  }

  /** The customer's credit grants that are not voided: the first 100 (`pageInfo` is not given; see the guide). */
  getCreditGrants(input: S.GetCreditGrantsInput): Promise<S.GetCreditGrantsResult> {
    return this.call('Failed to get credit grants', 'GetCreditGrants', async () => {
      const data = (await this.tollgate.getCreditGrants(M.creditScope('getCreditGrants', input))).map(M.toCreditGrant);
      return { data, totalCount: data.length };
    });
  }

  getCreditBalance(input: S.CreditBalanceSummaryInput): Promise<S.CreditsBalanceSummaryFragment> {
    return this.call('Failed to get credit balance', 'GetCreditBalance', async () => ({
      customerId: input.customerId,
      balances: (await this.tollgate.getCreditBalance(M.creditScope('getCreditBalance', input))).map(M.toCreditBalance),
    }));
  }

  /** A feature's usage over time: one series of points, with a marker where a usage period starts. */
  getUsageHistoryV2(input: S.UsageHistoryV2Input): Promise<S.UsageHistoryV2Fragment> {
    return this.call('Failed to get usage history', 'GetUsageHistoryV2', async () => {
      const h = await this.tollgate.getUsageHistory(M.usageHistoryInput(input));
      return {
        markers: h.markers.map((m) => ({ type: m.type, timestamp: m.timestamp })),
        series: h.series.map((x) => ({
          tags: x.tags.map((t) => ({ key: t.key, value: t.value })),
          points: x.points.map((p) => ({ timestamp: p.timestamp, value: p.value, isResetPoint: p.isResetPoint })),
        })),
      };
    });
  }

  // ------------------------------------------------------------------------------------------------------------
  // Catalog

  getPaywall(params: S.GetPaywall = {}): Promise<S.Paywall> {
    return this.call('Failed to get paywall', 'GetPaywall', async () => {
      const { productId, customerId, resourceId, billingCountryCode, fetchAllCountriesPrices, includeHiddenPlans } =
        params;
      // As the SDK sends them: what is empty or `false` is not sent.
      return M.toPaywall(
        await this.tollgate.getPaywall({
          ...(productId ? { productId } : {}),
          ...(customerId ? { customerId } : {}),
          ...(resourceId ? { resourceId } : {}),
          ...(billingCountryCode ? { billingCountryCode } : {}),
          ...(fetchAllCountriesPrices ? { fetchAllCountriesPrices } : {}),
          ...(includeHiddenPlans ? { includeHiddenPlans } : {}),
        }),
      );
    });
  }

  getProducts(): Promise<S.Product[]> {
    return this.call('Failed to get products', 'GetProducts', async () =>
      (await this.tollgate.getProducts()).map((p) => ({
        id: p.refId,
        displayName: p.displayName,
        description: p.description,
      })),
    );
  }

  getCoupons(): Promise<S.Coupon[]> {
    return this.call('Failed to get coupons', 'GetCoupons', async () =>
      (await this.tollgate.getCoupons()).map((c) => ({
        id: c.refId,
        name: c.name,
        // Selected by Tollgate's document, not in its result type.
        description: (c as { description?: string | null }).description ?? null,
        discountValue: c.discountValue,
        percentOff: c.percentOff,
      })),
    );
  }

  // ------------------------------------------------------------------------------------------------------------
  // Promotional entitlements

  grantPromotionalEntitlements(
    input: S.GrantPromotionalEntitlementsInput,
  ): Promise<S.PromotionalEntitlementFragment[]> {
    return this.call('Failed to grant promotional entitlements', 'GrantPromotionalEntitlements', async () =>
      (
        await this.tollgate.grantPromotionalEntitlements(
          input.customerId,
          input.promotionalEntitlements.map(M.grantInput),
        )
      ).map(M.toPromotionFragment),
    );
  }

  /**
   * Revokes the customer's promotional entitlement to a feature (Tollgate's `revokePromotionalEntitlement`).
   * Resolves to `{}`: the SDK's `id` is Stigg's internal id of the promotion, which Tollgate does not return.
   */
  revokePromotionalEntitlements(input: S.RevokePromotionalEntitlementInput): Promise<{ id?: string }> {
    return this.call('Failed to revoke promotional entitlement', 'RevokePromotionalEntitlement', async () => {
      await this.tollgate.revokePromotionalEntitlement(input.customerId, input.featureId);
      return {};
    });
  }

  grantPromotionalEntitlementsGroup(
    input: S.GrantPromotionalEntitlementsGroupInput,
  ): Promise<S.PromotionalEntitlementFragment[]> {
    return this.call(
      'Failed to grant promotional entitlements group',
      'GrantPromotionalEntitlementsGroup',
      async () => {
        M.refuseUnsupported('grantPromotionalEntitlementsGroup', input, ['environmentId']);
        return (
          await this.tollgate.grantPromotionalEntitlementsGroup({
            customerId: input.customerId,
            featureGroupId: input.featureGroupId,
            promotionalEntitlements: input.promotionalEntitlements.map(M.grantInput),
          })
        ).map(M.toPromotionFragment);
      },
    );
  }

  /** Revokes the promotional entitlements of a feature group; resolves to them (`Expired`). */
  revokePromotionalEntitlementsGroup(
    input: S.RevokePromotionalEntitlementsGroupInput,
  ): Promise<S.PromotionalEntitlementFragment[]> {
    return this.call(
      'Failed to revoke promotional entitlements group',
      'RevokePromotionalEntitlementsGroup',
      async () => {
        M.refuseUnsupported('revokePromotionalEntitlementsGroup', input, ['environmentId']);
        const { customerId, featureGroupId } = input;
        return (await this.tollgate.revokePromotionalEntitlementsGroup({ customerId, featureGroupId })).map(
          M.toPromotionFragment,
        );
      },
    );
  }

  /** Keeps a feature group's promotional entitlements, no longer as a group. */
  unlinkPromotionalEntitlementsGroup(
    input: S.UnlinkPromotionalEntitlementsGroupInput,
  ): Promise<S.PromotionalEntitlementFragment[]> {
    return this.call(
      'Failed to unlink promotional entitlements group',
      'UnlinkPromotionalEntitlementsGroup',
      async () => {
        M.refuseUnsupported('unlinkPromotionalEntitlementsGroup', input, ['environmentId']);
        const { customerId, featureGroupId } = input;
        return (await this.tollgate.unlinkPromotionalEntitlementsGroup({ customerId, featureGroupId })).map(
          M.toPromotionFragment,
        );
      },
    );
  }
}
