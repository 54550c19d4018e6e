/**
 * Benchmark child: one route, GET /api/analytics, in a framework (express | express-middleware | hono |
 * hono-middleware | fastify | nest-express | nest-fastify), one of:
 * - bare: the route alone;
 * - floor: the route behind one no-op middleware of the framework's own kind (Nest: a guard): what any middleware
 *   costs, the floor a guard is measured against;
 * - guarded: the route behind Tollgate's guard on a cache hit, its settings bound once (one middleware per route;
 *   on Express and Hono the guarded handler itself, the route's only handler; express-middleware and
 *   hono-middleware: the guard as a middleware before the handler);
 * - stigg-sdk: the route behind a middleware around the official SDK, the way Stigg's docs suggest.
 * The customer comes from the guard's resolver (a stand-in for reading a verified token). Every variant but
 * stigg-sdk holds the same connected Tollgate client (and Fastify's plugin, Nest's module): the same app, its routes
 * bare, behind a no-op middleware or guarded, so what differs is the route's work. argv: framework variant
 * stiggUrl. Prints {"url"} when listening; GET /__cpu answers this process's CPU time.
 */
import { createServer, type RequestListener } from 'node:http';
import express from 'express';
import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { getRequestListener } from '@hono/node-server';
import { Stigg } from '@stigg/node-server-sdk';
import { createTollgate } from '@tollgate/core';
import * as ex from '@tollgate/express';
import * as ho from '@tollgate/hono';
import * as fa from '@tollgate/fastify';
import Fastify, { type preHandlerHookHandler } from 'fastify';
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, UseGuards, type CanActivate, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Entitled, TollgateModule } from '@tollgate/nest';

type Framework =
  | 'express'
  | 'express-middleware'
  | 'hono'
  | 'hono-middleware'
  | 'fastify'
  | 'nest-express'
  | 'nest-fastify';
const [framework, variant, stiggUrl] = process.argv.slice(2) as [
  Framework,
  'bare' | 'floor' | 'guarded' | 'stigg-sdk',
  string,
];
const FEATURE = 'feature-analytics';
const CUSTOMER = 'customer-pro';
const body = { visitors: 1234, conversion: 0.042 };
const cpu = () => process.cpuUsage();

const tollgate =
  variant !== 'stigg-sdk'
    ? createTollgate({
        apiKey: 'server-tollgate-local',
        baseUrl: stiggUrl,
        logger: { warn: () => {}, error: () => {} },
      })
    : null;
await tollgate?.ready();
await tollgate?.check({ customerId: CUSTOMER, featureId: FEATURE }); // cached: every measured request is a hit
const stigg =
  variant === 'stigg-sdk'
    ? Stigg.initialize({
        apiKey: 'server-tollgate-local',
        baseUri: stiggUrl,
        wsUrl: stiggUrl.replace('http', 'ws'),
        baseEdgeUri: stiggUrl,
        logConfiguration: { logLevel: 'NONE' as never },
      } as never)
    : null;
await stigg?.waitForInitialization();

