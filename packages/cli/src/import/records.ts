import type { ImportCustomerInput, ImportSubscriptionInput, ImportUsageInput, StiggCatalog } from '@tollgate/core';

/** The three kinds of record, in the order they are imported. */
export type Entity = 'customers' | 'subscriptions' | 'usage';
export const ENTITIES: readonly Entity[] = ['customers', 'subscriptions', 'usage'];

export type EntityInput = {
  customers: ImportCustomerInput;
  subscriptions: ImportSubscriptionInput;
  usage: ImportUsageInput;
};

/** Why a record is not imported: a short code and a sentence. */
export interface Problem {
  code: string;
  reason: string;
}

export type Checked<E extends Entity> = { ok: true; input: EntityInput[E] } | { ok: false; problem: Problem };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

class Invalid extends Error {
  constructor(readonly problem: Problem) {
    super(problem.reason);
  }
}
const invalid = (code: string, reason: string): never => {
  throw new Invalid({ code, reason });
};

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    invalid('INVALID_RECORD', `${what} must be an object`);
  return value as Record<string, unknown>;
}
function onlyFields(record: Record<string, unknown>, allowed: readonly string[], what: string) {
  for (const field of Object.keys(record)) {
    if (!allowed.includes(field))
      invalid('UNKNOWN_FIELD', `${what} has an unknown field "${field}" (known: ${allowed.join(', ')})`);
  }
}
function requiredId(record: Record<string, unknown>, field: string): string {
  const v = record[field];
  if (v === undefined || v === null || v === '') invalid('MISSING_FIELD', `${field} is required`);
  if (typeof v !== 'string') invalid('INVALID_FIELD', `${field} must be a string`);
  if ((v as string).trim() !== v) invalid('INVALID_FIELD', `${field} "${v as string}" has leading or trailing spaces`);
  return v as string;
}
function optionalString(record: Record<string, unknown>, field: string): string | undefined {
  const v = record[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') invalid('INVALID_FIELD', `${field} must be a string`);
  return v as string;
}
/** An ISO-8601 date or date-time that names a real day (`Date.parse` takes 2026-02-31 for 2026-03-03). */
function isIsoDate(v: string): boolean {
  if (!ISO_DATE.test(v) || Number.isNaN(Date.parse(v))) return false;
  const [y, m, d] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}
function optionalDate(record: Record<string, unknown>, field: string): string | undefined {
  const v = optionalString(record, field);
  if (v !== undefined && !isIsoDate(v)) invalid('INVALID_DATE', `${field} "${v}" is not an ISO-8601 date`);
  return v;
}
function optionalNumber(record: Record<string, unknown>, field: string, min = 0): number | undefined {
  const v = record[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    invalid('INVALID_FIELD', `${field} must be a number of at least ${min}`);
  return v as number;
}
function oneOf<T extends string>(record: Record<string, unknown>, field: string, values: readonly T[]): T | undefined {
  const v = record[field];
  if (v === undefined || v === null) return undefined;
  if (!values.includes(v as T))
    invalid('INVALID_FIELD', `${field} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}
/** Stigg's docs spell the field `metadata` in one example and `additionalMetaData` in another. */
function metadataOf(record: Record<string, unknown>): Record<string, unknown> | undefined {
  if (record.metadata != null && record.additionalMetaData != null)
    invalid('INVALID_FIELD', 'give metadata or additionalMetaData, not both');
  const v = record.metadata ?? record.additionalMetaData;
  if (v === undefined || v === null) return undefined;
  return asObject(v, 'metadata');
}
function list<T>(
  record: Record<string, unknown>,
  field: string,
  item: (v: Record<string, unknown>, where: string) => T,
): T[] | undefined {
  const v = record[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) invalid('INVALID_FIELD', `${field} must be an array`);
  return (v as unknown[]).map((x, i) => item(asObject(x, `${field}[${i}]`), `${field}[${i}]`));
}

const CUSTOMER_FIELDS = [
  'customerId',
  'email',
  'name',
  'billingId',
  'paymentMethodId',
  'updatedAt',
  'metadata',
  'additionalMetaData',
] as const;
const SUBSCRIPTION_FIELDS = [
  'customerId',
  'planId',
  'resourceId',
  'billingPeriod',
  'startDate',
  'endDate',
  'updatedAt',
  'unitQuantity',
  'billableFeatures',
  'addons',
  'metadata',
  'additionalMetaData',
  'entitlements',
] as const;
const USAGE_FIELDS = ['customerId', 'resourceId', 'featureId', 'usage'] as const;

/** What a record is known by in reports: its id fields. */
export function keyOf(entity: Entity, raw: unknown): string {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const part = (f: string) => (typeof r[f] === 'string' ? (r[f] as string) : '');
  if (entity === 'customers') return part('customerId');
  if (entity === 'subscriptions')
    return [part('customerId'), part('resourceId'), part('planId')].filter(Boolean).join('/');
  return [part('customerId'), part('resourceId'), part('featureId')].filter(Boolean).join('/');
}

function checkCustomer(raw: unknown): ImportCustomerInput {
  const r = asObject(raw, 'a customer');
  onlyFields(r, CUSTOMER_FIELDS, 'the customer');
  const input: ImportCustomerInput = { customerId: requiredId(r, 'customerId') };
  for (const f of ['email', 'name', 'billingId', 'paymentMethodId'] as const) {
    const v = optionalString(r, f);
    if (v !== undefined) input[f] = v;
  }
  const updatedAt = optionalDate(r, 'updatedAt');
  if (updatedAt) input.updatedAt = updatedAt;
  const meta = metadataOf(r);
  if (meta) input.additionalMetaData = meta;
  return input;
}

function checkSubscription(raw: unknown, catalog: StiggCatalog | null): ImportSubscriptionInput {
  const r = asObject(raw, 'a subscription');
  onlyFields(r, SUBSCRIPTION_FIELDS, 'the subscription');
  const input: ImportSubscriptionInput = { customerId: requiredId(r, 'customerId'), planId: requiredId(r, 'planId') };
  const resourceId = optionalString(r, 'resourceId');
  if (resourceId) input.resourceId = resourceId;
  const billingPeriod = oneOf(r, 'billingPeriod', ['MONTHLY', 'ANNUALLY'] as const);
  if (billingPeriod) input.billingPeriod = billingPeriod;
  for (const f of ['startDate', 'endDate', 'updatedAt'] as const) {
    const v = optionalDate(r, f);
    if (v) input[f] = v;
  }
  if (input.startDate && input.endDate && Date.parse(input.endDate) <= Date.parse(input.startDate)) {
    invalid('INVALID_DATE', `endDate ${input.endDate} is not after startDate ${input.startDate}`);
  }
  const unitQuantity = optionalNumber(r, 'unitQuantity', 1);
  if (unitQuantity !== undefined) input.unitQuantity = unitQuantity;
  const billable = list(r, 'billableFeatures', (b, where) => {
    onlyFields(b, ['featureId', 'quantity'], where);
    return {
      featureId: requiredId(b, 'featureId'),
      quantity: optionalNumber(b, 'quantity') ?? invalid('MISSING_FIELD', `${where}.quantity is required`),
    };
  });
  if (billable) input.billableFeatures = billable;
  const addons = list(r, 'addons', (a, where) => {
    onlyFields(a, ['addonId', 'quantity'], where);
    return { addonId: requiredId(a, 'addonId'), quantity: optionalNumber(a, 'quantity', 1) ?? 1 };
  });
  if (addons) input.addons = addons;
  const meta = metadataOf(r);
  if (meta) input.additionalMetaData = meta;
  const entitlements = list(r, 'entitlements', (e, where) => {
    if ((e.feature != null) === (e.credit != null))
      invalid('FEATURE_AND_CREDIT', `${where} must have exactly one of feature or credit`);
    onlyFields(e, ['feature', 'credit'], where);
    if (e.feature != null) {
      const f = asObject(e.feature, `${where}.feature`);
      requiredId(f, 'featureId');
      return { feature: f };
    }
    const c = asObject(e.credit, `${where}.credit`);
    requiredId(c, 'customCurrencyId');
    optionalNumber(c, 'amount');
    oneOf(c, 'cadence', ['MONTH', 'YEAR'] as const);
    return { credit: c };
  });
  if (entitlements) input.entitlements = entitlements;

  if (catalog) {
    const plan = catalog.plans.get(input.planId);
    if (!plan) invalid('UNKNOWN_PLAN', `plan "${input.planId}" is not in Stigg's catalog`);
    if (plan!.pricingType === 'PAID' && !input.billingPeriod)
      invalid('MISSING_FIELD', `billingPeriod is required: plan "${input.planId}" is paid`);
    if (input.entitlements && plan!.pricingType !== 'CUSTOM') {
      invalid(
        'INVALID_FIELD',
        `entitlements are only for custom plans; "${input.planId}" is ${plan!.pricingType ?? 'not custom'}`,
      );
    }
    for (const a of input.addons ?? [])
      if (!catalog.addons.has(a.addonId)) invalid('UNKNOWN_ADDON', `add-on "${a.addonId}" is not in Stigg's catalog`);
    const features = [
      ...(input.billableFeatures ?? []).map((b) => b.featureId),
      ...(input.entitlements ?? []).flatMap((e) => (e.feature ? [e.feature.featureId as string] : [])),
    ];
    for (const f of features)
      if (!catalog.features.has(f)) invalid('UNKNOWN_FEATURE', `feature "${f}" is not in Stigg's catalog`);
  }
  return input;
}

function checkUsage(raw: unknown, catalog: StiggCatalog | null): ImportUsageInput {
  const r = asObject(raw, 'a usage record');
  onlyFields(r, USAGE_FIELDS, 'the usage record');
  const input: ImportUsageInput = {
    customerId: requiredId(r, 'customerId'),
    featureId: requiredId(r, 'featureId'),
    value: 0,
  };
  const resourceId = optionalString(r, 'resourceId');
  if (resourceId) input.resourceId = resourceId;
  if (r.usage === undefined || r.usage === null) invalid('MISSING_FIELD', 'usage is required');
  input.value = optionalNumber(r, 'usage')!;
  if (catalog) {
    const feature = catalog.features.get(input.featureId);
    if (!feature) invalid('UNKNOWN_FEATURE', `feature "${input.featureId}" is not in Stigg's catalog`);
    if (!feature!.metered) invalid('NOT_METERED', `feature "${input.featureId}" is not metered: usage cannot be set`);
  }
  return input;
}

/** Checks one record on its own (fields, types, enums, dates, the catalog) and maps it to its API input. */
export function checkRecord<E extends Entity>(entity: E, raw: unknown, catalog: StiggCatalog | null): Checked<E> {
  try {
    const input =
      entity === 'customers'
        ? checkCustomer(raw)
        : entity === 'subscriptions'
          ? checkSubscription(raw, catalog)
          : checkUsage(raw, catalog);
    return { ok: true, input: input as EntityInput[E] };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, problem: err.problem };
    throw err;
  }
}

/** What makes two records of a kind the same thing: one customer; one subscription per customer, resource and product; one usage value per customer, resource and feature. */
export function identityOf<E extends Entity>(entity: E, input: EntityInput[E], catalog: StiggCatalog | null): string {
  if (entity === 'customers') return input.customerId;
  if (entity === 'subscriptions') {
    const s = input as ImportSubscriptionInput;
    const product = catalog?.plans.get(s.planId)?.productId ?? `plan:${s.planId}`;
    return `${s.customerId}\u0000${s.resourceId ?? ''}\u0000${product}`;
  }
  const u = input as ImportUsageInput;
  return `${u.customerId}\u0000${u.resourceId ?? ''}\u0000${u.featureId}`;
}
