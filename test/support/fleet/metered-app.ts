/**
 * A metered API in its own process, the way a user runs one: Express, Hono or Nest with Tollgate, optionally
 * sharing a Redis with other instances. Used by the fleet tests, the usage benchmark and the chaos soak.
 *
 *   POST /api/reports   meteredGuard('feature-api-calls', 1 unit); the customer is the `x-customer` header (a
 *                       test stand-in for the app's authentication); the route opts in to `idempotency-key`
 *   GET  /__metrics     tollgate.metrics() and the process' memory
 *
 * argv[2]: JSON { framework, stiggUrl, redisUrl? (a redis:// URL, or a topology's: see createRedisStore), tollgate?
 * (Options) }. Prints {"url"} once listening. On SIGTERM: stops accepting, closes Tollgate (drain), prints
 * {"drained": report} and exits 0.
 */
import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import express from 'express';
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { Controller, Module, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { createTollgate, type Options } from '@tollgate/core';
import * as ex from '@tollgate/express';
import * as ho from '@tollgate/hono';
import { Metered, TollgateModule } from '@tollgate/nest';
import { createRedisStore } from '../redis.js';

interface Config {
  framework: 'express' | 'hono' | 'nest';
  stiggUrl: string;
  redisUrl?: string | null;
  tollgate?: Partial<Options>;
}

const config = JSON.parse(process.argv[2]!) as Config;
const FEATURE = 'feature-api-calls';
const store = config.redisUrl ? createRedisStore(config.redisUrl) : undefined;
const errors: string[] = [];
// TOLLGATE_APP_LOG=path: every warning and error this app's Tollgate logs, timestamped (for diagnosing a soak).
const logFile = process.env.TOLLGATE_APP_LOG;
const trace = (level: string, m: unknown) => {
  if (logFile)
    appendFileSync(logFile, `${new Date().toISOString()} ${config.framework} ${process.pid} ${level} ${String(m)}\n`);
};
/** The handler ran for this request (its units reserved, not a replay): one line per run, to find a key run twice. */
const ran = (customer: unknown, key: unknown) => {
  if (logFile) trace('ran', `${String(customer)} ${String(key)}`);
};
const tollgate = createTollgate({
  apiKey: 'server-tollgate-local',
  baseUrl: config.stiggUrl,
  cache: store ? { store } : undefined,
  logger: {
    warn: (m) => trace('warn', m),
    error: (m) => {
      trace('error', m);
      errors.push(m);
    },
  },
  ...config.tollgate,
});
await tollgate.ready();

let listener: RequestListener;
if (config.framework === 'express') {
  const app = express();
  app.use(ex.entitlements({ client: tollgate, customerId: (req) => req.get('x-customer') }));
  app.post(
    '/api/reports',
    ex.meteredGuard(FEATURE, { usage: 1, idempotencyKey: (req) => req.get('idempotency-key') }),
    (req, res) => {
      ran(req.get('x-customer'), req.get('idempotency-key'));
      res.json({ ok: true });
    },
  );
  listener = app;
} else if (config.framework === 'hono') {
  const app = new Hono();
  app.use(ho.entitlements({ client: tollgate, customerId: (c) => c.req.header('x-customer') }));
  app.post(
    '/api/reports',
    ho.meteredGuard(FEATURE, { usage: 1, idempotencyKey: (c) => c.req.header('idempotency-key') }),
    (c) => {
      ran(c.req.header('x-customer'), c.req.header('idempotency-key'));
      return c.json({ ok: true });
    },
  );
  listener = getRequestListener(app.fetch);
} else {
  @Controller('api')
  class ReportsController {
    @Post('reports')
    @Metered(FEATURE, 1, { idempotencyKey: (ctx) => ctx.switchToHttp().getRequest().headers['idempotency-key'] })
    report(@Req() req: { headers: Record<string, unknown> }) {
      ran(req.headers['x-customer'], req.headers['idempotency-key']);
      return { ok: true };
    }
  }
  @Module({
    imports: [
      TollgateModule.forRoot({
        client: tollgate,
        customerId: (ctx) => ctx.switchToHttp().getRequest().headers['x-customer'],
      }),
    ],
    controllers: [ReportsController],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
  await app.init();
  listener = app.getHttpAdapter().getInstance();
}

let closing = false;
const server = createServer((req, res) => {
  // Shutting down: answer what still arrives on open connections, and close them, so clients go elsewhere.
  if (closing) res.setHeader('connection', 'close');
  if (req.url === '/__metrics')
    return void res.end(
      JSON.stringify({ ...tollgate.metrics(), rss: process.memoryUsage().rss, errors: errors.length }),
    );
  listener(req, res);
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })),
);

process.once('SIGTERM', async () => {
  // A graceful stop: no new connections, open ones closed after their current request, then Tollgate drains.
  closing = true;
  const stopped = new Promise((r) => server.close(r));
  server.closeIdleConnections();
  await Promise.race([stopped, new Promise((r) => setTimeout(r, 3_000))]);
  const report = await tollgate.close();
  trace('drained', JSON.stringify(report));
  console.log(JSON.stringify({ drained: report }));
  await Promise.race([store?.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
  process.exit(0);
});
