import type { Decision } from '@tollgate/core';

/** What the guard leaves on the request for the parameter decorator (Express or Fastify request). */
const STATE = Symbol.for('tollgate.nest');
interface State {
  decisions: Map<string, Decision>;
  /** Set by the first guard run: a guard on the controller and one on the handler check once. */
  guarded?: boolean;
}
type Carrier = { [STATE]?: State };

export function stateOf(req: object): State {
  return ((req as Carrier)[STATE] ??= { decisions: new Map() });
}

export const decisionsOf = (req: object) => (req as Carrier)[STATE]?.decisions;
