import type { ExecutionContext } from '@nestjs/common';
import type { Decision } from '@tollgate/core';

/** A request's decisions when it needed several features: the last one made, and each by its feature. */
class Decisions {
  readonly byFeature = new Map<string, Decision>();
  constructor(public last: Decision) {
    this.byFeature.set(last.featureId, last);
  }
}

/**
 * Shared by every copy of this package that is loaded. On a request: nothing until a guard has checked it, then its
 * decision (one feature, the common case: nothing more is allocated), or its `Decisions`.
 */
export const REQUEST_STATE = Symbol.for('tollgate.nest');
export type Carrier = { [REQUEST_STATE]?: Decision | Decisions | null };

/**
 * Where a request's state is kept: Express' `res.locals` (Nest on Express; a property added to Express' request
 * makes it copy its properties, which then live through the garbage collections the request does), else the
 * request (Nest on Fastify, whose requests the module declares the property on). A `WeakMap` beside the request
 * would cost more than either.
 */
export function carrierOf(context: ExecutionContext): Carrier {
  const res = context.getArgByIndex<{ locals?: unknown; raw?: unknown } | undefined>(1);
  // Express' response, not a Fastify reply (which plugins may give `locals` of their own).
  const locals = res && res.raw === undefined ? res.locals : undefined;
  return typeof locals === 'object' && locals !== null ? locals : context.getArgByIndex(0);
}

/**
 * Whether a guard has checked the request already (a guard on the controller and one on the handler check once:
 * Nest runs a request's guards one after the other, so the first has remembered its decisions when the next runs).
 */
export const checked = (carrier: Carrier): boolean => !!carrier[REQUEST_STATE];

export function remember(carrier: Carrier, decision: Decision): void {
  const held = carrier[REQUEST_STATE];
  if (!held) carrier[REQUEST_STATE] = decision;
  else {
    const decisions = held instanceof Decisions ? held : (carrier[REQUEST_STATE] = new Decisions(held));
    decisions.byFeature.set(decision.featureId, decision);
    decisions.last = decision;
  }
}

/** The decision for `featureId` on this request, or the last one made. */
export function decisionOf(context: ExecutionContext, featureId?: string): Decision | undefined {
  const held = carrierOf(context)[REQUEST_STATE];
  if (!held) return undefined;
  if (held instanceof Decisions) return featureId ? held.byFeature.get(featureId) : held.last;
  return !featureId || featureId === held.featureId ? held : undefined;
}
