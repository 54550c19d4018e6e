/** Tollgate with a real redis-server as its shared level, in several processes. */
import { createKeyv } from '@keyv/redis';
import { describe, expect, it } from 'vitest';
import { createTollgate } from '@tollgate/core';
import { until } from '../support/wait.js';
import { TollgateWorker } from '../support/worker.js';
import { stiggAndRedis } from '../support/stigg.js';
import { provisionCustomers } from '../support/fleet/usage-run.js';

const env = stiggAndRedis();

describe('shared Redis', () => {
  it("two processes converge on a plan change, and the second reads the first one's fetch from Redis", async () => {
    const a = await TollgateWorker.start(env.server.url, env.redis.url);
    const b = await TollgateWorker.start(env.server.url, env.redis.url);
    try {
      env.server.admin.resetStats();
      expect((await a.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess).toBe(false);
      await new Promise((r) => setTimeout(r, 1_000)); // the shared write may be in the background (no read lock to be had)
      expect((await b.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess).toBe(false);
      expect(env.server.admin.stats().calls.cachedEntitlements).toBe(1);
      expect((await b.metrics()).l2Hits).toBe(1);

      env.server.admin.setPlan('customer-free', 'plan-pro');
      await until(
        async () => (await a.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess,
        'process A',
      );
      await until(
        async () => (await b.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).hasAccess,
        'process B',
      );
      expect(env.server.admin.stats().calls.cachedEntitlements).toBe(1);
    } finally {
      await a.close();
      await b.close();
      env.server.admin.setPlan('customer-free', 'plan-free');
    }
  });

  it('keeps every customer and resource apart in the shared level: resource "-" is not "no resource"', async () => {
    await provisionCustomers(env.server, ['dash-owner']);
    env.server.admin.setPlan('dash-owner', 'plan-free'); // without a resource: no analytics
    env.server.admin.setPlan('dash-owner', 'plan-pro', { resourceId: '-' }); // for resource "-": analytics
    const a = await TollgateWorker.start(env.server.url, env.redis.url);
    const b = await TollgateWorker.start(env.server.url, env.redis.url);
    try {
      const request = { customerId: 'dash-owner', featureId: 'feature-analytics' };
      expect((await a.check({ ...request, resourceId: '-' })).hasAccess).toBe(true);
      await new Promise((r) => setTimeout(r, 1_000)); // the shared write may be in the background (no read lock to be had)
      expect((await b.check(request)).hasAccess).toBe(false); // its own entry, from Stigg: not A's "-"
      expect((await b.metrics()).l2Hits).toBe(0);
      expect((await b.check({ ...request, resourceId: '-' })).hasAccess).toBe(true);
      expect((await b.metrics()).l2Hits).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps answering when Redis is killed mid-load, and uses Redis again when it is back', async () => {
    const store = createKeyv(env.redis.url, { throwOnConnectError: false });
    const warnings: string[] = [];
    const t = createTollgate({
      apiKey: 'server-tollgate-local',
      baseUrl: env.server.url,
      cache: { store, storeTimeoutMs: 100, storeRetryAfterMs: 300 },
      logger: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    });
    await t.ready();
    try {
      for (let i = 0; i < 40; i++)
        await t.provisionCustomer({ customerId: `r-${i}`, subscriptionParams: { planId: 'plan-free' } });
      let errors = 0;
      let answered = 0;
      let answeredUnseen = 0;
      const load = (async () => {
        for (let round = 0; round < 30; round++) {
          // Cached customers, and one never seen before each round (an L2 read, then Stigg).
          const unseen = t.check({ customerId: `unseen-${round}`, featureId: 'feature-seats' });
          await Promise.resolve(unseen).then(
            (d) => (d.reason === 'CustomerNotFound' && !d.isFallback ? (answeredUnseen += 1) : undefined),
            () => (errors += 1),
          );
          await Promise.all(
            Array.from({ length: 40 }, async (_, i) => {
              try {
                const d = await t.check({ customerId: `r-${i}`, featureId: 'feature-seats', requestedUsage: 1 });
                if (d.hasAccess && !d.isFallback) answered += 1;
              } catch {
                errors += 1;
              }
            }),
          );
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await new Promise((r) => setTimeout(r, 150));
      await env.redis.stop();
      await load;
      expect(errors).toBe(0);
      expect(answered).toBe(30 * 40);
      expect(answeredUnseen).toBe(30);
      expect(t.metrics().l2Errors).toBeGreaterThan(0);
      expect(warnings.join('\n')).toMatch(/cache store .* failed/);

      await env.redis.start();
      await new Promise((r) => setTimeout(r, 400)); // past storeRetryAfterMs
      const before = t.metrics();
      await until(async () => {
        await t.check({ customerId: `fresh-${Date.now()}`, featureId: 'feature-seats' });
        return t.metrics().l2Misses > before.l2Misses && t.metrics().l2Available;
      }, 'L2 in use again');
      // A second client finds the first one's writes in Redis.
      await t.check({ customerId: 'customer-enterprise', featureId: 'feature-seats' });
      // The shared write may be in the background (no read lock to be had): a second client reads it once it lands.
      const otherReadsIt = async () => {
        const other = createTollgate({
          apiKey: 'server-tollgate-local',
          baseUrl: env.server.url,
          cache: { store },
          stream: false,
          logger: { warn: () => {}, error: () => {} },
        });
        try {
          await other.check({ customerId: 'customer-enterprise', featureId: 'feature-seats' });
          return other.metrics().l2Hits === 1;
        } finally {
          await other.close();
        }
      };
      await until(otherReadsIt, "a second client reading the first one's write from Redis", 10_000);
    } finally {
      await t.close();
      await store.disconnect().catch(() => {});
    }
  }, 30_000);
});
