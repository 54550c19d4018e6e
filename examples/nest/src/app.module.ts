import { Controller, Get, HttpException, Inject, Module, Post, Query, Req, type DynamicModule } from '@nestjs/common';
import { Entitled, Entitlement, Metered, SkipEntitlements, Tollgate, TollgateModule } from '@tollgate/nest';
import type { Decision, Options } from '@tollgate/core';
import { DEMO_TOKENS } from '../../demo-tokens.js';

type Request = { headers: Record<string, string | undefined> };
const customerOf = (req: Request) => DEMO_TOKENS[req.headers['x-api-token'] ?? ''];

/** The same SaaS API as examples/express, in Nest's idioms. */
@Controller('api')
export class ApiController {
  constructor(@Inject(Tollgate) private readonly tollgate: Tollgate) {}

  @Get('projects')
  @Entitled('feature-max-projects')
  projects(@Entitlement() limit: Decision) {
    return { projects: ['website', 'mobile-app'], maxProjects: limit.isUnlimited ? 'unlimited' : limit.usageLimit };
  }

  @Get('analytics')
  @Entitled('feature-analytics')
  analytics() {
    return { visitors: 1234, conversion: 0.042 };
  }

  @Get('export')
  @Entitled({
    featureId: 'feature-export-formats',
    requestedValues: (ctx) => [ctx.switchToHttp().getRequest().query.format ?? 'csv'],
  })
  export(@Query('format') format = 'csv') {
    return { format, url: `/downloads/export.${format}` };
  }

  @Post('seats')
  @Metered('feature-seats', 1)
  invite() {
    return { invited: 'someone@example.com' };
  }

  @Post('reports')
  @Metered('feature-api-calls', 1)
  report() {
    return { report: 'monthly-summary', generatedAt: new Date().toISOString() };
  }

  @Get('usage')
  @SkipEntitlements()
  async usage(@Req() req: Request) {
    const customerId = customerOf(req);
    if (!customerId) throw new HttpException({ error: 'unknown token' }, 401);
    const d = await this.tollgate.check({ customerId, featureId: 'feature-api-calls' });
    return {
      feature: 'feature-api-calls',
      used: d.currentUsage,
      limit: d.isUnlimited ? 'unlimited' : d.usageLimit,
      resetsAt: d.resetsAt,
    };
  }
}

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with a static factory
export class AppModule {
  static register(tollgate: Options): DynamicModule {
    return {
      module: AppModule,
      imports: [TollgateModule.forRoot({ tollgate, customerId: (ctx) => customerOf(ctx.switchToHttp().getRequest()) })],
      controllers: [ApiController],
    };
  }
}
