/** The test double users' own tests use: no network, real decisions, real metering. */
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestTollgate, type TestTollgate } from '@tollgate/core/testing';
import { entitlements, meteredGuard, requireFeature } from '@tollgate/express';
import { until } from '../support/wait.js';

let double: TestTollgate;
afterEach(() => double?.close());

describe('@tollgate/core/testing', () => {
  it('answers from grants, as Stigg would', async () => {
    double = createTestTollgate();
    await double.grant('acme', 'feature-analytics');
    await double.grant('acme', 'feature-formats', { values: ['csv'] });
    await double.grant('acme', 'feature-projects', { limit: 3, meter: 'None' });
    const t = double.tollgate;
    expect(await t.check({ customerId: 'acme', featureId: 'feature-analytics' })).toMatchObject({
      hasAccess: true,
      isFallback: false,
    });
    expect(
      await t.check({ customerId: 'acme', featureId: 'feature-formats', requestedValues: ['json'] }),
    ).toMatchObject({ hasAccess: false, reason: 'RequestedValuesMismatch' });
    expect(await t.check({ customerId: 'acme', featureId: 'feature-projects' })).toMatchObject({
      hasAccess: true,
      usageLimit: 3,
    });
    expect(await t.check({ customerId: 'acme', featureId: 'feature-other' })).toMatchObject({
      reason: 'NoFeatureEntitlementInSubscription',
    });
    expect(await t.check({ customerId: 'nobody', featureId: 'feature-analytics' })).toMatchObject({
      reason: 'CustomerNotFound',
    });
    await double.revoke('acme', 'feature-analytics');
    expect((await t.check({ customerId: 'acme', featureId: 'feature-analytics' })).hasAccess).toBe(false);
  });

  it('takes reportUsage (DELTA, negative, SET) at once, unpaced, and the next decision follows', async () => {
    double = createTestTollgate();
    await double.grant('acme', 'feature-seats', { limit: 5, meter: 'Fluctuating' });
    const t = double.tollgate;
    const seats = { customerId: 'acme', featureId: 'feature-seats' };
    const started = Date.now();
    expect((await t.reportUsage({ ...seats, value: 4 })).currentUsage).toBe(4);
    expect((await t.reportUsage({ ...seats, value: -1 })).currentUsage).toBe(3);
    expect((await t.reportUsage({ ...seats, value: 5, updateBehavior: 'SET' })).currentUsage).toBe(5);
    expect(Date.now() - started).toBeLessThan(1_000); // no Stigg limit to pace under
    expect(await t.check({ ...seats, requestedUsage: 1 })).toMatchObject({ currentUsage: 5, hasAccess: false });
    expect(await double.reportedUnits('acme', 'feature-seats')).toBe(5);
  });

  it('meters exactly and reports what was committed', async () => {
    double = createTestTollgate();
    await double.grant('acme', 'feature-calls', { limit: 10, usage: 7, resetPeriod: 'MONTH' });
    const results = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const m = await double.tollgate.enter({ customerId: 'acme', featureId: 'feature-calls' });
        if (m.allowed) await m.settle({ success: true });
        return m.allowed;
      }),
    );
    expect(results.filter(Boolean)).toHaveLength(3);
    expect(await double.reportedUnits('acme', 'feature-calls')).toBe(3);
    expect(
      await double.tollgate.check({ customerId: 'acme', featureId: 'feature-calls', requestedUsage: 1 }),
    ).toMatchObject({ hasAccess: false, currentUsage: 10 });
  });

  it('stands in for Stigg behind an adapter', async () => {
    double = createTestTollgate();
    await double.grant('acme', 'feature-reports', { limit: 100 });
    const app = express();
    app.use(entitlements({ client: double.tollgate, customerId: (req) => req.get('x-org') }));
    app.post(
      '/reports',
      requireFeature('feature-reports'),
      meteredGuard('feature-reports', { usage: 2 }),
      (_req, res) => res.json({ ok: true }),
    );
    expect((await request(app).post('/reports').set('x-org', 'acme')).status).toBe(200);
    expect((await request(app).post('/reports').set('x-org', 'other')).status).toBe(403);
    await until(() => double.tollgate.metrics().usage.inflight === 0, 'the request to settle');
    expect(await double.reported()).toEqual([
      { customerId: 'acme', resourceId: null, featureId: 'feature-reports', units: 2 },
    ]);
  });

  it('says so when asked for management calls', async () => {
    double = createTestTollgate();
    await expect(double.tollgate.getCustomer('acme')).rejects.toThrow(/test double/);
  });
});
