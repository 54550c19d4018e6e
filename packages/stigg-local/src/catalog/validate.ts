import type { Catalog, EntitlementDef, FeatureDef } from './types.js';

/** A catalog that cannot be served. `problems` lists every one, each with the path of the offending field. */
export class CatalogError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid catalog ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'CatalogError';
  }
}

const FEATURE_TYPES = ['BOOLEAN', 'NUMBER', 'ENUM'];
const METER_TYPES = ['None', 'Fluctuating', 'Incremental'];
const RESET_PERIODS = ['HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR'];
const MONTHLY = ['SubscriptionStart', 'StartOfTheMonth'];
const WEEKLY = [
  'SubscriptionStart',
  'EveryMonday',
  'EveryTuesday',
  'EveryWednesday',
  'EveryThursday',
  'EveryFriday',
  'EverySaturday',
  'EverySunday',
];
const PRICING_TYPES = ['FREE', 'PAID', 'CUSTOM'];
const BILLING_PERIODS = ['MONTHLY', 'ANNUALLY'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed catalog and returns it typed. Every problem is collected, so one run names them all.
 * @throws CatalogError
 */
export function validateCatalog(input: unknown, source = '(inline)'): Catalog {
  const problems: string[] = [];
  const fail = (path: string, msg: string) => problems.push(`${path}: ${msg}`);
  if (!isObj(input)) throw new CatalogError(source, ['the catalog must be a JSON object']);

  const str = (o: Obj, key: string, path: string, required = true): void => {
    const v = o[key];
    if (v === undefined ? required : typeof v !== 'string' || v === '') {
      fail(`${path}.${key}`, required && v === undefined ? 'is required' : 'must be a non-empty string');
    }
  };
  const oneOf = (o: Obj, key: string, allowed: string[], path: string, required = false): void => {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) fail(`${path}.${key}`, `is required (one of ${allowed.join(', ')})`);
      return;
    }
    if (typeof v !== 'string' || !allowed.includes(v))
      fail(`${path}.${key}`, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  };
  const list = (key: string, required: boolean): Obj[] => {
    const v = input[key];
    if (v === undefined && !required) return [];
    if (!Array.isArray(v)) {
      fail(key, 'must be an array');
      return [];
    }
    return v.map((item, i) => {
      if (!isObj(item)) fail(`${key}[${i}]`, 'must be an object');
      return isObj(item) ? item : {};
    });
  };
  const uniqueIds = (items: Obj[], key: string): Set<string> => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      str(item, 'id', `${key}[${i}]`);
      const id = item.id as string;
      if (typeof id !== 'string') return;
      if (seen.has(id)) fail(`${key}[${i}].id`, `duplicate id "${id}"`);
      seen.add(id);
    });
    return seen;
  };
  const resetConfig = (o: Obj, path: string) => {
    oneOf(o, 'resetPeriod', RESET_PERIODS, path);
    oneOf(o, 'monthlyAccordingTo', MONTHLY, path);
    oneOf(o, 'weeklyAccordingTo', WEEKLY, path);
  };
  const prices = (o: Obj, path: string) => {
    if (o.prices === undefined) return;
    if (!Array.isArray(o.prices)) {
      fail(`${path}.prices`, 'must be an array');
      return;
    }
    for (const [i, p] of (o.prices as unknown[]).entries()) {
      const pp = `${path}.prices[${i}]`;
      if (!isObj(p)) {
        fail(pp, 'must be an object');
        continue;
      }
      oneOf(p, 'billingPeriod', BILLING_PERIODS, pp, true);
      oneOf(p, 'billingModel', ['FLAT_FEE', 'PER_UNIT'], pp);
      if (typeof p.amount !== 'number' || p.amount < 0) fail(`${pp}.amount`, 'must be a number >= 0');
    }
  };

  const products = list('products', true);
  const features = list('features', true);
  const plans = list('plans', true);
  const addons = list('addons', false);
  const coupons = list('coupons', false);
  const customers = list('customers', false);
  const currencies = list('currencies', false);

  const productIds = uniqueIds(products, 'products');
  const featureIds = uniqueIds(features, 'features');
  const planIds = uniqueIds(plans, 'plans');
  const addonIds = uniqueIds(addons, 'addons');
  uniqueIds(coupons, 'coupons');
  uniqueIds(customers, 'customers');
  const currencyIds = uniqueIds(currencies, 'currencies');
  for (const [i, c] of currencies.entries()) str(c, 'displayName', `currencies[${i}]`);
  if (
    input.taxPercentage !== undefined &&
    (typeof input.taxPercentage !== 'number' || input.taxPercentage < 0 || input.taxPercentage > 100)
  )
    fail('taxPercentage', 'must be a number from 0 to 100');

  const featureById = new Map<string, Obj>();
  features.forEach((f, i) => {
    const path = `features[${i}]`;
    str(f, 'displayName', path);
    oneOf(f, 'type', FEATURE_TYPES, path, true);
    oneOf(f, 'meterType', METER_TYPES, path);
    resetConfig(f, path);
    if (f.meterType !== undefined && f.meterType !== 'None' && f.type !== 'NUMBER')
      fail(`${path}.meterType`, 'only NUMBER features are metered');
    if (f.resetPeriod && f.meterType !== 'Incremental') fail(`${path}.resetPeriod`, 'only Incremental features reset');
    if (f.type === 'ENUM' && (!Array.isArray(f.enumValues) || f.enumValues.some((v) => typeof v !== 'string'))) {
      fail(`${path}.enumValues`, 'ENUM features need an array of string values');
    }
    if (f.eventName !== undefined && f.meterType !== 'Incremental')
      fail(`${path}.eventName`, 'only Incremental features count events');
    if (f.creditRate !== undefined) {
      const rate = f.creditRate as Obj;
      if (!isObj(rate) || typeof rate.amount !== 'number' || rate.amount <= 0)
        fail(`${path}.creditRate`, 'must be {currency, amount} with an amount above 0');
      else if (!currencyIds.has(rate.currency as string))
        fail(`${path}.creditRate.currency`, `unknown currency "${String(rate.currency)}"`);
      if (f.meterType !== 'Incremental') fail(`${path}.creditRate`, 'only Incremental features consume credits');
    }
    if (typeof f.id === 'string' && !featureById.has(f.id)) featureById.set(f.id, f);
  });

  const entitlements = (o: Obj, path: string) => {
    if (!Array.isArray(o.entitlements)) {
      fail(`${path}.entitlements`, 'must be an array');
      return;
    }
    const seen = new Set<string>();
    o.entitlements.forEach((e: unknown, i: number) => {
      const ep = `${path}.entitlements[${i}]`;
      if (!isObj(e)) {
        fail(ep, 'must be an object');
        return;
      }
      str(e, 'feature', ep);
      const feature = featureById.get(e.feature as string);
      if (typeof e.feature === 'string' && !featureIds.has(e.feature)) {
        fail(`${ep}.feature`, `unknown feature "${e.feature}"`);
        return;
      }
      if (typeof e.feature === 'string') {
        if (seen.has(e.feature)) fail(`${ep}.feature`, `feature "${e.feature}" is granted twice`);
        seen.add(e.feature);
      }
      resetConfig(e, ep);
      if (!feature) return;
      if (feature.type === 'NUMBER') {
        if (e.limit === undefined) fail(`${ep}.limit`, 'NUMBER features need a limit (a number or "unlimited")');
        else if (e.limit !== 'unlimited' && (typeof e.limit !== 'number' || e.limit < 0))
          fail(`${ep}.limit`, 'must be a number >= 0 or "unlimited"');
      } else if (e.limit !== undefined) fail(`${ep}.limit`, `${feature.type as string} features take no limit`);
      if (feature.type === 'ENUM') {
        const allowed = feature.enumValues as string[];
        if (!Array.isArray(e.values)) fail(`${ep}.values`, 'ENUM features need the granted values');
        else
          e.values.forEach((v: unknown) => {
            if (typeof v !== 'string' || !allowed?.includes(v))
              fail(`${ep}.values`, `${JSON.stringify(v)} is not a value of ${feature.id as string}`);
          });
      }
    });
  };

  products.forEach((p, i) => {
    str(p, 'displayName', `products[${i}]`);
    if (p.downgradePlan !== undefined && !planIds.has(p.downgradePlan as string))
      fail(`products[${i}].downgradePlan`, `unknown plan "${String(p.downgradePlan)}"`);
  });
  plans.forEach((p, i) => {
    const path = `plans[${i}]`;
    str(p, 'displayName', path);
    str(p, 'product', path);
    if (typeof p.product === 'string' && !productIds.has(p.product))
      fail(`${path}.product`, `unknown product "${p.product}"`);
    if (p.basePlan !== undefined && !planIds.has(p.basePlan as string))
      fail(`${path}.basePlan`, `unknown plan "${String(p.basePlan)}"`);
    oneOf(p, 'pricingType', PRICING_TYPES, path);
    if (p.requiresPayment !== undefined && typeof p.requiresPayment !== 'boolean')
      fail(`${path}.requiresPayment`, 'must be true or false');
    prices(p, path);
    entitlements(p, path);
  });
  // A base-plan chain must end.
  const planById = new Map(plans.map((p) => [p.id as string, p]));
  for (const p of plans) {
    const seen = new Set<string>();
    for (let cur: Obj | undefined = p; cur; cur = planById.get(cur.basePlan as string)) {
      if (seen.has(cur.id as string)) {
        fail(`plans`, `base plans form a cycle through "${String(p.id)}"`);
        break;
      }
      seen.add(cur.id as string);
    }
  }
  addons.forEach((a, i) => {
    const path = `addons[${i}]`;
    str(a, 'displayName', path);
    if (!Array.isArray(a.compatiblePlans)) fail(`${path}.compatiblePlans`, 'must be an array of plan ids');
    else
      a.compatiblePlans.forEach((id: unknown) => {
        if (!planIds.has(id as string)) fail(`${path}.compatiblePlans`, `unknown plan "${String(id)}"`);
      });
    prices(a, path);
    entitlements(a, path);
  });
  const promotionCodes = new Set<string>();
  coupons.forEach((c, i) => {
    str(c, 'name', `coupons[${i}]`);
    if (c.percentOff === undefined && c.amountOff === undefined) fail(`coupons[${i}]`, 'needs percentOff or amountOff');
    if (c.percentOff !== undefined && (typeof c.percentOff !== 'number' || c.percentOff <= 0 || c.percentOff > 100))
      fail(`coupons[${i}].percentOff`, 'must be a number above 0 and at most 100');
    if (c.amountOff !== undefined && (typeof c.amountOff !== 'number' || c.amountOff <= 0))
      fail(`coupons[${i}].amountOff`, 'must be a number above 0');
    if (c.promotionCodes === undefined) return;
    if (!Array.isArray(c.promotionCodes)) {
      fail(`coupons[${i}].promotionCodes`, 'must be an array of codes');
      return;
    }
    for (const code of c.promotionCodes as unknown[]) {
      if (typeof code !== 'string' || code.trim() === '') {
        fail(`coupons[${i}].promotionCodes`, `${JSON.stringify(code)} is not a code`);
        continue;
      }
      if (promotionCodes.has(code.toUpperCase()))
        fail(`coupons[${i}].promotionCodes`, `code "${code}" is given to two coupons`);
      promotionCodes.add(code.toUpperCase());
    }
  });
  customers.forEach((c, i) => {
    const path = `customers[${i}]`;
    if (c.subscriptions === undefined) return;
    if (!Array.isArray(c.subscriptions)) {
      fail(`${path}.subscriptions`, 'must be an array');
      return;
    }
    c.subscriptions.forEach((s: unknown, j: number) => {
      const sp = `${path}.subscriptions[${j}]`;
      if (!isObj(s)) {
        fail(sp, 'must be an object');
        return;
      }
      if (!planIds.has(s.plan as string)) fail(`${sp}.plan`, `unknown plan "${String(s.plan)}"`);
      if (s.addons !== undefined) {
        if (!Array.isArray(s.addons)) fail(`${sp}.addons`, 'must be an array');
        else
          s.addons.forEach((a: unknown, k: number) => {
            if (!isObj(a) || !addonIds.has(a.addon as string)) fail(`${sp}.addons[${k}].addon`, 'unknown add-on');
          });
      }
      if (s.startDate !== undefined && Number.isNaN(Date.parse(String(s.startDate))))
        fail(`${sp}.startDate`, 'must be an ISO-8601 date');
    });
  });

  if (problems.length > 0) throw new CatalogError(source, problems);
  return input as unknown as Catalog;
}

/** The reset settings an entitlement ends up with: its own, else its feature's. */
export function resetOf(feature: FeatureDef, ent: EntitlementDef | undefined) {
  return {
    resetPeriod: ent?.resetPeriod ?? feature.resetPeriod ?? null,
    monthlyAccordingTo: ent?.monthlyAccordingTo ?? feature.monthlyAccordingTo ?? 'SubscriptionStart',
    weeklyAccordingTo: ent?.weeklyAccordingTo ?? feature.weeklyAccordingTo ?? 'SubscriptionStart',
  } as const;
}
