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
}
