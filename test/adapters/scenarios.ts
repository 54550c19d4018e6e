/**
 * One scenario table for every adapter: the same requests, the same statuses, bodies and counted usage.
 * Each scenario gets customers of its own, so scenarios are independent of their order.
 */
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { expect } from 'vitest';
import type { Tollgate, TollgateError } from '@tollgate/core';
import { handlerRuns, UNITS_FAILURE } from './apps.js';
import { until } from '../support/wait.js';
import type { StiggLocal } from '@tollgate/stigg-local';

export interface ScenarioContext {
  app: Server;
  client: Tollgate;
  stigg: StiggLocal;
  /** A fresh customer on `plan` (default plan-free), named after the scenario. */
  customer(plan?: string): Promise<string>;
  /** Stigg's usage of feature-api-calls after everything committed was delivered. */
  reportedUsage(customerId: string): Promise<number>;
  /** A second app on a client of its own whose meter is in process memory (a commit needs no round trip). */
  meterInMemoryApp(): Promise<{ app: Server; client: Tollgate }>;
  /** A second app on a client that cannot reach Stigg, with `fallback` for the analytics feature when given. */
  unreachableApp(fallback: boolean): Promise<Server>;
}

export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): Promise<void>;
}

/**
 * POSTs to `path` and resolves when the response headers arrive, with the meter's in-flight count read right then
 * (the app is made to listen for this request only).
 */
async function atHeaders(
  app: Server,
  client: Tollgate,
  path: string,
  customerId: string,
): Promise<{ status: number; inflight: number }> {
  const opened = !app.listening;
  if (opened) await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = app.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path, method: 'POST', headers: { 'x-customer-id': customerId }, agent: false },
        (res) => {
          resolve({ status: res.statusCode!, inflight: client.metrics().usage.inflight });
          res.resume();
        },
      );
      req.on('error', reject);
      req.end();
    });
  } finally {
    if (opened) await new Promise((resolve) => app.close(resolve));
  }
}

/** Collects the client's 'error' events while `run` runs (and until it settled). */
async function errorsDuring(client: Tollgate, run: () => Promise<void>): Promise<TollgateError[]> {
  const errors: TollgateError[] = [];
  const listener = (err: TollgateError) => errors.push(err);
  client.events.on('error', listener);
  try {
    await run();
  } finally {
    client.events.off('error', listener);
  }
  return errors;
}

const problem = (res: request.Response) => {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return JSON.parse(res.text) as Record<string, unknown>;
};

