import { stableUuid } from '../model/ids.js';
import { grantFrom, type Grant } from './grant.js';
import type { AddonDef, Catalog, CouponDef, CurrencyDef, FeatureDef, PlanDef, ProductDef } from './types.js';

/** A validated catalog with its lookups built once: plan grants include their base plans'. */
export class CatalogIndex {
  readonly features = new Map<string, FeatureDef>();
  readonly products = new Map<string, ProductDef>();
  readonly plans = new Map<string, PlanDef>();
  readonly addons = new Map<string, AddonDef>();
  readonly coupons = new Map<string, CouponDef>();
  readonly currencies = new Map<string, CurrencyDef>();
  /** Coupons by promotion code, the code upper-cased (codes are matched ignoring case). */
  readonly couponsByPromotionCode = new Map<string, CouponDef>();
  readonly featuresByEvent = new Map<string, FeatureDef[]>();
  readonly environmentId: string;
  readonly accountId: string;
  private readonly planGrantCache = new Map<string, Map<string, Grant>>();
  private readonly addonGrantCache = new Map<string, Map<string, Grant>>();

  constructor(
    readonly catalog: Catalog,
    /** Increases with every published change; packages report it as their version. */
    readonly version = 1,
    readonly publishedAt = new Date(),
  ) {
    this.environmentId = catalog.environmentId ?? 'env-tollgate-local';
    this.accountId = catalog.accountId ?? 'account-tollgate-local';
    for (const f of catalog.features) {
      this.features.set(f.id, f);
      if (f.eventName) this.featuresByEvent.set(f.eventName, [...(this.featuresByEvent.get(f.eventName) ?? []), f]);
    }
    for (const p of catalog.products) this.products.set(p.id, p);
    for (const p of catalog.plans) this.plans.set(p.id, p);
    for (const a of catalog.addons ?? []) this.addons.set(a.id, a);
    for (const c of catalog.currencies ?? []) this.currencies.set(c.id, c);
    for (const c of catalog.coupons ?? []) {
      this.coupons.set(c.id, c);
      for (const code of c.promotionCodes ?? []) this.couponsByPromotionCode.set(code.toUpperCase(), c);
    }
  }

  /**
   * Stigg's internal id (`id`, and `featureId` where Stigg answers the internal one) of a catalog object: a UUID
   * derived from its kind and ref id, so it stays the same across restarts and catalog publishes.
   */
  internalId(kind: 'feature' | 'plan' | 'addon' | 'coupon', refId: string): string {
    return stableUuid(`${kind}:${refId}`);
  }

  /** A plan's grants, its base plans' first, its own overriding them feature by feature. */
  planGrants(planId: string): Map<string, Grant> {
    let grants = this.planGrantCache.get(planId);
    if (grants) return grants;
    const plan = this.plans.get(planId);
    grants = new Map(plan?.basePlan ? this.planGrants(plan.basePlan) : []);
    for (const ent of plan?.entitlements ?? []) {
      const feature = this.features.get(ent.feature);
      if (feature) grants.set(feature.id, grantFrom(feature, ent));
    }
    this.planGrantCache.set(planId, grants);
    return grants;
  }

  /** What one unit of an add-on grants. */
  addonGrants(addonId: string): Map<string, Grant> {
    let grants = this.addonGrantCache.get(addonId);
    if (grants) return grants;
    grants = new Map();
    for (const ent of this.addons.get(addonId)?.entitlements ?? []) {
      const feature = this.features.get(ent.feature);
      if (feature) grants.set(feature.id, grantFrom(feature, ent));
    }
    this.addonGrantCache.set(addonId, grants);
    return grants;
  }

  pricingTypeOf(plan: PlanDef): 'FREE' | 'PAID' | 'CUSTOM' {
    return plan.pricingType ?? (plan.prices?.length ? 'PAID' : 'FREE');
  }

  isMetered(feature: FeatureDef): boolean {
    return feature.type === 'NUMBER' && (feature.meterType === 'Incremental' || feature.meterType === 'Fluctuating');
  }
}
