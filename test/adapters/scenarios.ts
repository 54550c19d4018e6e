/**
 * One scenario table for every adapter: the same requests, the same statuses, bodies and counted usage.
 * Each scenario gets customers of its own, so scenarios are independent of their order.
 */
import type { Server } from 'node:http';
import request from 'supertest';
import { expect } from 'vitest';
import type { Tollgate } from '@tollgate/core';
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
  /** A second app on a client that cannot reach Stigg, with `fallback` for the analytics feature when given. */
  unreachableApp(fallback: boolean): Promise<Server>;
}

export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): Promise<void>;
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
      expect(problem(res)).toMatchObject({ type: 'https://tollgate.dev/problems/no-customer', status: 401, feature: 'feature-analytics' });
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
      expect(body).toMatchObject({ type: 'https://tollgate.dev/problems/limit-reached', reason: 'RequestedUsageExceedingLimit', limit: 100, usage: 100, requested: 1 });
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
      await request(app).post('/calls?wait=400').set('x-customer-id', id).timeout(100).catch(() => {});
      await new Promise((r) => setTimeout(r, 600));
      expect(await reportedUsage(id)).toBe(0);
    },
  },
  {
    name: 'Stigg unreachable with a fallback: allowed, marked isFallback',
    async run({ customer, unreachableApp }) {
      const id = await customer();
      const res = await request(await unreachableApp(true)).get('/analytics').set('x-customer-id', id);
      expect(res.status).toBe(200);
      expect(res.body.decision).toMatchObject({ hasAccess: true, isFallback: true, reason: 'Unknown' });
    },
  },
  {
    name: 'Stigg unreachable without a fallback: 503',
    async run({ customer, unreachableApp }) {
      const id = await customer();
      const res = await request(await unreachableApp(false)).get('/analytics').set('x-customer-id', id);
      expect(res.status).toBe(503);
      expect(problem(res)).toMatchObject({ type: 'https://tollgate.dev/problems/unavailable', reason: 'Unknown' });
    },
  },
  {
    name: 'a retried request (same Idempotency-Key) is counted once',
    async run({ app, client, customer, reportedUsage }) {
      const id = await customer();
      for (let i = 0; i < 3; i++) {
        expect((await request(app).post('/calls').set('x-customer-id', id).set('Idempotency-Key', 'order-7')).status).toBe(200);
        // A client retries after it lost an answer; by then the server has settled the first attempt.
        await until(() => client.metrics().usage.inflight === 0, 'the attempt to settle');
      }
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
