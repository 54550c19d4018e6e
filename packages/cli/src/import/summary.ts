import type { Entity } from './records.js';

/** What happened to the records of one kind. Breakdown figures are `null` where Stigg's answers do not tell. */
export interface EntitySummary {
  /** Records read from the files. */
  records: number;
  /** Records that failed validation (not sent). */
  invalid: number;
  /** Records Stigg accepted, in this run and, with `--resume`, in the runs before. */
  imported: number;
  /** Records sent that Stigg refused. */
  failed: number;
  /** Records in batches confirmed by an earlier run and not sent again (`--resume`). */
  resumed: number;
  /** New in Stigg. */
  created: number | null;
  /** Changed in Stigg. */
  updated: number | null;
  /** Already as in the file. */
  unchanged: number | null;
  /** Not applied because Stigg holds a later update (`updatedAt`). */
  skipped: number | null;
  /** Subscriptions Stigg already had (same customer, resource and plan): updated or unchanged, Stigg does not say which. */
  existing?: number;
  /** Requests sent, and how many of them were replays after a retryable failure. */
  requests: number;
  retries: number;
}

export interface ImportSummary {
  dryRun: boolean;
  /** Target API (never the key). */
  baseUrl: string;
  startedAt: string;
  durationMs: number;
  /** Records per second over the run (imported + failed + invalid). */
  throughput: number;
  entities: Record<Entity, EntitySummary>;
  /** Where failed and invalid records were written. */
  errorsFile: string | null;
  interrupted: boolean;
}

const emptyEntitySummary = (entity: Entity): EntitySummary => ({
  records: 0,
  invalid: 0,
  imported: 0,
  failed: 0,
  resumed: 0,
  created: entity === 'usage' ? null : 0,
  updated: entity === 'customers' ? 0 : null,
  unchanged: entity === 'customers' ? 0 : null,
  skipped: entity === 'customers' ? 0 : null,
  ...(entity === 'subscriptions' ? { existing: 0 } : {}),
  requests: 0,
  retries: 0,
});

/** A summary before anything happened. */
export const emptySummary = (
  run: Pick<ImportSummary, 'dryRun' | 'baseUrl' | 'errorsFile'>,
  startedAt = new Date(),
): ImportSummary => ({
  ...run,
  startedAt: startedAt.toISOString(),
  durationMs: 0,
  throughput: 0,
  entities: {
    customers: emptyEntitySummary('customers'),
    subscriptions: emptyEntitySummary('subscriptions'),
    usage: emptyEntitySummary('usage'),
  },
  interrupted: false,
});

/** One line per kind, for people. */
export function describeSummary(s: ImportSummary): string[] {
  const n = (v: number) => v.toLocaleString('en-US');
  const lines = Object.entries(s.entities)
    .filter(([, e]) => e.records > 0)
    .map(([entity, e]) => {
      const parts = [`${n(e.records)} read`];
      if (e.invalid) parts.push(`${n(e.invalid)} invalid`);
      if (!s.dryRun) {
        parts.push(`${n(e.imported)} imported`);
        const breakdown = (['created', 'updated', 'unchanged', 'skipped'] as const)
          .filter((k) => e[k] !== null)
          .map((k) => `${n(e[k] as number)} ${k}`);
        if (e.existing !== undefined) breakdown.push(`${n(e.existing)} already present`);
        if (entity === 'usage') breakdown.push('values set, not added');
        if (breakdown.length) parts.push(`(${breakdown.join(', ')})`);
        if (e.failed) parts.push(`${n(e.failed)} failed`);
        if (e.resumed) parts.push(`${n(e.resumed)} confirmed by the earlier run`);
        parts.push(`${n(e.requests)} requests${e.retries ? `, ${n(e.retries)} retried` : ''}`);
      }
      return `  ${entity.padEnd(14)} ${parts.join(', ')}`;
    });
  return lines;
}