let url: string;
if (framework === 'nest-express' || framework === 'nest-fastify') {
  url = await nestApp(framework);
} else if (framework === 'fastify') {
  const app = Fastify();
  if (tollgate) await app.register(fa.tollgate, { client: tollgate, customerId: () => CUSTOMER });
  const noop: preHandlerHookHandler = (_req, _reply, done) => done();
  const sdkGuard: preHandlerHookHandler = async (_req, reply) => {
    const e = await stigg!.getBooleanEntitlement({ customerId: CUSTOMER, featureId: FEATURE });
    if (!e.hasAccess) return reply.code(403).send({ error: 'forbidden' });
  };
  const preHandler =
    variant === 'guarded'
      ? app.requireFeature(FEATURE)
      : variant === 'floor'
        ? noop
        : variant === 'stigg-sdk'
          ? sdkGuard
          : undefined;
  app.get('/api/analytics', preHandler ? { preHandler } : {}, async () => body);
  app.get('/__cpu', async () => cpu());
  url = await app.listen({ port: 0, host: '127.0.0.1' });
} else {
  let listener: RequestListener;
  if (framework === 'express' || framework === 'express-middleware') {
    const app = express();
    const noop: express.RequestHandler = (_req, _res, next) => next();
    const sdkGuard: express.RequestHandler = (_req, res, next) => {
      stigg!
        .getBooleanEntitlement({ customerId: CUSTOMER, featureId: FEATURE })
        .then((e) => (e.hasAccess ? next() : res.status(403).json({ error: 'forbidden' })), next);
    };
    const handler: express.RequestHandler = (_req, res) => {
      res.json(body);
    };
    const gate = tollgate && ex.tollgateExpress({ client: tollgate, customerId: () => CUSTOMER });
    app.get(
      '/api/analytics',
      ...routeHandlers(handler, {
        guard: gate?.requireFeature(FEATURE),
        guardedHandler: framework === 'express' ? gate?.requireFeature(FEATURE, handler) : undefined,
        noop,
        sdkGuard,
      }),
    );
    listener = app;
  } else {
    const app = new Hono();
    const noop = createMiddleware((_c, next) => next());
    const sdkGuard = createMiddleware(async (c, next) => {
      const e = await stigg!.getBooleanEntitlement({ customerId: CUSTOMER, featureId: FEATURE });
      if (!e.hasAccess) return c.json({ error: 'forbidden' }, 403);
      await next();
    });
    const handler = (c: Context) => c.json(body);
    const gate = tollgate && ho.tollgateHono({ client: tollgate, customerId: () => CUSTOMER });
    const handlers = routeHandlers(handler, {
      guard: gate?.requireFeature(FEATURE),
      guardedHandler: framework === 'hono' ? gate?.requireFeature(FEATURE, handler) : undefined,
      noop,
      sdkGuard,
    });
    app.get('/api/analytics', ...(handlers as [typeof handler]));
    listener = getRequestListener(app.fetch);
  }
  const server = createServer((req, res) =>
    req.url === '/__cpu' ? res.end(JSON.stringify(cpu())) : listener(req, res),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}
console.log(JSON.stringify({ url }));

/**
 * The route's handlers for this variant: the guarded handler alone (the one-handler form, where the framework has
 * it), else the handler behind the guard, the no-op middleware or the SDK guard (bare: the handler alone).
 */
function routeHandlers<M, H>(handler: H, steps: { guard?: M; guardedHandler?: H; noop: M; sdkGuard: M }): (M | H)[] {
  if (variant === 'guarded' && steps.guardedHandler) return [steps.guardedHandler];
  const before =
    variant === 'guarded'
      ? steps.guard
      : variant === 'floor'
        ? steps.noop
        : variant === 'stigg-sdk'
          ? steps.sdkGuard
          : undefined;
  return before ? [before, handler] : [handler];
}

/** Nest on either platform; the floor is a no-op guard, Tollgate's guard comes with `@Entitled`. */
async function nestApp(platform: 'nest-express' | 'nest-fastify'): Promise<string> {
  @Injectable()
  class NoopGuard implements CanActivate {
    canActivate() {
      return true;
    }
  }
  @Injectable()
  class SdkGuard implements CanActivate {
    async canActivate() {
      return (await stigg!.getBooleanEntitlement({ customerId: CUSTOMER, featureId: FEATURE })).hasAccess;
    }
  }
  const decorate =
    variant === 'guarded'
      ? Entitled(FEATURE)
      : variant === 'floor'
        ? UseGuards(NoopGuard)
        : variant === 'stigg-sdk'
          ? UseGuards(SdkGuard)
          : () => {};
  @Controller()
  class ApiController {
    @Get('api/analytics')
    @decorate
    analytics() {
      return body;
    }
    @Get('__cpu')
    cpu() {
      return cpu();
    }
  }
  const imports: DynamicModule[] = tollgate
    ? [TollgateModule.forRoot({ client: tollgate, customerId: () => CUSTOMER })]
    : [];
  @Module({ imports, controllers: [ApiController], providers: [NoopGuard, SdkGuard] })
  class AppModule {}
  const app = await NestFactory.create(
    AppModule,
    platform === 'nest-fastify' ? new FastifyAdapter() : new ExpressAdapter(),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

process.once('SIGTERM', () => {
  stigg?.close();
  void tollgate?.close().then(() => process.exit(0));
  if (!tollgate) process.exit(0);
});
