/** The same small API built with each adapter: the scenario table runs against every one of them. */
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import express from 'express';
import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import { getRequestListener } from '@hono/node-server';
import type { Decision, Tollgate } from '@tollgate/core';
import * as ex from '@tollgate/express';
import * as ho from '@tollgate/hono';
import * as fa from '@tollgate/fastify';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import * as nest from '@tollgate/nest';
import {
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A body sent in two parts, the second a while after the first: the headers reach the client long before 'finish'. */
async function* slowBody() {
  yield 'first part\n';
  await sleep(300);
  yield 'last part\n';
}

/** A usage function that fails: the response must stand, the reservation must be released. */
export const UNITS_FAILURE = 'units failed';
const brokenUnits = (): number => {
  throw new Error(UNITS_FAILURE);
};

/** A guard after `@Metered` that denies: the body says how many reservations were held when it ran. */
@Injectable()
class DenyAfterMetered implements CanActivate {
  constructor(@Inject(nest.Tollgate) private readonly client: Tollgate) {}
  canActivate(): boolean {
    throw new ForbiddenException({ inflight: this.client.metrics().usage.inflight });
  }
}

/**
 * The customer as the apps' resolvers answer it: the `x-customer-id` header, or, with `x-customer-as`, what a
 * careless resolver might return: a number (an id from a database), an array (`?c=a&c=b`), an object, or the
 * header decoded as JSON (any string, including ones a header cannot carry: lone surrogates, NUL).
 */
export function customerFrom(headers: Record<string, string | string[] | undefined>): never {
  const id = headers['x-customer-id'] as string | undefined;
  switch (headers['x-customer-as']) {
    case 'number':
      return Number(id) as never;
    case 'array':
      return [id, id] as never;
    case 'object':
      return { id } as never;
    case 'json':
      return JSON.parse(id!) as never;
    default:
      return id as never;
  }
}

/** Handler runs of the routes that opt in to idempotency keys (read by the replay scenarios). */
export const handlerRuns = { count: 0 };
const ran = () => ++handlerRuns.count;

/** Tests identify the customer by a header: an explicit opt-in, as a user would have to write it. */
export function expressApp(client: Tollgate): Server {
  const app = express();
  // Settings bound once (one middleware per guarded route); `/export` uses the per-app style instead.
  const gate = ex.tollgateExpress({ client, customerId: (req) => customerFrom(req.headers) });
  app.use('/export', ex.entitlements({ client, customerId: (req) => customerFrom(req.headers) }));
  app.get('/analytics', gate.requireFeature('feature-analytics'), (req, res) => {
    res.json({ decision: ex.getEntitlement(req) });
  });
  app.get(
    '/export',
    ex.requireFeature('feature-export-formats', { requestedValues: (req) => [String(req.query.format)] }),
    (req, res) => {
      res.json({ format: req.query.format });
    },
  );
  app.post('/calls', gate.meteredGuard('feature-api-calls'), async (req, res) => {
    if (req.query.fail) throw new Error('handler failed');
    if (req.query.wait) await sleep(Number(req.query.wait));
    res.status(Number(req.query.status ?? 200)).json({ decision: ex.getEntitlement(req, 'feature-api-calls') });
  });
  app.post(
    '/compute',
    gate.meteredGuard('feature-api-calls', { usage: (_req, res) => Number(res.locals.cost) }),
    (req, res) => {
      res.locals.cost = Number(req.query.cost);
      res.json({ cost: res.locals.cost });
    },
  );
  app.post('/streamed', gate.meteredGuard('feature-api-calls'), (_req, res) => {
    Readable.from(slowBody()).pipe(res);
  });
  app.post('/broken-units', gate.meteredGuard('feature-api-calls', { usage: brokenUnits }), (_req, res) => {
    res.json({ ok: true });
  });
  // A later step that denies after the metered guard reserved; the body says what was held at that moment.
  app.post('/denied-after', gate.meteredGuard('feature-api-calls'), (_req, res) => {
    res.status(403).json({ inflight: client.metrics().usage.inflight });
  });
  // Routes that opt in to the client's Idempotency-Key.
  const keyed: express.RequestHandler = async (req, res) => {
    const run = ran();
    if (req.query.wait) await sleep(Number(req.query.wait));
    res.status(201).set('x-run', String(run)).json({ run });
  };
  const key = (req: express.Request) => req.get('idempotency-key');
  app.post('/keyed', gate.meteredGuard('feature-api-calls', { idempotencyKey: key }), keyed);
  app.post('/keyed-noreplay', gate.meteredGuard('feature-api-calls', { idempotencyKey: key, replay: false }), keyed);
  app.post('/keyed-projects', gate.meteredGuard('feature-max-projects', { idempotencyKey: key }), keyed);
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: err.message });
  });
  return createServer(app);
}

