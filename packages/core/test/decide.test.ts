import { describe, expect, it } from 'vitest';
import { decide, type CachedEntitlement, type EntitlementSet } from '@tollgate/core';

const NOW = Date.parse('2026-05-15T12:00:00.000Z');
const ent = (over: Partial<CachedEntitlement>): CachedEntitlement => ({
  featureId: 'f',
  featureType: 'BOOLEAN',
  meterType: null,
  accessDeniedReason: null,
  usageLimit: null,
  hasUnlimitedUsage: false,
  hasSoftLimit: false,
  enumValues: [],
  currentUsage: 0,
  resetPeriod: null,
  usagePeriodAnchor: null,
  usagePeriodStart: null,
  usagePeriodEnd: null,
  validUntil: null,
  ...over,
});
const set = (...list: CachedEntitlement[]): EntitlementSet => ({
  entitlements: Object.fromEntries(list.map((e) => [e.featureId, e])),
});
const metered = (over: Partial<CachedEntitlement> = {}) =>
  ent({ featureType: 'NUMBER', meterType: 'Incremental', usageLimit: 5, currentUsage: 3, ...over });

describe('decide (Stigg SDK semantics)', () => {
  it('denies CustomerNotFound for an empty set and NoFeatureEntitlementInSubscription for a missing feature', () => {
    expect(decide(set(), { customerId: 'c', featureId: 'f' }, NOW)).toMatchObject({
      hasAccess: false,
      reason: 'CustomerNotFound',
    });
    expect(decide(set(ent({ featureId: 'g' })), { customerId: 'c', featureId: 'f' }, NOW)).toMatchObject({
      hasAccess: false,
      reason: 'NoFeatureEntitlementInSubscription',
    });
  });

  it('denies with the server-provided reason first', () => {
    expect(decide(set(ent({ accessDeniedReason: 'Revoked' })), { customerId: 'c', featureId: 'f' }, NOW)).toMatchObject(
      { hasAccess: false, reason: 'Revoked' },
    );
  });

  it('grants booleans and numeric configuration values', () => {
    expect(decide(set(ent({})), { customerId: 'c', featureId: 'f' }, NOW)).toMatchObject({
      hasAccess: true,
      reason: null,
    });
    const numeric = decide(
      set(ent({ featureType: 'NUMBER', meterType: 'None', usageLimit: 3 })),
      { customerId: 'c', featureId: 'f', requestedUsage: 50 },
      NOW,
    );
    expect(numeric).toMatchObject({ hasAccess: true, usageLimit: 3 });
  });

  it('checks enum values', () => {
    const s = set(ent({ featureType: 'ENUM', enumValues: ['csv', 'json'] }));
    expect(decide(s, { customerId: 'c', featureId: 'f', requestedValues: ['csv'] }, NOW).hasAccess).toBe(true);
    expect(decide(s, { customerId: 'c', featureId: 'f', requestedValues: ['csv', 'xml'] }, NOW)).toMatchObject({
      hasAccess: false,
      reason: 'RequestedValuesMismatch',
    });
    expect(decide(s, { customerId: 'c', featureId: 'f' }, NOW).hasAccess).toBe(true);
  });

  it('allows metered use up to the limit, inclusive (usage 3, limit 5: 2 yes, 3 no)', () => {
    const s = set(metered());
    expect(decide(s, { customerId: 'c', featureId: 'f', requestedUsage: 2 }, NOW)).toMatchObject({
      hasAccess: true,
      currentUsage: 3,
      usageLimit: 5,
    });
    expect(decide(s, { customerId: 'c', featureId: 'f', requestedUsage: 3 }, NOW)).toMatchObject({
      hasAccess: false,
      reason: 'RequestedUsageExceedingLimit',
    });
    expect(decide(set(metered({ currentUsage: 5 })), { customerId: 'c', featureId: 'f' }, NOW).hasAccess).toBe(true); // requested 0
  });

  it('grants unlimited and soft limits whatever the usage', () => {
    expect(
      decide(
        set(metered({ hasUnlimitedUsage: true, usageLimit: null, currentUsage: 1e9 })),
        { customerId: 'c', featureId: 'f', requestedUsage: 1 },
        NOW,
      ),
    ).toMatchObject({ hasAccess: true, isUnlimited: true, usageLimit: null });
    expect(
      decide(
        set(metered({ hasSoftLimit: true, currentUsage: 99 })),
        { customerId: 'c', featureId: 'f', requestedUsage: 1 },
        NOW,
      ),
    ).toMatchObject({ hasAccess: true, hasSoftLimit: true });
  });

  it('counts from 0 in the current period when the cached period has ended', () => {
    const anchor = Date.parse('2026-01-10T00:00:00.000Z');
    const s = set(
      metered({
        currentUsage: 5,
        resetPeriod: 'MONTH',
        usagePeriodAnchor: anchor,
        usagePeriodStart: Date.parse('2026-03-10T00:00:00.000Z'),
        usagePeriodEnd: Date.parse('2026-04-10T00:00:00.000Z'),
      }),
    );
    const d = decide(s, { customerId: 'c', featureId: 'f', requestedUsage: 5 }, NOW);
    expect(d).toMatchObject({ hasAccess: true, currentUsage: 0 });
    expect(d.resetsAt?.toISOString()).toBe('2026-06-10T00:00:00.000Z');
  });

  it('passes the data age and staleness through', () => {
    expect(decide(set(ent({})), { customerId: 'c', featureId: 'f' }, NOW, 1234, true)).toMatchObject({
      ageMs: 1234,
      isStale: true,
      isFallback: false,
    });
  });
});
