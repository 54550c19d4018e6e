/**
 * tRPC procedures behind Tollgate, over real HTTP through tRPC's fetch adapter (on Node's server) and its Express
 * adapter, against stigg-local: entitled, not entitled, no customer, metered success / failure / limit.
 */
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { initTRPC } from '@trpc/server';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate, type Tollgate } from '@tollgate/core';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { getEntitlement, tollgateProcedures } from '@tollgate/trpc';
import { provisionCustomers } from '../support/fleet/usage-run.js';
import { quiet, stiggUsage } from '../support/stigg.js';
import { until } from '../support/wait.js';

interface Context {
  /** The caller's organisation, as the app's authentication found it. */
  orgId: string | undefined;
}

const t = initTRPC.context<Context>().create();

function appRouter(client: Tollgate) {
  const { entitledProcedure, meteredProcedure } = tollgateProcedures(t.procedure, {
    client,
    customerId: (ctx: Context) => ctx.orgId,
  });
  return t.router({
    analytics: entitledProcedure('feature-analytics').query(({ ctx }) => ({
      hasAccess: getEntitlement(ctx, 'feature-analytics')?.hasAccess,
    })),
    report: meteredProcedure('feature-api-calls').mutation(() => ({ ok: true })),
    failing: meteredProcedure('feature-api-calls').mutation(() => {
      throw new Error('the procedure failed');
    }),
  });
}

const context = (headers: { get(name: string): string | null | undefined }): Context => ({
  orgId: headers.get('x-org') ?? undefined,
});

let stigg: StiggLocal;
let client: Tollgate;
const servers: Server[] = [];

beforeAll(async () => {
  stigg = await startStiggLocal({ log: () => {} });
  client = createTollgate({
    apiKey: 'server-tollgate-local',
    baseUrl: stigg.url,
    logger: quiet,
    usage: { flushIntervalMs: 100 },
  });
  await client.ready();
});
afterAll(async () => {
  for (const s of servers) s.close();
  await client?.close();
  await stigg?.close();
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/trpc`;
}

const transports = {
  fetch: () => {
    const router = appRouter(client);
    const handler = (req: Request) =>
      fetchRequestHandler({ endpoint: '/trpc', req, router, createContext: ({ req }) => context(req.headers) });
    return listen(createServer(getRequestListener(handler)));
  },
  express: () => {
    const app = express();
    app.use(
      '/trpc',
      createExpressMiddleware({
        router: appRouter(client),
        createContext: ({ req }) => context({ get: (n) => req.get(n) }),
      }),
    );
    return listen(createServer(app));
  },
};

describe.each(Object.entries(transports))('tRPC through its %s adapter', (name, start) => {
  let url: string;
  const customer = `trpc-${name}`;
  beforeAll(async () => {
    url = await start();
  });

  const query = (path: string, org?: string) => fetch(`${url}/${path}`, { headers: org ? { 'x-org': org } : {} });
  const mutate = (path: string, org?: string) =>
    fetch(`${url}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(org ? { 'x-org': org } : {}) },
      body: '{}',
    });
  const error = async (res: Response) =>
    ((await res.json()) as { error: { data: { code: string; httpStatus: number } } }).error.data;

  it('entitled: the procedure runs and reads the decision', async () => {
    const res = await query('analytics', 'customer-pro');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { data: unknown } }).result.data).toEqual({ hasAccess: true });
  });

  it('not entitled: FORBIDDEN; no customer: UNAUTHORIZED', async () => {
    let res = await query('analytics', 'customer-free');
    expect(res.status).toBe(403);
    expect(await error(res)).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
    res = await query('analytics');
    expect(res.status).toBe(401);
    expect(await error(res)).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('metered: counted once a call succeeded, not when it failed; TOO_MANY_REQUESTS at the limit', async () => {
    await provisionCustomers(stigg, [customer]);
    stigg.admin.setPlan(customer, 'plan-free');
    stigg.admin.setRateLimits({ enabled: true }); // delivery within Stigg's limits (provisioning turned them off)
    expect((await mutate('report', customer)).status).toBe(200);
    expect((await mutate('report', customer)).status).toBe(200);
    expect((await mutate('failing', customer)).status).toBe(500);
    await until(
      async () => {
        await client.flushUsage();
        return (await stiggUsage(stigg, customer)) === 2;
      },
      'two successful calls counted in Stigg',
      10_000,
    );
    const limit = (await client.check({ customerId: customer, featureId: 'feature-api-calls' })).usageLimit!;
    stigg.admin.setUsage(customer, 'feature-api-calls', limit);
    await until(
      async () => (await client.check({ customerId: customer, featureId: 'feature-api-calls' })).currentUsage === limit,
      'the usage pushed to the client',
      5_000,
    );
    const res = await mutate('report', customer);
    expect(res.status).toBe(429);
    expect(await error(res)).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(await stiggUsage(stigg, customer)).toBe(limit);
  });
});
