import type { ExecutionContext } from '@nestjs/common';

/** Metadata keys the decorators set and the guard reads. */
export const ENTITLED = 'tollgate:entitled';
export const METERED = 'tollgate:metered';
export const SKIP = 'tollgate:skip';

/** A feature to check; for enum features, with the values this request needs. */
export type EntitledFeature = string | { featureId: string; requestedValues: (context: ExecutionContext) => string[] };

export interface MeteredSpec {
  featureId: string;
  /** Units per request, or computed from the execution context as the response is written. */
  units: number | ((context: ExecutionContext) => number);
  /** See `MeteredOptions`. */
  idempotencyKey?: (context: ExecutionContext) => string | null | undefined;
  replay?: boolean;
}

export interface MeteredOptions {
  /**
   * The request's idempotency key; none by default (a header is the client's say: opt in where retries matter),
   * e.g. `(ctx) => ctx.switchToHttp().getRequest().headers['idempotency-key']`. Scoped to this handler, customer
   * and feature. A request repeating a key in flight gets 409; one repeating a committed key gets the recorded
   * response (`idempotent-replayed: true`) without running the handler, or, when none was recorded, is metered
   * like any request.
   */
  idempotencyKey?: (context: ExecutionContext) => string | null | undefined;
  /** Record successful responses (bodies up to 64 KB) for replay to a retry with the same key. Default true. */
  replay?: boolean;
}
