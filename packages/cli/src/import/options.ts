import { StiggImportClient } from '@tollgate/core';
import type { ImportEvent } from './progress.js';
import type { ImportFiles } from './read/sources.js';
import type { Entity } from './records.js';
import type { RetryPolicy } from './send/retry.js';

/** Stigg's published limits: records per request and requests per minute, per operation. */
export const STIGG_IMPORT_LIMITS = {
  batchSize: { customers: 1000, subscriptions: 1000, usage: 100 } as Record<Entity, number>,
  requestsPerMinute: { customers: 250, subscriptions: 250, usage: 600 } as Record<Entity, number>,
};

export interface ImportOptions {
  /** Stigg server API key. Never printed or written anywhere. */
  apiKey: string;
  /** Stigg API base (stigg-local's URL for a trial). Default `https://api.stigg.io`. */
  baseUrl?: string;
  files: ImportFiles;
  /** Validate and report; send no write. Default false. */
  dryRun?: boolean;
  /** Where confirmed batches are recorded; `null` for none. Default `tollgate-import.checkpoint.json`. */
  checkpointFile?: string | null;
  /** Continue the run recorded in the checkpoint, sending only what it did not confirm. Default false. */
  resume?: boolean;
  /** Every invalid or failed record, one JSON line each; `null` for none. Default `tollgate-import-errors.jsonl`. */
  errorsFile?: string | null;
  /** Requests in flight at once (customers and usage; subscription imports run one at a time). Default 4. */
  concurrency?: number;
  /** Requests per minute per operation; 0 for no pacing. Default Stigg's published rates (250, 250, 600). */
  requestsPerMinute?: Partial<Record<Entity, number>>;
  /** Records per request. Default and maximum: Stigg's limits (1,000, 1,000, 100). */
  batchSize?: Partial<Record<Entity, number>>;
  /** Largest request body, counted in bytes (UTF-8) of the records' JSON; a larger record is invalid. Default 1 MiB. */
  maxBatchBytes?: number;
  /**
   * Replays of a request after a retryable failure (rate limit, 5xx, network). Default 10, backoff 500 ms to 30 s.
   * When they run out, the run stops (Stigg cannot be reached) and `resume` continues it.
   */
  retry?: Partial<RetryPolicy>;
  /** How often a subscription import task is polled: first wait, longest wait. Default 25 ms, 2 s. */
  taskPollMs?: { first?: number; max?: number };
  /**
   * Aborting stops the run: reading, waits and retries at once; writes in flight get `STOP_GRACE_MS` (1 s) to be
   * confirmed, then are left unanswered (Stigg may still apply them: every import write is idempotent). The rest is
   * left for `resume`.
   */
  signal?: AbortSignal;
  onEvent?: (event: ImportEvent) => void;
  /** Replaces the network client (tests). */
  client?: StiggImportClient;
}

export interface ResolvedImportOptions {
  client: StiggImportClient;
  baseUrl: string;
  files: ImportFiles;
  dryRun: boolean;
  checkpointFile: string | null;
  resume: boolean;
  errorsFile: string | null;
  concurrency: number;
  requestsPerMinute: Record<Entity, number>;
  batchSize: Record<Entity, number>;
  maxBatchBytes: number;
  retry: RetryPolicy;
  taskPoll: { first: number; max: number };
  signal: AbortSignal | undefined;
  emit: (event: ImportEvent) => void;
}

function positiveInt(name: string, value: number | undefined, fallback: number, max = Infinity, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${name} must be a whole number from ${min} to ${max === Infinity ? 'any' : max}, got ${value}`,
    );
  }
  return value;
}

/** Every option with its default, checked once. */
export function resolveImportOptions(options: ImportOptions): ResolvedImportOptions {
  if (!options.apiKey && !options.client)
    throw new RangeError('an API key is required (STIGG_SERVER_API_KEY or --api-key)');
  const baseUrl = (options.baseUrl ?? 'https://api.stigg.io').replace(/\/+$/, '');
  const per = (e: Entity) =>
    positiveInt(
      `requestsPerMinute.${e}`,
      options.requestsPerMinute?.[e],
      STIGG_IMPORT_LIMITS.requestsPerMinute[e],
      Infinity,
      0,
    );
  const size = (e: Entity) =>
    positiveInt(
      `batchSize.${e}`,
      options.batchSize?.[e],
      STIGG_IMPORT_LIMITS.batchSize[e],
      STIGG_IMPORT_LIMITS.batchSize[e],
    );
  return {
    client: options.client ?? new StiggImportClient({ apiKey: options.apiKey, baseUrl }),
    baseUrl,
    files: options.files,
    dryRun: options.dryRun ?? false,
    checkpointFile: options.checkpointFile === undefined ? 'tollgate-import.checkpoint.json' : options.checkpointFile,
    resume: options.resume ?? false,
    errorsFile: options.errorsFile === undefined ? 'tollgate-import-errors.jsonl' : options.errorsFile,
    concurrency: positiveInt('concurrency', options.concurrency, 4, 64),
    requestsPerMinute: { customers: per('customers'), subscriptions: per('subscriptions'), usage: per('usage') },
    batchSize: { customers: size('customers'), subscriptions: size('subscriptions'), usage: size('usage') },
    maxBatchBytes: positiveInt('maxBatchBytes', options.maxBatchBytes, 1 << 20, Infinity, 1024),
    retry: {
      maxRetries: positiveInt('retry.maxRetries', options.retry?.maxRetries, 10, 1000, 0),
      baseMs: options.retry?.baseMs ?? 500,
      maxMs: options.retry?.maxMs ?? 30_000,
    },
    taskPoll: { first: options.taskPollMs?.first ?? 25, max: options.taskPollMs?.max ?? 2_000 },
    signal: options.signal,
    emit: options.onEvent ?? (() => {}),
  };
}
