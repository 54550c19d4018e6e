import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Tollgate } from '@tollgate/core';
import { entitlements, meteredGuard, requireFeature } from '@tollgate/hono';
import { DEMO_TOKENS } from '../../demo-tokens.js';

/** The same SaaS API as examples/express, in Hono's idioms. */
export function createApp(tollgate: Tollgate) {
  const app = new Hono();
  app.use(
    '/api/*',
    entitlements({ client: tollgate, customerId: (c) => DEMO_TOKENS[c.req.header('x-api-token') ?? ''] }),
  );

  app.get('/api/projects', requireFeature('feature-max-projects'), (c) => {
    const d = c.get('entitlement');
    return c.json({ projects: ['website', 'mobile-app'], maxProjects: d.isUnlimited ? 'unlimited' : d.usageLimit });
  });
  app.get('/api/analytics', requireFeature('feature-analytics'), (c) => c.json({ visitors: 1234, conversion: 0.042 }));
  app.get(
    '/api/export',
    requireFeature('feature-export-formats', { requestedValues: (c) => [c.req.query('format') ?? 'csv'] }),
    (c) => {
      const format = c.req.query('format') ?? 'csv';
      return c.json({ format, url: `/downloads/export.${format}` });
    },
  );
  app.post('/api/seats', meteredGuard('feature-seats', { usage: 1 }), (c) =>
    c.json({ invited: 'someone@example.com' }, 201),
  );
  app.post('/api/reports', meteredGuard('feature-api-calls', { usage: 1 }), (c) =>
    c.json({ report: 'monthly-summary', generatedAt: new Date().toISOString() }),
  );
  app.get('/api/usage', async (c) => {
    const customerId = DEMO_TOKENS[c.req.header('x-api-token') ?? ''];
    if (!customerId) return c.json({ error: 'unknown token' }, 401);
    const d = await tollgate.check({ customerId, featureId: 'feature-api-calls' });
    return c.json({
      feature: 'feature-api-calls',
      used: d.currentUsage,
      limit: d.isUnlimited ? 'unlimited' : d.usageLimit,
      resetsAt: d.resetsAt,
    });
  });
  // Denials are HTTPExceptions carrying the problem response: keep it, answer other errors with 500.
  app.onError((err, c) =>
    err instanceof HTTPException ? err.getResponse() : c.json({ error: 'internal error' }, 500),
  );
  return app;
}
