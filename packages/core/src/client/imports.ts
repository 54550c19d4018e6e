import * as doc from './documents.js';
import { isCustomerNotFound } from './management.js';
import { StiggClient } from './stigg-client.js';
import type { Logger } from '../options.js';

/** A record of `importCustomersBulk` (`ImportCustomerInput`). */
export interface ImportCustomerInput {
  customerId: string;
  email?: string | null;
  name?: string | null;
  billingId?: string | null;
  paymentMethodId?: string | null;
  updatedAt?: string | null;
  additionalMetaData?: Record<string, unknown> | null;
}

/** A record of `importSubscriptionsBulk` (`ImportSubscriptionInput` with Stigg's `entitlements` extension). */
export interface ImportSubscriptionInput {
  customerId: string;
  planId: string;
  resourceId?: string | null;
  billingPeriod?: 'MONTHLY' | 'ANNUALLY' | null;
  startDate?: string | null;
  endDate?: string | null;
  updatedAt?: string | null;
  unitQuantity?: number | null;
  billableFeatures?: { featureId: string; quantity: number }[] | null;
  addons?: { addonId: string; quantity: number }[] | null;
  additionalMetaData?: Record<string, unknown> | null;
  entitlements?: { feature?: Record<string, unknown>; credit?: Record<string, unknown> }[] | null;
}

/** A usage record reported with `updateBehavior: SET`. */
export interface ImportUsageInput {
  customerId: string;
  featureId: string;
  resourceId?: string | null;
  value: number;
}

export type TaskStatus = 'PENDING' | 'IN_PROGRESS' | 'COMPLETED' | 'PARTIALLY_FAILED' | 'FAILED' | 'CANCELED';

export interface ImportTask {
  id: string;
  status: TaskStatus;
  progress: number;
  totalSubtasksCount: number;
  importErrors: { id: string; error: string }[] | null;
}

/** A package entitlement as the catalog read selects it; its `featureId` would be Stigg's internal id. */
interface WirePackageEntitlement {
  feature: { refId: string; featureType: string; meterType: string | null } | null;
}

/** What an import validates against: the plans, add-ons and features Stigg holds. */
export interface StiggCatalog {
  plans: Map<string, { pricingType: string | null; productId: string | null }>;
  addons: Set<string>;
  /** Features granted by some plan or add-on, keyed by their id (`refId`), with whether usage can be reported for them. */
  features: Map<string, { metered: boolean }>;
}

export interface ImportClientOptions {
  apiKey: string;
  /** Default `https://api.stigg.io`. */
  baseUrl?: string;
  /** Per-request timeout. Default 60 s (an import request carries up to 1,000 records). */
  timeoutMs?: number;
  logger?: Logger;
}

const silent: Logger = { warn() {}, error() {} };

/**
 * Stigg's bulk-import calls over the core's client. Every call is made once: the importer owns retries, because
 * it paces requests per operation and decides what is safe to replay (all of these writes are idempotent by
 * Stigg's import semantics).
 */
export class StiggImportClient {
  private readonly client: StiggClient;

  constructor(options: ImportClientOptions) {
    this.client = new StiggClient({
      apiKey: options.apiKey,
      graphqlUrl: `${(options.baseUrl ?? 'https://api.stigg.io').replace(/\/+$/, '')}/graphql`,
      timeoutMs: options.timeoutMs ?? 60_000,
      maxAttempts: 1,
      retryBaseMs: 0,
      retryMaxMs: 0,
      logger: options.logger ?? silent,
    });
  }

  private once<T>(document: string, variables: Record<string, unknown> | undefined, operation: string): Promise<T> {
    return this.client.request<T>(document, variables, operation, { idempotent: false });
  }

  /** Stigg answers a free-form string (stigg-local: "N created, N updated, N unchanged, N skipped"). */
  async importCustomers(customers: ImportCustomerInput[]): Promise<string | null> {
    const data = await this.once<{ importCustomersBulk: string | null }>(
      doc.IMPORT_CUSTOMERS_BULK,
      { input: { customers } },
      'ImportCustomerBulk',
    );
    return data.importCustomersBulk;
  }

