/**
 * What only Nest has: forRootAsync, controller-level and skipped checks (on both platforms), the injectable client,
 * shutdown draining.
 */
import type { Server } from 'node:http';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Controller, Get, Inject, Injectable, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Entitled, Entitlement, Metered, SkipEntitlements, Tollgate, TollgateModule } from '@tollgate/nest';
import type { Decision } from '@tollgate/core';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { stiggUsage } from '../support/stigg.js';

// A Stigg of its own per test: the tests change customers' plans.
let stigg: StiggLocal;
beforeEach(async () => {
  stigg = await startStiggLocal({ log: () => {} });
});
afterEach(() => stigg?.close());

/** A config service as an app would have one (the shape ConfigService gives). */
@Injectable()
class AppConfig {
  get(key: 'STIGG_URL' | 'STIGG_KEY'): string {
    return key === 'STIGG_URL' ? stigg.url : 'server-tollgate-local';
  }
}

@Module({ providers: [AppConfig], exports: [AppConfig] })
class AppConfigModule {}

@Controller('workspace')
@Entitled('feature-analytics')
class WorkspaceController {
  constructor(@Inject(Tollgate) private readonly tollgate: Tollgate) {}

  @Get('dashboard')
  @Entitled('feature-max-projects')
  dashboard(
    @Entitlement('feature-analytics') analytics: Decision,
    @Entitlement('feature-max-projects') projects: Decision,
  ) {
    return { analytics: analytics.hasAccess, maxProjects: projects.usageLimit };
  }

  @Get('status')
  @SkipEntitlements()
  status() {
    return { ok: true };
  }

  @Post('upgrade')
  @SkipEntitlements()
  async upgrade() {
    // The client is injectable for management calls.
    const { subscription } = await this.tollgate.provisionSubscription({
      customerId: 'customer-free',
      planId: 'plan-pro',
      billingPeriod: 'MONTHLY',
    });
    return { plan: subscription?.plan.refId };
  }

  @Post('report')
  @Metered('feature-api-calls', 3)
  report() {
    return { ok: true };
  }
}

async function start(platform: 'express' | 'fastify' = 'express'): Promise<{ app: INestApplication; server: Server }> {
  @Module({
    imports: [
      TollgateModule.forRootAsync({
        imports: [AppConfigModule],
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({
          tollgate: {
            apiKey: config.get('STIGG_KEY'),
            baseUrl: config.get('STIGG_URL'),
            usage: { flushIntervalMs: 60_000 },
            logger: { warn: () => {}, error: () => {} },
          },
          customerId: (ctx) => ctx.switchToHttp().getRequest().headers['x-customer-id'],
        }),
      }),
    ],
    controllers: [WorkspaceController],
  })
  class AppModule {}
  const app =
    platform === 'fastify'
      ? await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
  await app.init();
  if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return { app, server: app.getHttpServer() };
}

describe('Nest module', () => {
  it.each(['express', 'fastify'] as const)(
    'on %s: checks controller and handler features once, skips, injects the client',
    async (platform) => {
      const { app, server } = await start(platform);
      try {
        const checks = () => app.get(Tollgate).metrics().checks;
        const before = checks();
        expect((await request(server).get('/workspace/dashboard').set('x-customer-id', 'customer-pro')).body).toEqual({
          analytics: true,
          maxProjects: 50,
        });
        // The guard on the controller and the one on the handler check once: one check per feature.
        expect(checks() - before).toBe(2);
        const denied = await request(server).get('/workspace/dashboard').set('x-customer-id', 'customer-free');
        expect(denied.status).toBe(403);
        expect(denied.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(denied.body.feature ?? JSON.parse(denied.text).feature).toBe('feature-analytics');
        expect((await request(server).get('/workspace/status')).body).toEqual({ ok: true });
        expect((await request(server).post('/workspace/upgrade')).body).toEqual({ plan: 'plan-pro' });
        expect((await request(server).get('/workspace/dashboard').set('x-customer-id', 'customer-free')).status).toBe(
          200,
        );
      } finally {
        await app.close();
      }
    },
  );

  it("declares the guard's request property on Fastify's requests", async () => {
    const { app } = await start('fastify');
    try {
      const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
      expect(fastify.hasRequestDecorator(Symbol.for('tollgate.nest') as never)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('delivers pending usage when the application shuts down', async () => {
    const { app, server } = await start();
    for (let i = 0; i < 4; i++)
      expect((await request(server).post('/workspace/report').set('x-customer-id', 'customer-enterprise')).status).toBe(
        201,
      );
    await new Promise((r) => setTimeout(r, 50));
    expect(await stiggUsage(stigg, 'customer-enterprise')).toBe(0); // the flush interval is a minute away
    await app.close();
    expect(await stiggUsage(stigg, 'customer-enterprise')).toBe(12);
  });

  it('refuses to start without a customer resolver', async () => {
    @Module({ imports: [TollgateModule.forRoot({ tollgate: { offline: true } } as never)] })
    class BadModule {}
    await expect(
      NestFactory.create(BadModule, new ExpressAdapter(), { logger: false, abortOnError: false }),
    ).rejects.toThrow(/customerId/);
  });
});
