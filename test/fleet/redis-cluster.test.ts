/**
 * The meter on a real Redis Cluster (3 masters + 3 replicas from redis-server, cluster-node-timeout 1 s): the usage
 * scenarios that hold on one redis-server hold here, and a master SIGKILLed under metered load is replaced by its
 * replica without a process exiting or a request failing; the test prints what the failover cost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '@tollgate/core';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { createRedisStore } from '../support/redis.js';
import { RedisClusterTopology, redisCli } from '../support/redis-topology.js';
import { quiet } from '../support/stigg.js';
import {
  customerSlotKey,
  exactlyLimitAcrossProcesses,
  failoverUnderLoad,
  fleetDeliveryHandover,
} from '../support/fleet/usage-scenarios.js';

// In the slow suite only (`npm run test:slow`): topologies, processes and failovers take their time.
describe('usage metering on a Redis Cluster', () => {
  let server: StiggLocal;
  let cluster: RedisClusterTopology;
  beforeAll(async () => {
    [server, cluster] = await Promise.all([startStiggLocal({ log: () => {} }), RedisClusterTopology.start()]);
  });
  afterAll(async () => {
    await cluster?.stop();
    await server?.close();
  });

  it("refuses a cluster where one master evicts keys: every master's maxmemory-policy is read", async () => {
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    const evicting = masters[masters.length - 1]!.port;
    await redisCli(evicting, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    const store = createRedisStore(cluster.url);
    try {
      // Several times: a client that asks one node at random would miss it now and then.
      for (let i = 0; i < 3; i++) {
        const t = createTollgate({
          apiKey: 'server-tollgate-local',
          baseUrl: server.url,
          cache: { store },
          logger: quiet,
        });
        await expect(t.ready()).rejects.toMatchObject({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining('allkeys-lru'),
        });
        await t.close();
      }
    } finally {
      await redisCli(evicting, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      await Promise.race([store.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
    }
  }, 30_000);

  it('four processes, 400 concurrent requests each, 100 units left: exactly 100 allowed and reported', async () => {
    await exactlyLimitAcrossProcesses(server, cluster.url, 'cluster-four-procs');
  }, 60_000);

  it("a fleet sharing the cluster: the delivering process is killed and replaced, Stigg's totals exact and within its limits", async () => {
    await fleetDeliveryHandover(server, cluster.url, { slow: false, prefix: 'cluster-fleet-' });
  }, 120_000);

  it("the master of the busiest customer's slot SIGKILLed under metered load: its replica takes over, no process exits, no request fails", async () => {
    const cost = await failoverUnderLoad(server, {
      redisUrl: cluster.url,
      prefix: 'cluster-failover-',
      probeKey: customerSlotKey('cluster-failover-busy'),
      failover: () => cluster.killMasterOf(customerSlotKey('cluster-failover-busy')),
      label: 'Redis Cluster failover',
    });
    expect({ overshoot: cost.overshoot, lost: cost.lost }).toEqual({ overshoot: 0, lost: 0 }); // target: nothing (see the printed figures)
  }, 120_000);
});