  /** Starts an asynchronous import task; returns its id. */
  async importSubscriptions(subscriptions: ImportSubscriptionInput[]): Promise<string> {
    const data = await this.once<{ importSubscriptionsBulk: string | null }>(
      doc.IMPORT_SUBSCRIPTIONS_BULK,
      { input: { subscriptions } },
      'ImportSubscriptionsBulk',
    );
    if (!data.importSubscriptionsBulk) throw new Error('importSubscriptionsBulk answered no task id');
    return data.importSubscriptionsBulk;
  }

  async importTask(id: string): Promise<ImportTask | null> {
    const data = await this.once<{ importIntegrationTasks: { edges: { node: ImportTask }[] } }>(
      doc.IMPORT_TASK,
      { id },
      'ImportIntegrationTask',
    );
    return data.importIntegrationTasks.edges[0]?.node ?? null;
  }

  async setUsage(usages: ImportUsageInput[]): Promise<void> {
    await this.once(
      doc.REPORT_USAGE_BULK,
      { input: { usages: usages.map((u) => ({ ...u, updateBehavior: 'SET' })) } },
      'ReportUsageBulk',
    );
  }

  /** Plans (hidden ones too), their add-ons and the features they grant. */
  async catalog(): Promise<StiggCatalog> {
    type WirePlan = {
      refId: string;
      pricingType: string | null;
      product: { refId: string } | null;
      entitlements: WirePackageEntitlement[] | null;
      inheritedEntitlements: WirePackageEntitlement[] | null;
      compatibleAddons: { refId: string; entitlements: WirePackageEntitlement[] | null }[] | null;
    };
    const data = await this.once<{ paywall: { plans: WirePlan[] } }>(doc.IMPORT_CATALOG, undefined, 'ImportCatalog');
    const catalog: StiggCatalog = { plans: new Map(), addons: new Set(), features: new Map() };
    const addFeatures = (list: WirePackageEntitlement[] | null) => {
      for (const { feature } of list ?? []) {
        if (!feature) continue;
        const metered = !!feature.meterType && feature.meterType !== 'None';
        catalog.features.set(feature.refId, {
          metered: metered || (catalog.features.get(feature.refId)?.metered ?? false),
        });
      }
    };
    for (const plan of data.paywall.plans) {
      catalog.plans.set(plan.refId, { pricingType: plan.pricingType, productId: plan.product?.refId ?? null });
      addFeatures(plan.entitlements);
      addFeatures(plan.inheritedEntitlements);
      for (const addon of plan.compatibleAddons ?? []) {
        catalog.addons.add(addon.refId);
        addFeatures(addon.entitlements);
      }
    }
    return catalog;
  }

  /** Whether Stigg shows a customer with this id (an archived one is hidden, though its id stays taken). */
  async customerExists(customerId: string): Promise<boolean> {
    try {
      const data = await this.once<{ getCustomerByRefId: { customerId: string } | null }>(
        doc.CUSTOMER_EXISTS,
        { input: { customerId } },
        'CustomerExists',
      );
      return !!data.getCustomerByRefId;
    } catch (err) {
      if (isCustomerNotFound(err)) return false;
      throw err;
    }
  }

  /** Active subscriptions of these customers, as `customerId/resourceId/planId` keys. */
  async activeSubscriptionKeys(customerIds: string[]): Promise<Set<string>> {
    type Node = { customer: { customerId: string }; resource: { resourceId: string } | null; plan: { refId: string } };
    const data = await this.once<{ subscriptions: { edges: { node: Node }[] } }>(
      doc.ACTIVE_SUBSCRIPTIONS_OF,
      {
        filter: { customerId: { in: customerIds }, status: { in: ['ACTIVE', 'IN_TRIAL'] } },
        first: customerIds.length * 4 + 100,
      },
      'ActiveSubscriptionsOf',
    );
    return new Set(
      data.subscriptions.edges.map(({ node }) =>
        subscriptionKey(node.customer.customerId, node.resource?.resourceId, node.plan.refId),
      ),
    );
  }
}

export const subscriptionKey = (customerId: string, resourceId: string | null | undefined, planId: string) =>
  `${customerId}\u0000${resourceId ?? ''}\u0000${planId}`;
