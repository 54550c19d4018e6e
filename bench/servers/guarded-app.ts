/**
 * Benchmark child: one route, GET /api/analytics, in a framework (express | hono), one of:
 * - bare: the route alone;
 * - auth: the route behind the app's own authentication middleware (it identifies the customer);
 * - tollgate: auth, then entitlements() and requireFeature();
 * - stigg-sdk: auth, then a middleware around the official SDK, the way Stigg's docs suggest.
 * argv: framework variant stiggUrl. Prints {"url"} when listening.
 */
import { createServer, type RequestListener } from 'node:http';
import express from 'express';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { getRequestListener } from '@hono/node-server';
import { Stigg } from '@stigg/node-server-sdk';
import { createTollgate } from '@tollgate/core';
import * as ex from '@tollgate/express';
import * as ho from '@tollgate/hono';
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, type CanActivate, type DynamicModule, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Entitled, TollgateModule } from '@tollgate/nest';

const [framework, variant, stiggUrl] = process.argv.slice(2) as ['express' | 'hono' | 'nest', 'bare' | 'auth' | 'tollgate' | 'stigg-sdk', string];
const FEATURE = 'feature-analytics';
const body = { visitors: 1234, conversion: 0.042 };

const tollgate = variant === 'tollgate' ? createTollgate({ apiKey: 'server-tollgate-local', baseUrl: stiggUrl, logger: { warn: () => {}, error: () => {} } }) : null;
await tollgate?.ready();
const stigg =
  variant === 'stigg-sdk'
    ? Stigg.initialize({ apiKey: 'server-tollgate-local', baseUri: stiggUrl, wsUrl: stiggUrl.replace('http', 'ws'), baseEdgeUri: stiggUrl, logConfiguration: { logLevel: 'NONE' as never } } as never)
    : null;
await stigg?.waitForInitialization();

let listener: RequestListener;
if (framework === 'nest') {
  listener = await nestListener();
} else if (framework === 'express') {
  const app = express();
  // The app's authentication (a stand-in: a real one checks a token); it knows the customer.
  if (variant !== 'bare') app.use((_req, res, next) => ((res.locals.orgId = 'customer-pro'), next()));
  if (tollgate) app.use(ex.entitlements({ client: tollgate, customerId: (req) => req.res!.locals.orgId }));
  const sdkGuard: express.RequestHandler = (_req, res, next) => {
    stigg!.getBooleanEntitlement({ customerId: res.locals.orgId, featureId: FEATURE }).then((e) => (e.hasAccess ? next() : res.status(403).json({ error: 'forbidden' })), next);
  };
  const guards = tollgate ? [ex.requireFeature(FEATURE)] : stigg ? [sdkGuard] : [];
  app.get('/api/analytics', ...guards, (_req, res) => res.json(body));
  listener = app;
} else {
  const app = new Hono<{ Variables: { orgId: string } }>();
  if (variant !== 'bare') app.use(createMiddleware((c, next) => (c.set('orgId', 'customer-pro'), next())));
  if (tollgate) app.use(ho.entitlements({ client: tollgate, customerId: (c) => c.get('orgId') }));
  const sdkGuard = createMiddleware(async (c, next) => {
    const e = await stigg!.getBooleanEntitlement({ customerId: c.get('orgId'), featureId: FEATURE });
    if (!e.hasAccess) return c.json({ error: 'forbidden' }, 403);
    await next();
  });
  const guards = tollgate ? [ho.requireFeature(FEATURE)] : stigg ? [sdkGuard] : [];
  app.get('/api/analytics', ...(guards as []), (c) => c.json(body));
  listener = getRequestListener(app.fetch);
}

/** Nest on the Express platform: the app's own guard identifies the customer; Tollgate's checks the feature. */
async function nestListener(): Promise<RequestListener> {
  @Injectable()
  class AuthGuard implements CanActivate {
    canActivate(context: ExecutionContext) {
      context.switchToHttp().getRequest().orgId = 'customer-pro';
      return true;
    }
  }
  @Injectable()
  class SdkGuard implements CanActivate {
    async canActivate(context: ExecutionContext) {
      return (await stigg!.getBooleanEntitlement({ customerId: context.switchToHttp().getRequest().orgId, featureId: FEATURE })).hasAccess;
    }
  }
  const decorate = variant === 'tollgate' ? Entitled(FEATURE) : () => {};
  @Controller('api')
  class ApiController {
    @Get('analytics')
    @decorate
    analytics() {
      return body;
    }
  }
  const auth = variant === 'bare' ? [] : [{ provide: APP_GUARD, useClass: AuthGuard }];
  const sdk = variant === 'stigg-sdk' ? [{ provide: APP_GUARD, useClass: SdkGuard }] : [];
  const imports: DynamicModule[] = tollgate ? [TollgateModule.forRoot({ client: tollgate, customerId: (ctx) => ctx.switchToHttp().getRequest().orgId })] : [];
  @Module({ imports, controllers: [ApiController], providers: [...auth, ...sdk] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
  await app.init();
  return app.getHttpAdapter().getInstance();
}

// GET /__cpu: this process's CPU time so far, so the benchmark can report CPU per request next to throughput.
const server = createServer((req, res) => (req.url === '/__cpu' ? res.end(JSON.stringify(process.cpuUsage())) : listener(req, res)));
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
process.once('SIGTERM', () => {
  server.close();
  stigg?.close();
  void tollgate?.close().then(() => process.exit(0));
  if (!tollgate) process.exit(0);
});
