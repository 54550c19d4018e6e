/**
 * The meter through Redis Sentinel (a master, its replica and 3 sentinels from redis-server, down-after 1 s), with
 * node-redis' sentinel client: limits hold across processes, and the master SIGKILLed under metered load is replaced
 * by its replica without a process exiting or a request failing; the test prints what the failover cost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { RedisSentinelTopology } from '../support/redis-topology.js';
import { exactlyLimitAcrossProcesses, failoverUnderLoad } from '../support/fleet/usage-scenarios.js';

// In the slow suite only (`npm run test:slow`): topologies, processes and failovers take their time.
describe('usage metering through Redis Sentinel', () => {
  let server: StiggLocal;
  let sentinel: RedisSentinelTopology;
  beforeAll(async () => {
    [server, sentinel] = await Promise.all([startStiggLocal({ log: () => {} }), RedisSentinelTopology.start()]);
  });
  afterAll(async () => {
    await sentinel?.stop();
    await server?.close();
  });

  it('four processes, 400 concurrent requests each, 100 units left: exactly 100 allowed and reported', async () => {
    await exactlyLimitAcrossProcesses(server, sentinel.url, 'sentinel-four-procs');
  }, 60_000);

  it('the master SIGKILLed under metered load: the sentinels promote its replica, no process exits, no request fails', async () => {
    const cost = await failoverUnderLoad(server, {
      redisUrl: sentinel.url,
      prefix: 'sentinel-failover-',
      probeKey: 'tollgate:test:failover-probe',
      failover: () => sentinel.killMaster(),
      label: 'Sentinel failover',
    });
    expect({ overshoot: cost.overshoot, lost: cost.lost }).toEqual({ overshoot: 0, lost: 0 }); // target: nothing (see the printed figures)
  }, 120_000);
});