export function honoApp(client: Tollgate): Server {
  const app = new Hono<{ Variables: { cost: number } }>();
  // Settings bound once (one middleware per guarded route, or the guarded handler alone as `/analytics` has it);
  // `/export` uses the per-app style instead.
  const gate = ho.tollgateHono({ client, customerId: (c) => customerFrom(c.req.header()) });
  app.use('/export', ho.entitlements({ client, customerId: (c) => customerFrom(c.req.header()) }));
  app.get(
    '/analytics',
    gate.requireFeature('feature-analytics', (c: Context) =>
      c.json({ decision: c.get('entitlement') satisfies Decision }),
    ),
  );
  app.get(
    '/export',
    ho.requireFeature('feature-export-formats', { requestedValues: (c) => [c.req.query('format') ?? ''] }),
    (c) => c.json({ format: c.req.query('format') }),
  );
  app.post('/calls', gate.meteredGuard('feature-api-calls'), async (c) => {
    if (c.req.query('fail')) throw new Error('handler failed');
    if (c.req.query('wait')) await sleep(Number(c.req.query('wait')));
    return c.json({ decision: c.get('entitlement') }, Number(c.req.query('status') ?? 200) as 200);
  });
  app.post('/compute', gate.meteredGuard('feature-api-calls', { usage: (c) => c.get('cost') }), (c) => {
    c.set('cost', Number(c.req.query('cost')));
    return c.json({ cost: c.get('cost') });
  });
  app.post('/streamed', gate.meteredGuard('feature-api-calls'), (c) =>
    stream(c, async (s) => {
      for await (const part of slowBody()) await s.write(part);
    }),
  );
  app.post('/broken-units', gate.meteredGuard('feature-api-calls', { usage: brokenUnits }), (c) =>
    c.json({ ok: true }),
  );
  app.post('/denied-after', gate.meteredGuard('feature-api-calls'), (c) =>
    c.json({ inflight: client.metrics().usage.inflight }, 403),
  );
  const keyed = async (c: Context) => {
    const run = ran();
    if (c.req.query('wait')) await sleep(Number(c.req.query('wait')));
    return c.json({ run }, 201, { 'x-run': String(run) });
  };
  const key = (c: Context) => c.req.header('idempotency-key');
  app.post('/keyed', gate.meteredGuard('feature-api-calls', { idempotencyKey: key }), keyed);
  app.post('/keyed-noreplay', gate.meteredGuard('feature-api-calls', { idempotencyKey: key, replay: false }), keyed);
  app.post('/keyed-projects', gate.meteredGuard('feature-max-projects', { idempotencyKey: key }), keyed);
  app.onError((err, c) =>
    'getResponse' in err ? (err as { getResponse(): Response }).getResponse() : c.json({ error: err.message }, 500),
  );
  return createServer(getRequestListener(app.fetch));
}

const nestKey = (ctx: ExecutionContext) =>
  ctx.switchToHttp().getRequest().headers['idempotency-key'] as string | undefined;
async function keyedRun(wait: string | undefined, res: { header(name: string, value: string): unknown }) {
  const run = ran();
  if (wait) await sleep(Number(wait));
  res.header('x-run', String(run));
  return { run };
}

@Controller()
class ScenarioController {
  @Get('analytics')
  @nest.Entitled('feature-analytics')
  analytics(@nest.Entitlement() decision: Decision) {
    return { decision };
  }

  @Get('export')
  @nest.Entitled({
    featureId: 'feature-export-formats',
    requestedValues: (ctx) => [String(ctx.switchToHttp().getRequest().query.format)],
  })
  export(@Query('format') format: string) {
    return { format };
  }

  @Post('calls')
  @nest.Metered('feature-api-calls')
  async calls(
    @Query() query: Record<string, string>,
    @Res({ passthrough: true }) res: { status(code: number): unknown },
    @nest.Entitlement('feature-api-calls') decision: Decision,
  ) {
    if (query.fail) throw new Error('handler failed');
    if (query.wait) await sleep(Number(query.wait));
    res.status(Number(query.status ?? 200));
    return { decision };
  }

  @Post('keyed')
  @nest.Metered('feature-api-calls', 1, { idempotencyKey: nestKey })
  keyed(
    @Query('wait') wait: string | undefined,
    @Res({ passthrough: true }) res: { header(name: string, value: string): unknown },
  ) {
    return keyedRun(wait, res);
  }

  @Post('keyed-noreplay')
  @nest.Metered('feature-api-calls', 1, { idempotencyKey: nestKey, replay: false })
  keyedNoReplay(
    @Query('wait') wait: string | undefined,
    @Res({ passthrough: true }) res: { header(name: string, value: string): unknown },
  ) {
    return keyedRun(wait, res);
  }

  @Post('keyed-projects')
  @nest.Metered('feature-max-projects', 1, { idempotencyKey: nestKey })
  keyedProjects(
    @Query('wait') wait: string | undefined,
    @Res({ passthrough: true }) res: { header(name: string, value: string): unknown },
  ) {
    return keyedRun(wait, res);
  }