export const scenarios: Scenario[] = [
  {
    name: 'allowed: the handler runs and reads the decision',
    async run({ app, customer }) {
      const id = await customer('plan-pro');
      const res = await request(app).get('/analytics').set('x-customer-id', id);
      expect(res.status).toBe(200);
      expect(res.body.decision).toMatchObject({ hasAccess: true, featureId: 'feature-analytics', isFallback: false });
    },
  },
  {
    name: 'not entitled: 403 problem+json with the feature and reason',
    async run({ app, customer }) {
      const id = await customer();
      const res = await request(app).get('/analytics').set('x-customer-id', id);
      expect(res.status).toBe(403);
      expect(problem(res)).toMatchObject({
        type: 'https://tollgate.dev/problems/not-entitled',
        status: 403,
        feature: 'feature-analytics',
        reason: 'NoFeatureEntitlementInSubscription',
      });
    },
  },
  {
    name: 'customer without a subscription: 403 CustomerNotFound',
    async run({ app }) {
      const res = await request(app).get('/analytics').set('x-customer-id', 'customer-nosub');
      expect(res.status).toBe(403);
      expect(problem(res).reason).toBe('CustomerNotFound');
    },
  },
  {
    name: 'no customer identified: 401, and no header is trusted by default',
    async run({ app }) {
      const res = await request(app).get('/analytics');
      expect(res.status).toBe(401);
      expect(problem(res)).toMatchObject({
        type: 'https://tollgate.dev/problems/no-customer',
        status: 401,
        feature: 'feature-analytics',
      });
    },
  },
  {
    name: 'a numeric customer id from the resolver (an id from a database) is that customer',
    async run({ app, client }) {
      const id = String(4_200_000 + Math.floor(Math.random() * 100_000));
      await client.provisionCustomer({
        customerId: id,
        subscriptionParams: { planId: 'plan-pro', billingPeriod: 'MONTHLY' },
      });
      const res = await request(app).get('/analytics').set('x-customer-id', id).set('x-customer-as', 'number');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).decision.hasAccess).toBe(true);
      expect((await request(app).post('/calls').set('x-customer-id', id).set('x-customer-as', 'number')).status).toBe(
        200,
      );
    },
  },
  {
    name: 'a resolver answer that is no id (array, object, lone surrogate, NUL, too long): 401 no-customer, never a 500',
    async run({ app }) {
      const answers: [as: string, id: string][] = [
        ['array', 'customer-pro'],
        ['object', 'customer-pro'],
        ['json', JSON.stringify('zz-\ud800')],
        ['json', JSON.stringify('customer-pro\u0000')],
        ['json', JSON.stringify('c'.repeat(5_000))],
      ];
      for (const [as, id] of answers) {
        for (const res of [
          await request(app).get('/analytics').set('x-customer-id', id).set('x-customer-as', as),
          await request(app).post('/calls').set('x-customer-id', id).set('x-customer-as', as),
        ]) {
          expect(res.status, `${as} ${id.slice(0, 40)}`).toBe(401);
          expect(problem(res).type).toBe('https://tollgate.dev/problems/no-customer');
        }
      }
    },
  },
  {
    name: 'hostile input table: every row a clean 4xx or decision, never a 500, nothing cached for refused ids',
    async run({ app, client }) {
      // The resolver answers the JSON-decoded header (ASCII-escaped: a header carries no other characters).
      const json = (id: string) =>
        [
          'json',
          JSON.stringify(id).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
        ] as const;
      // [what, how the resolver answers, header value, expected status of GET /analytics and POST /calls]
      const rows: [string, string, string, number][] = [
        ['":" in the id', ...json('cust:1:x'), 403],
        ['braces (a Redis hash tag)', ...json('{cust}'), 403],
        ['glob characters', ...json('cust*?[a]'), 403],
        ['a newline', ...json('cust\nx'), 403],
        ['unicode', ...json('kunde-über-日本'), 403],
        ['__proto__', ...json('__proto__'), 403],
        ['constructor', ...json('constructor'), 403],
        ['NUL', ...json('cust\u0000x'), 401],
        ['a lone surrogate', ...json('zz-\ud800'), 401],
        ['over 1,024 characters (a 1 MB header is refused by Node itself: 431)', ...json('x'.repeat(5_000)), 401],
        ['a number', 'number', '42', 403],
        ['an array (?c=a&c=b)', 'array', 'customer-pro', 401],
        ['an object', 'object', 'customer-pro', 401],
        ['true', 'json', 'true', 401],
      ];
      const cached = client.metrics().cacheEntries;
      for (const [what, as, id, status] of rows) {
        for (const res of [
          await request(app).get('/analytics').set('x-customer-id', id).set('x-customer-as', as),
          await request(app).post('/calls').set('x-customer-id', id).set('x-customer-as', as),
        ]) {
          expect(res.status, what).toBe(status);
          expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
        }
      }
      // Refused ids (401) never reach the cache; the others are one entry each, whatever their characters.
      expect(client.metrics().cacheEntries - cached).toBeLessThanOrEqual(rows.filter((r) => r[3] === 403).length);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // Methods and paths a client may send: the framework's own answers, never a 500 from a guard.
      for (const method of ['put', 'delete', 'patch', 'options'] as const) {
        expect(
          (await request(app)[method]('/analytics').set('x-customer-id', 'customer-pro')).status,
          method,
        ).toBeLessThan(500);
      }
      expect((await request(app).get('/analytics/%ZZ').set('x-customer-id', 'customer-pro')).status).toBeLessThan(500);
      // Express and Hono take the body (200); Fastify's parser refuses a __proto__ key (400). Nothing is polluted.
      expect([200, 400]).toContain(
        (
          await request(app)
            .post('/calls')
            .set('x-customer-id', 'customer-pro')
            .set('content-type', 'application/json')
            .send('{"__proto__": {"polluted": 1}}')
        ).status,
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  },
  {
    name: 'enum values: granted ones pass, others 403 RequestedValuesMismatch',
    async run({ app, customer }) {
      const id = await customer('plan-pro');
      expect((await request(app).get('/export?format=json').set('x-customer-id', id)).status).toBe(200);
      const res = await request(app).get('/export?format=parquet').set('x-customer-id', id);
      expect(res.status).toBe(403);
      expect(problem(res).reason).toBe('RequestedValuesMismatch');
    },
  },
  {
    name: 'usage limit reached: 402 with Retry-After and the figures',
    async run({ app, customer, stigg }) {
      const id = await customer();
      stigg.admin.setUsage(id, 'feature-api-calls', 100);
      await new Promise((r) => setTimeout(r, 50));
      const res = await request(app).post('/calls').set('x-customer-id', id);
      expect(res.status).toBe(402);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      const body = problem(res);
      expect(body).toMatchObject({
        type: 'https://tollgate.dev/problems/limit-reached',
        reason: 'RequestedUsageExceedingLimit',
        limit: 100,
        usage: 100,
        requested: 1,
      });
      expect(Date.parse(String(body.resetsAt))).toBeGreaterThan(Date.now());
    },
  },
  {
    name: 'metered requests are counted once each, after they succeeded',
    async run({ app, customer, reportedUsage }) {
      const id = await customer();
      for (let i = 0; i < 5; i++) expect((await request(app).post('/calls').set('x-customer-id', id)).status).toBe(200);
      expect(await reportedUsage(id)).toBe(5);
    },
  },
  {
    name: 'handler error: 500 and nothing counted',
    async run({ app, customer, reportedUsage }) {
      const id = await customer();
      expect((await request(app).post('/calls?fail=1').set('x-customer-id', id)).status).toBe(500);
      expect(await reportedUsage(id)).toBe(0);
    },
  },
  {
    name: 'non-2xx response: nothing counted',
    async run({ app, customer, reportedUsage }) {
      const id = await customer();
      expect((await request(app).post('/calls?status=409').set('x-customer-id', id)).status).toBe(409);
      expect(await reportedUsage(id)).toBe(0);
    },
  },
  {
    name: 'client abort: nothing counted',
    async run({ app, customer, reportedUsage }) {
      const id = await customer();
      await request(app)
        .post('/calls?wait=400')
        .set('x-customer-id', id)
        .timeout(100)
        .catch(() => {});
      await new Promise((r) => setTimeout(r, 600));
      expect(await reportedUsage(id)).toBe(0);
    },
  },
  {
    name: 'Stigg unreachable with a fallback: allowed, marked isFallback',
    async run({ customer, unreachableApp }) {
      const id = await customer();
      const res = await request(await unreachableApp(true))
        .get('/analytics')
        .set('x-customer-id', id);
      expect(res.status).toBe(200);
      expect(res.body.decision).toMatchObject({ hasAccess: true, isFallback: true, reason: 'Unknown' });
    },
  },
  {
    name: 'Stigg unreachable without a fallback: 503 with Retry-After',
    async run({ customer, unreachableApp }) {
      const id = await customer();
      const res = await request(await unreachableApp(false))
        .get('/analytics')
        .set('x-customer-id', id);
      expect(res.status).toBe(503);
      expect(problem(res)).toMatchObject({ type: 'https://tollgate.dev/problems/unavailable', reason: 'Unknown' });
      expect(res.headers['retry-after']).toBe('1'); // worth repeating soon, with the same idempotency key
    },
  },
  {
    name: "Idempotency-Key is the client's say: ignored unless the route opts in, so each request is counted",
    async run({ app, client, customer, reportedUsage }) {
      const id = await customer();
      for (let i = 0; i < 3; i++) {
        expect(
          (await request(app).post('/calls').set('x-customer-id', id).set('Idempotency-Key', 'order-7')).status,
        ).toBe(200);
        await until(() => client.metrics().usage.inflight === 0, 'the attempt to settle');
      }
      // Three writes may need two of the customer's write slots (one every 3 s): wait for Stigg to have them all.
      await until(async () => (await reportedUsage(id)) >= 3, 'the three requests to reach Stigg', 8_000).catch(
        () => {},
      );
      expect(await reportedUsage(id)).toBe(3);
    },
  },
  {
    name: 'a retry with a committed key gets the recorded response without running the handler; counted once',
    async run({ app, client, customer, reportedUsage }) {
      const id = await customer();
      const runsBefore = handlerRuns.count;
      const first = await request(app).post('/keyed').set('x-customer-id', id).set('Idempotency-Key', 'order-7');
      expect(first.status).toBe(201);
      await until(() => client.metrics().usage.inflight === 0, 'the first attempt to settle');
      for (let i = 0; i < 2; i++) {
        const retry = await request(app).post('/keyed').set('x-customer-id', id).set('Idempotency-Key', 'order-7');
        expect(retry.status).toBe(201);
        expect(retry.headers['idempotent-replayed']).toBe('true');
        expect(retry.headers['x-run']).toBe(first.headers['x-run']);
        expect(retry.body).toEqual(first.body);
      }
      expect(handlerRuns.count - runsBefore).toBe(1);
      expect(await reportedUsage(id)).toBe(1);
    },
  },
  {
    name: 'a key repeated while its request runs gets 409; another customer or feature with the same key is another request',
    async run({ app, client, customer, reportedUsage }) {
      const id = await customer('plan-pro');
      const other = await customer('plan-pro');
      const slow = request(app)
        .post('/keyed?wait=400')
        .set('x-customer-id', id)
        .set('Idempotency-Key', 'k-1')
        .then((r) => r);
      await until(() => client.metrics().usage.inflight > 0, 'the first request to hold its reservation');
      const repeated = await request(app).post('/keyed').set('x-customer-id', id).set('Idempotency-Key', 'k-1');
      expect(repeated.status).toBe(409);
      expect(problem(repeated)).toMatchObject({ type: 'https://tollgate.dev/problems/in-progress', status: 409 });
      expect(
        (await request(app).post('/keyed').set('x-customer-id', other).set('Idempotency-Key', 'k-1')).headers[
          'idempotent-replayed'
        ],
      ).toBeUndefined();
      expect((await slow).status).toBe(201);
      expect(await reportedUsage(id)).toBe(1);
      expect(await reportedUsage(other)).toBe(1);
      const runsBefore = handlerRuns.count;
      const projects = await request(app)
        .post('/keyed-projects')
        .set('x-customer-id', id)
        .set('Idempotency-Key', 'k-1');
      expect([projects.status, projects.headers['idempotent-replayed'], handlerRuns.count - runsBefore]).toEqual([
        201,
        undefined,
        1,
      ]);
    },
  },
  {
    name: '2,000 requests with one key against 500 units left: one handler run with replay, metered runs without',
    async run({ app, client, stigg, customer, reportedUsage }) {
      for (const [path, replay] of [
        ['/keyed', true],
        ['/keyed-noreplay', false],
      ] as const) {
        const id = await customer('plan-pro');
        stigg.admin.setUsage(id, 'feature-api-calls', 9_500); // 500 units left of 10,000
        await client.forgetCustomer(id);
        const runsBefore = handlerRuns.count;
        const statuses = new Map<number, number>();
        let next = 0;
        await Promise.all(
          Array.from({ length: 20 }, async () => {
            while (next < 2_000) {
              next += 1;
              const res = await request(app).post(path).set('x-customer-id', id).set('Idempotency-Key', 'same-key');
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            }
          }),
        );
        const runs = handlerRuns.count - runsBefore;
        // Delivered within the per-customer pacing (a write every 3 s): wait for Stigg to have all of it.
        await until(async () => (await reportedUsage(id)) - 9_500 >= runs, 'the runs to reach Stigg', 10_000).catch(
          () => {},
        );
        const counted = (await reportedUsage(id)) - 9_500;
        expect(
          [...statuses.keys()].every((s) => s === 201 || s === 409 || s === 402),
          JSON.stringify([...statuses]),
        ).toBe(true);
        expect(counted).toBe(runs); // Stigg counts exactly what ran
        if (replay) expect(runs).toBe(1);
        else expect(runs).toBe(statuses.get(201));
        expect(counted).toBeLessThanOrEqual(500);
      }
    },
  },
  {
    name: 'usage function that throws: the response stands, the reservation is released, an error is reported',
    async run({ app, client, customer, reportedUsage }) {
      const id = await customer();
      const errors = await errorsDuring(client, async () => {
        const res = await request(app).post('/broken-units').set('x-customer-id', id);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ ok: true });
        await until(() => client.metrics().usage.inflight === 0, 'the reservation to be released');
      });
      expect(errors.some((e) => (e.cause as Error | undefined)?.message === UNITS_FAILURE)).toBe(true);
      expect(await reportedUsage(id)).toBe(0);
      // No phantom unit is held: the next decision counts nothing.
      expect((await client.check({ customerId: id, featureId: 'feature-api-calls' })).currentUsage).toBe(0);
    },
  },
  {
    name: 'a later guard denies after the metered guard reserved: released, nothing reported',
    async run({ app, client, customer, reportedUsage }) {
      const id = await customer();
      await until(() => client.metrics().usage.inflight === 0, 'earlier requests to settle');
      const res = await request(app).post('/denied-after').set('x-customer-id', id);
      expect(res.status).toBe(403);
      expect(res.body.inflight).toBe(1); // the reservation was held when the later step denied
      await until(() => client.metrics().usage.inflight === 0, 'the reservation to be released');
      expect(await reportedUsage(id)).toBe(0);
      expect((await client.check({ customerId: id, featureId: 'feature-api-calls' })).currentUsage).toBe(0);
    },
  },
  {
    name: 'usage is committed by the time the response headers reach the client',
    async run({ customer, meterInMemoryApp, reportedUsage }) {
      const id = await customer();
      // The body's last part follows its headers by 300 ms, so a commit made at 'finish' would still be pending
      // here; one made as the response is written has ended (the meter is in memory: no round trip to wait for).
      const { app, client } = await meterInMemoryApp();
      expect(await atHeaders(app, client, '/streamed', id)).toEqual({ status: 200, inflight: 0 });
      await client.flushUsage();
      expect(await reportedUsage(id)).toBe(1);
    },
  },
  {
    name: 'usage computed from the response',
    async run({ app, customer, reportedUsage }) {
      const id = await customer();
      expect((await request(app).post('/compute?cost=7').set('x-customer-id', id)).body).toEqual({ cost: 7 });
      expect(await reportedUsage(id)).toBe(7);
    },
  },
];
