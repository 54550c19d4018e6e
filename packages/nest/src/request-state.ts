import type { ExecutionContext } from '@nestjs/common';
import type { Decision } from '@tollgate/core';

/** What the guard leaves for the parameter decorator, per request. */
export interface RequestState {
  /** The last decision a guard made for the request, and its feature. */
  featureId: string | null;
  decision: Decision | undefined;
  /** Earlier decisions, by feature id, when a request needed several features. */
  earlier: Map<string, Decision> | null;
}

/** Shared by every copy of this package that is loaded. */
const STATE = Symbol.for('tollgate.nest');
type Carrier = { [STATE]?: RequestState };

/**
 * Where a request's state is kept: Express' `res.locals` (Nest on Express; a property added to Express' request
 * makes it copy its properties, which then live through the garbage collections the request does), else the
 * request (Nest on Fastify). A `WeakMap` beside the request would cost more than either.
 */
function carrierOf(context: ExecutionContext): Carrier {
  const res = context.getArgByIndex<{ locals?: unknown; raw?: unknown } | undefined>(1);
  // Express' response, not a Fastify reply (which plugins may give `locals` of their own).
  const locals = res && res.raw === undefined ? res.locals : undefined;
  return typeof locals === 'object' && locals !== null ? locals : context.getArgByIndex(0);
}

/**
 * The request's state, made on the first call: null when a guard has already run for the request (a guard on the
 * controller and one on the handler check once).
 */
export function firstGuardOf(context: ExecutionContext): RequestState | null {
  const carrier = carrierOf(context);
  if (carrier[STATE]) return null;
  const state: RequestState = { featureId: null, decision: undefined, earlier: null };
  carrier[STATE] = state;
  return state;
}

export function remember(state: RequestState, featureId: string, decision: Decision): void {
  if (state.featureId !== null && state.featureId !== featureId)
    (state.earlier ??= new Map()).set(state.featureId, state.decision!);
  state.featureId = featureId;
  state.decision = decision;
}

/** The decision for `featureId` on this request, or the last one made. */
export function decisionOf(context: ExecutionContext, featureId?: string): Decision | undefined {
  const state = carrierOf(context)[STATE];
  if (!state || !featureId || featureId === state.featureId) return state?.decision;
  return state.earlier?.get(featureId);
}
