/**
 * One idempotency key, one request, whichever adapter answers it: every adapter scopes a key to `METHOD
 * /route/pattern`, so a client's retry that lands on another framework of a fleet (Express, Hono, Fastify, Nest on
 * either platform) is a duplicate there, replayed, not run and counted again.
 */
import type { Server } from 'node:http';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestTollgate } from '@tollgate/core/testing';
import { ADAPTERS, closeApps, handlerRuns } from './apps.js';

const double = createTestTollgate();
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) s.close();
  await closeApps();
  await double.close();
});

describe('an idempotency key across adapters', () => {
  it('a request answered by one adapter is a duplicate on every other', async () => {
    await double.grant('fleet-customer', 'feature-api-calls', { limit: 100 });
    const apps = Object.entries(ADAPTERS);
    for (const [, build] of apps) servers.push(await build(double.tollgate));
    const runsBefore = handlerRuns.count;
    const statuses: string[] = [];
    for (const [i, [adapter]] of apps.entries()) {
      const res = await request(servers[i]!)
        .post('/keyed')
        .set('x-customer-id', 'fleet-customer')
        .set('Idempotency-Key', 'order-42');
      statuses.push(`${adapter} ${res.status} run ${res.headers['x-run']}`);
    }
    // The first adapter ran the handler; every other replayed its answer (the same run number).
    expect(handlerRuns.count - runsBefore, statuses.join('; ')).toBe(1);
    expect(new Set(statuses.map((s) => s.split(' run ')[1])).size, statuses.join('; ')).toBe(1);
    expect(await double.reportedUnits('fleet-customer', 'feature-api-calls')).toBe(1);
  });
});
