/** The scenario table against every adapter, over real HTTP (supertest), stigg-local and a real Redis. */
import type { Server } from 'node:http';
import { createKeyv } from '@keyv/redis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createTollgate, type Tollgate } from '@tollgate/core';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { RedisServer } from '../support/redis.js';
import { quiet, stiggUsage } from '../support/stigg.js';
import { until } from '../support/wait.js';
import { ADAPTERS, closeApps } from './apps.js';
import { scenarios, type ScenarioContext } from './scenarios.js';

describe.each(Object.entries(ADAPTERS))('%s adapter', (adapter, build) => {
  let stigg: StiggLocal;
  let redis: RedisServer;
  let store: ReturnType<typeof createKeyv>;
  let client: Tollgate;
  let app: Server;
  const servers: Server[] = [];
  const extra: Tollgate[] = [];

  beforeAll(async () => {
    stigg = await startStiggLocal({ log: () => {} });
    redis = await RedisServer.start();
    store = createKeyv(redis.url);
    client = createTollgate({ apiKey: 'server-tollgate-local', baseUrl: stigg.url, cache: { store }, logger: quiet });
    await client.ready();
    app = await build(client);
    servers.push(app);
  });
  afterAll(async () => {
    for (const s of servers) s.close();
    await closeApps();
    for (const c of extra) await c.close();
    await client?.close();
    await store?.disconnect().catch(() => {});
    await redis?.stop();
    await stigg?.close();
  });

  for (const [n, scenario] of scenarios.entries()) {
    it(scenario.name, async () => {
      let customers = 0;
      const ctx: ScenarioContext = {
        app,
        client,
        stigg,
        async customer(plan = 'plan-free') {
          const id = `${adapter}-${n}-${customers++}`;
          await client.provisionCustomer({
            customerId: id,
            subscriptionParams: { planId: plan, billingPeriod: plan === 'plan-pro' ? 'MONTHLY' : undefined },
          });
          return id;
        },
        async reportedUsage(customerId) {
          // The response can reach the test before the server has settled the request: wait for that first.
          await until(() => client.metrics().usage.inflight === 0, 'metered requests to settle');
          await client.flushUsage();
          return stiggUsage(stigg, customerId);
        },
        async meterInMemoryApp() {
          const local = createTollgate({
            apiKey: 'server-tollgate-local',
            baseUrl: stigg.url,
            usage: { redis: false },
            logger: quiet,
          });
          extra.push(local);
          await local.ready();
          const server = await build(local);
          servers.push(server);
          return { app: server, client: local };
        },
        async unreachableApp(fallback) {
          const unreachable = createTollgate({
            apiKey: 'server-tollgate-local',
            baseUrl: 'http://127.0.0.1:9', // nothing listens on the discard port
            stream: false,
            maxAttempts: 1,
            timeoutMs: 500,
            logger: quiet,
            fallback: fallback ? { 'feature-analytics': { hasAccess: true } } : {},
          });
          extra.push(unreachable);
          const server = await build(unreachable);
          servers.push(server);
          return server;
        },
      };
      await scenario.run(ctx);
    });
  }
});
