import { applyDecorators, createParamDecorator, SetMetadata, UseGuards, UseInterceptors, type ExecutionContext } from '@nestjs/common';
import type { Decision } from '@tollgate/core';
import { TollgateGuard } from './guard.js';
import { TollgateInterceptor } from './interceptor.js';
import { ENTITLED, METERED, SKIP, type EntitledFeature, type MeteredSpec } from './metadata.js';
import { decisionsOf } from './request-state.js';

// The guard and interceptor are attached by the decorators, so routes without them pay nothing per request.

/** The customer must be entitled to these features (on a controller: every handler; merged with the handler's). */
export const Entitled = (...features: EntitledFeature[]) => applyDecorators(SetMetadata(ENTITLED, features), UseGuards(TollgateGuard));

/** Reserves units of a metered feature before the handler; reported once the response succeeded, released otherwise. */
export const Metered = (featureId: string, units: MeteredSpec['units'] = 1) =>
  applyDecorators(SetMetadata(METERED, { featureId, units } satisfies MeteredSpec), UseGuards(TollgateGuard), UseInterceptors(TollgateInterceptor));

/** No entitlement checks for this handler (or controller), even under a controller-level `@Entitled`. */
export const SkipEntitlements = () => SetMetadata(SKIP, true);

/** Injects the decision a guard made for this request (the last one, or the one for `featureId`). */
export const Entitlement = createParamDecorator((featureId: string | undefined, context: ExecutionContext): Decision | undefined => {
  const decisions = decisionsOf(context.switchToHttp().getRequest());
  return featureId ? decisions?.get(featureId) : [...(decisions?.values() ?? [])].pop();
});
