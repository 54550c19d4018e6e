import express from 'express';
import type { Tollgate } from '@tollgate/core';
import { entitlements, getEntitlement, meteredGuard, requireFeature } from '@tollgate/express';
import { DEMO_TOKENS } from '../../demo-tokens.js';

/** A small SaaS API: projects, analytics, exports, seats and metered report generation. */
export function createApp(tollgate: Tollgate) {
  const app = express();
  app.use(express.json());
  app.use(entitlements({ client: tollgate, customerId: (req) => DEMO_TOKENS[req.get('x-api-token') ?? ''] }));

  app.get('/api/projects', requireFeature('feature-max-projects'), (req, res) => {
    res.json({
      projects: ['website', 'mobile-app'],
      maxProjects: getEntitlement(req)?.isUnlimited ? 'unlimited' : getEntitlement(req)?.usageLimit,
    });
  });
  app.get('/api/analytics', requireFeature('feature-analytics'), (_req, res) => {
    res.json({ visitors: 1234, conversion: 0.042 });
  });
  app.get(
    '/api/export',
    requireFeature('feature-export-formats', { requestedValues: (req) => [String(req.query.format ?? 'csv')] }),
    (req, res) => {
      res.json({ format: req.query.format ?? 'csv', url: `/downloads/export.${req.query.format ?? 'csv'}` });
    },
  );
  app.post('/api/seats', meteredGuard('feature-seats', { usage: 1 }), (req, res) => {
    res.status(201).json({ invited: req.body?.email ?? 'someone@example.com' });
  });
  app.post('/api/reports', meteredGuard('feature-api-calls', { usage: 1 }), (_req, res) => {
    res.json({ report: 'monthly-summary', generatedAt: new Date().toISOString() });
  });
  app.get('/api/usage', async (req, res) => {
    const customerId = DEMO_TOKENS[req.get('x-api-token') ?? ''];
    if (!customerId) return void res.status(401).json({ error: 'unknown token' });
    const d = await tollgate.check({ customerId, featureId: 'feature-api-calls' });
    res.json({
      feature: 'feature-api-calls',
      used: d.currentUsage,
      limit: d.isUnlimited ? 'unlimited' : d.usageLimit,
      resetsAt: d.resetsAt,
    });
  });
  return app;
}
