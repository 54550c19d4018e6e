import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Tollgate } from '@tollgate/core';
import { entitlements, meteredGuard, requireFeature } from '@tollgate/express';
import express from 'express';
import { DEMO_TOKENS } from '../../demo-tokens.js';

/** Two guarded routes, and the Prometheus scrape endpoint beside them. */
export function createApp(tollgate: Tollgate, prometheus: PrometheusExporter) {
  const app = express();
  app.get('/metrics', (req, res) => prometheus.getMetricsRequestHandler(req, res));
  app.use('/api', entitlements({ client: tollgate, customerId: (req) => DEMO_TOKENS[req.get('x-api-token') ?? ''] }));
  app.get('/api/analytics', requireFeature('feature-analytics'), (_req, res) => {
    res.json({ visitors: 1234, conversion: 0.042 });
  });
  app.post('/api/reports', meteredGuard('feature-api-calls', { usage: 1 }), (_req, res) => {
    res.json({ report: 'monthly-summary', generatedAt: new Date().toISOString() });
  });
  return app;
}
