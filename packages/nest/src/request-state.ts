import type { Decision } from '@tollgate/core';

/**
 * What the guard leaves for the parameter decorator, by request (Express or Fastify request): kept beside the
 * request, not on it (a property added to each request copies the request's properties and is carried through
 * every garbage collection the request lives through). One table per process, shared by every copy of this
 * package that is loaded.
 */
export interface RequestState {
  /** The last decision a guard made for the request, and its feature. */
  featureId: string | null;
  decision: Decision | undefined;
  /** Earlier decisions, by feature id, when a request needed several features. */
  earlier: Map<string, Decision> | null;
}

const TABLE = Symbol.for('tollgate.nest.requests');
const states: WeakMap<object, RequestState> = ((globalThis as { [TABLE]?: WeakMap<object, RequestState> })[TABLE] ??=
  new WeakMap());

/**
 * The request's state, made on the first call: null when a guard has already run for the request (a guard on the
 * controller and one on the handler check once).
 */
export function firstGuardOf(req: object): RequestState | null {
  if (states.has(req)) return null;
  const state: RequestState = { featureId: null, decision: undefined, earlier: null };
  states.set(req, state);
  return state;
}

export function remember(state: RequestState, featureId: string, decision: Decision): void {
  if (state.featureId !== null && state.featureId !== featureId)
    (state.earlier ??= new Map()).set(state.featureId, state.decision!);
  state.featureId = featureId;
  state.decision = decision;
}

/** The decision for `featureId` on this request, or the last one made. */
export function decisionOf(req: object, featureId?: string): Decision | undefined {
  const state = states.get(req);
  if (!state || !featureId || featureId === state.featureId) return state?.decision;
  return state.earlier?.get(featureId);
}
