import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Decision } from '@tollgate/core';
import { decisionsOf } from './request-state.js';

export const ENTITLED = 'tollgate:entitled';
export const METERED = 'tollgate:metered';
export const SKIP = 'tollgate:skip';

export interface MeteredSpec {
  featureId: string;
  /** Units per request, or computed after the handler from the execution context. */
  units: number | ((context: ExecutionContext) => number);
}

/** A feature to check; for enum features, with the values this request needs. */
export type EntitledFeature = string | { featureId: string; requestedValues: (context: ExecutionContext) => string[] };

/** The customer must be entitled to these features (on a controller: every handler; merged with the handler's). */
export const Entitled = (...features: EntitledFeature[]) => SetMetadata(ENTITLED, features);

/** Reserves units of a metered feature before the handler; reported once the response succeeded, released otherwise. */
export const Metered = (featureId: string, units: MeteredSpec['units'] = 1) => SetMetadata(METERED, { featureId, units } satisfies MeteredSpec);

/** No entitlement checks for this handler or controller. */
export const SkipEntitlements = () => SetMetadata(SKIP, true);

/** Injects the decision a guard made for this request (the last one, or the one for `featureId`). */
export const Entitlement = createParamDecorator((featureId: string | undefined, context: ExecutionContext): Decision | undefined => {
  const decisions = decisionsOf(context.switchToHttp().getRequest());
  return featureId ? decisions?.get(featureId) : [...(decisions?.values() ?? [])].pop();
});
