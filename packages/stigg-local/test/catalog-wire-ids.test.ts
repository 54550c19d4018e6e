/**
 * Catalog objects carry ids the way Stigg answers them: a package entitlement's `featureId` is the feature's
 * internal id (the user's id is `feature.refId`), and features that are not metered answer `meterType: None`.
 * Read over real HTTP, from GraphQL and from the Edge paywall.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { API_KEY, entitlements, gqlOk, start } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface WireEntitlement {
  featureId: string;
  feature: { refId: string; featureType: string; meterType: string | null };
}
interface WirePlan {
  refId: string;
  entitlements: WireEntitlement[];
  inheritedEntitlements: WireEntitlement[];
  compatibleAddons: { refId: string; entitlements: WireEntitlement[] }[];
}

const PACKAGE_ENTITLEMENT = 'featureId feature { refId featureType meterType }';
const PAYWALL = `query P { paywall(input: {}) { plans { refId entitlements { ${PACKAGE_ENTITLEMENT} }
  inheritedEntitlements { ${PACKAGE_ENTITLEMENT} } compatibleAddons { refId entitlements { ${PACKAGE_ENTITLEMENT} } } } } }`;

const packageEntitlements = (plans: WirePlan[]) =>
  plans.flatMap((p) => [
    ...p.entitlements,
    ...p.inheritedEntitlements,
    ...p.compatibleAddons.flatMap((a) => a.entitlements),
  ]);

async function paywallPlans(server: StiggLocal): Promise<WirePlan[]> {
  return (await gqlOk<{ paywall: { plans: WirePlan[] } }>(server, PAYWALL)).paywall.plans;
}

let server: StiggLocal;
beforeAll(async () => {
  server = await start();
});
afterAll(() => server.close());

describe('package entitlement ids', () => {
  it('answers featureId with the feature internal id and refId with the id the catalog gives', async () => {
    const all = packageEntitlements(await paywallPlans(server));
    expect(all.length).toBeGreaterThan(10);
    for (const e of all) {
      expect(e.featureId).toMatch(UUID);
      expect(e.featureId).not.toBe(e.feature.refId);
    }
    const pro = (await paywallPlans(server)).find((p) => p.refId === 'plan-pro')!;
    expect(pro.entitlements.map((e) => e.feature.refId).sort()).toEqual([
      'feature-analytics',
      'feature-api-calls',
      'feature-export-formats',
      'feature-max-projects',
      'feature-seats',
    ]);
  });

  it('gives one feature one internal id: in every plan and add-on, across restarts, and on promotions', async () => {
    const idsOf = (plans: WirePlan[]) => {
      const ids = new Map<string, Set<string>>();
      for (const e of packageEntitlements(plans))
        ids.set(e.feature.refId, new Set([...(ids.get(e.feature.refId) ?? []), e.featureId]));
      return ids;
    };
    const here = idsOf(await paywallPlans(server));
    for (const ids of here.values()) expect(ids.size).toBe(1);
    expect(new Set([...here.values()].map((ids) => [...ids][0])).size).toBe(here.size);

    const other = await start();
    try {
      expect(idsOf(await paywallPlans(other))).toEqual(here);
    } finally {
      await other.close();
    }

    const granted = await gqlOk(
      server,
      `mutation G($input: GrantPromotionalEntitlementsInput!) { grantPromotionalEntitlements(input: $input) {
        featureId feature { refId } } }`,
      {
        input: {
          customerId: 'customer-free',
          promotionalEntitlements: [{ featureId: 'feature-analytics', period: 'ONE_WEEK' }],
        },
      },
    );
    expect(granted.grantPromotionalEntitlements).toEqual([
      { featureId: [...here.get('feature-analytics')!][0], feature: { refId: 'feature-analytics' } },
    ]);
  });

  it('answers the same ids on the Edge paywall', async () => {
    const res = await fetch(`${server.url}/v1/paywall.json?fetchAllCountriesPrices=undefined`, {
      headers: { 'x-api-key': API_KEY },
    });
    const body = (await res.json()) as { data: { paywall: { plans: WirePlan[] } } };
    const edge = packageEntitlements(body.data.paywall.plans).map((e) => [e.feature.refId, e.featureId]);
    const graphql = packageEntitlements(await paywallPlans(server)).map((e) => [e.feature.refId, e.featureId]);
    expect(edge).toEqual(graphql);
  });
});

describe('meterType', () => {
  it('is None for boolean, enum and configuration features, on entitlements and on the catalog', async () => {
    const pro = await entitlements(server, 'customer-pro');
    expect(
      Object.fromEntries(Object.entries(pro).map(([id, e]) => [id, [e.feature.featureType, e.feature.meterType]])),
    ).toEqual({
      'feature-analytics': ['BOOLEAN', 'None'],
      'feature-max-projects': ['NUMBER', 'None'],
      'feature-seats': ['NUMBER', 'Fluctuating'],
      'feature-api-calls': ['NUMBER', 'Incremental'],
      'feature-export-formats': ['ENUM', 'None'],
    });
    const catalog = packageEntitlements(await paywallPlans(server));
    for (const e of catalog) {
      if (e.feature.featureType !== 'NUMBER') expect(e.feature.meterType).toBe('None');
    }
    expect(catalog.some((e) => e.feature.featureType === 'BOOLEAN')).toBe(true);
  });
});
