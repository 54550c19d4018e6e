/**
 * Tollgate's paywall keys plan entitlements by the feature's id (`refId`), as the official SDK does, although
 * Stigg (and stigg-local) answer a package entitlement's `featureId` with the feature's internal id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate, type Tollgate } from '@tollgate/core';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { officialSdk, type StiggSdk } from '../support/stigg-sdk.js';

const quiet = { warn: () => {}, error: () => {} };

describe('getPaywall', () => {
  let server: StiggLocal;
  let tollgate: Tollgate;
  let sdk: StiggSdk;

  beforeAll(async () => {
    server = await startStiggLocal({ log: () => {} });
    tollgate = createTollgate({ apiKey: 'server-tollgate-local', baseUrl: server.url, logger: quiet, stream: false });
    await tollgate.ready();
    sdk = officialSdk(server);
    await sdk.waitForInitialization();
  });
  afterAll(async () => {
    sdk?.close();
    await tollgate?.close();
    await server?.close();
  });

  it('names each plan entitlement by the feature id entitlement checks use', async () => {
    const paywall = await tollgate.getPaywall({ productId: 'product-tollgate-demo' });
    const pro = paywall.plans.find((p) => p.refId === 'plan-pro')!;
    expect(Object.fromEntries(pro.entitlements!.map((e) => [e.featureId, e.usageLimit]))).toEqual({
      'feature-analytics': null,
      'feature-max-projects': 50,
      'feature-seats': 10,
      'feature-api-calls': 10000,
      'feature-export-formats': null,
    });
    const free = paywall.plans.find((p) => p.refId === 'plan-free')!;
    expect(free.entitlements!.map((e) => e.featureId).sort()).toEqual([
      'feature-api-calls',
      'feature-export-formats',
      'feature-max-projects',
      'feature-seats',
    ]);
    // Every feature named is one a check answers for: the ids are the users' ids, not Stigg's internal ones.
    for (const e of pro.entitlements!) {
      expect((await tollgate.check({ customerId: 'customer-pro', featureId: e.featureId })).reason).not.toBe(
        'NoFeatureEntitlementInSubscription',
      );
    }
  });

  it('names the same features as the official SDK, plan by plan', async () => {
    const ours = await tollgate.getPaywall({ productId: 'product-tollgate-demo' });
    const theirs = await sdk.getPaywall({ productId: 'product-tollgate-demo' });
    const byPlan = (plans: { id: string; features: string[] }[]) =>
      Object.fromEntries(plans.map((p) => [p.id, [...p.features].sort()]));
    expect(
      byPlan(
        ours.plans.map((p) => ({
          id: p.refId,
          features: [...(p.entitlements ?? []), ...(p.inheritedEntitlements ?? [])].map((e) => e.featureId),
        })),
      ),
    ).toEqual(
      byPlan(
        theirs.plans.map((p) => ({
          id: p.id,
          features: [...p.entitlements, ...p.inheritedEntitlements].map((e) => e.feature.id),
        })),
      ),
    );
  });
});
