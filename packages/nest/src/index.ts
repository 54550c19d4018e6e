/**
 * @tollgate/nest: Stigg entitlements for NestJS (Express or Fastify platform).
 *
 *   @Module({ imports: [TollgateModule.forRoot({ tollgate: { apiKey }, customerId: (ctx) => ctx.switchToHttp().getRequest().user.orgId })] })
 *   @Entitled('feature-analytics') @Get('analytics') analytics(@Entitlement() decision: Decision) { ... }
 *   @Metered('feature-api-calls', 1) @Post('reports') report() { ... }
 */
import 'reflect-metadata';

export { TollgateModule } from './module.js';
export type { TollgateModuleAsyncOptions } from './module.js';
export type { TollgateModuleOptions } from './options.js';
export { Entitled, Metered, SkipEntitlements, Entitlement } from './decorators.js';
export type { EntitledFeature, MeteredOptions, MeteredSpec } from './metadata.js';
export { TollgateGuard } from './guard.js';
export { EntitlementDeniedException, EntitlementDeniedFilter, ReplayedResponse } from './denial.js';
export { Tollgate } from '@tollgate/core';
export type { Decision, Denial } from '@tollgate/core';
