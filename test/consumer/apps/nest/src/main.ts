// A Nest app from the packed packages, built by tsc: Nest 12 as ESM (`nodenext`, tsconfig.nest12.json) and Nest 10
// as CommonJS with `moduleResolution: node` (node10, tsconfig.nest10.json, Nest 10's default). Runs against the
// stigg-local of `tollgate local` (STIGG_URL), as customer CUSTOMER.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ImportSummary } from '@tollgate/cli';
import { Tollgate as CoreTollgate, type Decision } from '@tollgate/core';
import { createTestTollgate } from '@tollgate/core/testing';
import { Entitled, Entitlement, Metered, SkipEntitlements, Tollgate, TollgateModule } from '@tollgate/nest';

const stiggUrl = process.env.STIGG_URL ?? '';
const customer = process.env.CUSTOMER ?? 'customer-pro';
const label = process.env.LABEL ?? 'nest';
const quiet = { warn() {}, error() {} };

@Controller('api')
class ApiController {
  // Injected by class: the token @tollgate/nest provides is @tollgate/core's Tollgate (one copy of core).
  constructor(
    private readonly tollgate: Tollgate,
    private readonly core: CoreTollgate,
  ) {}

  @Get('analytics')
  @Entitled('feature-analytics')
  analytics(@Entitlement('feature-analytics') decision: Decision) {
    return { hasAccess: decision.hasAccess, oneCore: this.tollgate === this.core };
  }

  @Post('reports')
  @Metered('feature-api-calls', 1)
  report() {
    return { ok: true };
  }

  @Get('health')
  @SkipEntitlements()
  health() {
    return { ok: true };
  }
}

@Module({
  imports: [
    TollgateModule.forRoot({
      tollgate: { apiKey: 'server-tollgate-local', baseUrl: stiggUrl, logger: quiet },
      customerId: (context) => context.switchToHttp().getRequest().headers['x-customer'],
    }),
  ],
  controllers: [ApiController],
})
class AppModule {}

async function stiggUsage(customerId: string): Promise<number> {
  const res = await fetch(`${stiggUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' },
    body: JSON.stringify({
      query: `{ cachedEntitlements(query: {customerId: "${customerId}"}) { feature { refId } currentUsage } }`,
    }),
  });
  const body = (await res.json()) as {
    data: { cachedEntitlements: { feature: { refId: string }; currentUsage: number | null }[] };
  };
  return body.data.cachedEntitlements.find((e) => e.feature.refId === 'feature-api-calls')?.currentUsage ?? 0;
}

async function main(): Promise<void> {
  const before = await stiggUsage(customer);
  const app = await NestFactory.create(AppModule, { logger: false });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const get = (path: string, customerId?: string) =>
    fetch(`${url}${path}`, { headers: customerId ? { 'x-customer': customerId } : {} });

  const allowed = await get('/api/analytics', customer);
  assert.equal(allowed.status, 200);
  assert.deepEqual(await allowed.json(), { hasAccess: true, oneCore: true });
  const denied = await get('/api/analytics', 'customer-free');
  assert.equal(denied.status, 403);
  assert.match(denied.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal((await get('/api/analytics')).status, 401);
  assert.equal((await get('/api/health')).status, 200);
  const metered = await fetch(`${url}/api/reports`, { method: 'POST', headers: { 'x-customer': customer } });
  assert.equal(metered.status, 201);
  await app.close(); // the module closes the client it created: pending usage is delivered
  assert.equal(await stiggUsage(customer), before + 1, 'the metered request was reported once, on shutdown');

  const double = createTestTollgate();
  assert.ok(double.tollgate instanceof CoreTollgate);
  await double.close();
  const summary: Pick<ImportSummary, 'dryRun'> = { dryRun: true };
  assert.ok(summary.dryRun);
  console.log(`${label}: guard 200, 403, 401, skip 200; @Metered 201 reported on shutdown; one Tollgate class: ok`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