  @Post('streamed')
  @HttpCode(200)
  @nest.Metered('feature-api-calls')
  streamed() {
    return new StreamableFile(Readable.from(slowBody()));
  }

  @Post('broken-units')
  @HttpCode(200)
  @nest.Metered('feature-api-calls', brokenUnits)
  brokenUnits() {
    return { ok: true };
  }

  // Guards run in the order they are listed: `@Metered`'s (applied first, below) reserves, then this one denies.
  @Post('denied-after')
  @UseGuards(DenyAfterMetered)
  @nest.Metered('feature-api-calls')
  deniedAfter() {
    return { reached: true };
  }

  @Post('compute')
  @nest.Metered('feature-api-calls', (ctx) => ctx.switchToHttp().getRequest().cost)
  compute(@Query('cost') cost: string, @Req() req: { cost?: number }) {
    req.cost = Number(cost);
    return { cost: req.cost };
  }
}

async function nestApp(client: Tollgate, platform: 'express' | 'fastify'): Promise<Server> {
  @Module({
    imports: [
      nest.TollgateModule.forRoot({
        client,
        customerId: (ctx) => customerFrom(ctx.switchToHttp().getRequest().headers),
      }),
    ],
    controllers: [ScenarioController],
  })
  class ScenarioModule {}
  const app: INestApplication =
    platform === 'express'
      ? await NestFactory.create(ScenarioModule, new ExpressAdapter(), { logger: false })
      : await NestFactory.create<NestFastifyApplication>(ScenarioModule, new FastifyAdapter(), { logger: false });
  await app.init();
  if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  nestApps.push(app);
  return app.getHttpServer() as Server;
}

/** Fastify: per-route config for most routes, the decorator's preHandler for `/export`. */
async function fastifyApp(client: Tollgate): Promise<Server> {
  const app = Fastify();
  await app.register(fa.tollgate, { client, customerId: (req) => customerFrom(req.headers) });
  type Query = Record<string, string | undefined>;
  const query = (req: FastifyRequest) => req.query as Query;
  app.get('/analytics', { config: { entitlements: ['feature-analytics'] } }, async (req) => ({
    decision: req.entitlement,
  }));
  app.get(
    '/export',
    {
      preHandler: app.requireFeature('feature-export-formats', {
        requestedValues: (req) => [String(query(req).format)],
      }),
    },
    async (req) => ({ format: query(req).format }),
  );
  const metered = { metered: { feature: 'feature-api-calls' } };
  app.post('/calls', { config: metered }, async (req, reply) => {
    if (query(req).fail) throw new Error('handler failed');
    if (query(req).wait) await sleep(Number(query(req).wait));
    return reply.code(Number(query(req).status ?? 200)).send({ decision: req.entitlements?.['feature-api-calls'] });
  });
  const costOf = new WeakMap<FastifyRequest, number>();
  app.post(
    '/compute',
    { config: { metered: { feature: 'feature-api-calls', usage: (req) => costOf.get(req) ?? 0 } } },
    async (req) => {
      costOf.set(req, Number(query(req).cost));
      return { cost: costOf.get(req) };
    },
  );
  app.post('/streamed', { config: metered }, (_req, reply) => reply.send(Readable.from(slowBody())));
  app.post(
    '/broken-units',
    { config: { metered: { feature: 'feature-api-calls', usage: brokenUnits } } },
    async () => ({ ok: true }),
  );
  app.post('/denied-after', { config: metered }, (_req, reply) =>
    reply.code(403).send({ inflight: client.metrics().usage.inflight }),
  );
  const keyed = async (req: FastifyRequest, reply: FastifyReply) => {
    const run = ran();
    if (query(req).wait) await sleep(Number(query(req).wait));
    return reply.code(201).header('x-run', String(run)).send({ run });
  };
  const idempotencyKey = (req: FastifyRequest) => req.headers['idempotency-key'];
  app.post('/keyed', { config: { metered: { feature: 'feature-api-calls', idempotencyKey } } }, keyed);
  app.post(
    '/keyed-noreplay',
    { config: { metered: { feature: 'feature-api-calls', idempotencyKey, replay: false } } },
    keyed,
  );
  app.post('/keyed-projects', { config: { metered: { feature: 'feature-max-projects', idempotencyKey } } }, keyed);
  await app.ready();
  fastifyApps.push(app);
  return app.server;
}

const fastifyApps: { close(): Promise<unknown> }[] = [];
const nestApps: INestApplication[] = [];

/** Closes the Nest and Fastify apps built so far (Nest's module drains usage through the client given to it). */
export async function closeApps(): Promise<void> {
  for (const app of nestApps.splice(0)) await app.close();
  for (const app of fastifyApps.splice(0)) await app.close();
}

export const ADAPTERS = {
  express: expressApp,
  hono: honoApp,
  'nest (express)': (client: Tollgate) => nestApp(client, 'express'),
  'nest (fastify)': (client: Tollgate) => nestApp(client, 'fastify'),
  fastify: fastifyApp,
} as const;
