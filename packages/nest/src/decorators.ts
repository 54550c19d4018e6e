import { applyDecorators, createParamDecorator, SetMetadata, UseGuards, type ExecutionContext } from '@nestjs/common';
import type { Decision } from '@tollgate/core';
import { TollgateGuard } from './guard.js';
import { ENTITLED, METERED, SKIP, type EntitledFeature, type MeteredOptions, type MeteredSpec } from './metadata.js';
import { decisionOf } from './request-state.js';

// The guard is attached by the decorators, so routes without them pay nothing per request.

/** The customer must be entitled to these features (on a controller: every handler; merged with the handler's). */
export const Entitled = (...features: EntitledFeature[]) =>
  applyDecorators(SetMetadata(ENTITLED, features), UseGuards(TollgateGuard));

/**
 * Reserves units of a metered feature before the handler; committed as a successful response is written,
 * released otherwise. `units` may be a function of the execution context, evaluated then. `options` opts in to
 * idempotency keys (see `MeteredOptions`).
 */
export const Metered = (featureId: string, units: MeteredSpec['units'] = 1, options: MeteredOptions = {}) =>
  applyDecorators(
    SetMetadata(METERED, { featureId, units, ...options } satisfies MeteredSpec),
    UseGuards(TollgateGuard),
  );

/** No entitlement checks for this handler (or controller), even under a controller-level `@Entitled`. */
export const SkipEntitlements = () => SetMetadata(SKIP, true);

/** Injects the decision a guard made for this request (the last one, or the one for `featureId`). */
export const Entitlement = createParamDecorator(
  (featureId: string | undefined, context: ExecutionContext): Decision | undefined => decisionOf(context, featureId),
);
