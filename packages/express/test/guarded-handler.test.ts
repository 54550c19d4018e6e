/**
 * `requireFeature(featureId, handler)`: the route's handler guarded, as the route's only handler (one Express hop
 * where a guard and a handler are two). The scenario table (test/adapters) runs the middleware form against
 * stigg-local; this covers the handler form: grants and denials, onDenied, and errors of the handler, sync and
 * async, on a cache miss and on a hit, reaching Express' error handler once.
 */
import { createTestTollgate, type TestTollgate } from '@tollgate/core/testing';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { entitlements, getEntitlement, requireFeature, tollgateExpress } from '../src/index.js';

const doubles: TestTollgate[] = [];
afterEach(async () => {
  for (const d of doubles.splice(0)) await d.close();
});

async function double() {
  const d = createTestTollgate();
  doubles.push(d);
  await d.grant('customer-pro', 'feature-analytics');
  return d;
}

const customerFrom = (req: Request) => req.get('x-customer-id');
const get = (app: express.Express, path: string, customer?: string) =>
  customer ? request(app).get(path).set('x-customer-id', customer) : request(app).get(path);

/** Express' error handler, counting what reached it. */
function catchErrors(app: express.Express): Error[] {
  const seen: Error[] = [];
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    seen.push(err);
    res.status(500).json({ error: err.message });
  });
  return seen;
}

describe('requireFeature with the handler', () => {
  it('runs the handler with the decision when granted, and denies with the problem response otherwise', async () => {
    const d = await double();
    const gate = tollgateExpress({ client: d.tollgate, customerId: customerFrom });
    let runs = 0;
    const app = express();
    app.get(
      '/analytics',
      gate.requireFeature('feature-analytics', (req, res) => {
        runs += 1;
        res.json({ hasAccess: getEntitlement(req)?.hasAccess, ids: Object.keys(res.locals.entitlements) });
      }),
    );
    for (let i = 0; i < 2; i++) {
      const granted = await get(app, '/analytics', 'customer-pro'); // a miss, then a hit
      expect(granted.status).toBe(200);
      expect(granted.body).toEqual({ hasAccess: true, ids: ['feature-analytics'] });
    }
    const denied = await get(app, '/analytics', 'customer-free');
    expect(denied.status).toBe(403);
    expect(denied.headers['content-type']).toContain('application/problem+json');
    expect((await get(app, '/analytics')).status).toBe(401);
    expect(runs).toBe(2);
  });

  it('sends what the handler throws or rejects with to the error handler, once, on a miss and on a hit', async () => {
    const d = await double();
    const gate = tollgateExpress({ client: d.tollgate, customerId: customerFrom });
    const app = express();
    app.get(
      '/throws',
      gate.requireFeature('feature-analytics', () => {
        throw new Error('thrown');
      }),
    );
    app.get(
      '/rejects',
      gate.requireFeature('feature-analytics', async () => {
        await new Promise((r) => setImmediate(r));
        throw new Error('rejected');
      }),
    );
    const seen = catchErrors(app);
    for (const path of ['/throws', '/rejects']) {
      await d.tollgate.forgetCustomer('customer-pro'); // the first request of each route a miss
      for (let i = 0; i < 2; i++) {
        const res = await get(app, path, 'customer-pro');
        expect(res.status).toBe(500);
        expect(res.body.error).toBe(path === '/throws' ? 'thrown' : 'rejected');
      }
    }
    expect(seen.map((e) => e.message)).toEqual(['thrown', 'thrown', 'rejected', 'rejected']);
  });

  it('leaves the answer to onDenied when it answers', async () => {
    const d = await double();
    const gate = tollgateExpress({
      client: d.tollgate,
      customerId: customerFrom,
      onDenied: (denial, req) => {
        req.res!.status(402).json({ upgrade: denial.body.type });
        return true;
      },
    });
    const app = express();
    app.get(
      '/analytics',
      gate.requireFeature('feature-analytics', (_req, res) => res.send('ran')),
    );
    const res = await get(app, '/analytics', 'customer-free');
    expect(res.status).toBe(402);
    expect(res.body).toHaveProperty('upgrade');
  });

  it('takes the settings from entitlements() and passes on what the handler passes to next', async () => {
    const d = await double();
    const app = express();
    app.use(entitlements({ client: d.tollgate, customerId: customerFrom }));
    app.get(
      '/analytics',
      requireFeature('feature-analytics', (_req, _res, next) => next()),
      (_req, res) => {
        res.send('next route handler');
      },
    );
    expect((await get(app, '/analytics', 'customer-pro')).text).toBe('next route handler');
    expect((await get(app, '/analytics', 'customer-free')).status).toBe(403);
  });
});
