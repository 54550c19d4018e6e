import { runtime } from '#runtime';
import type { FileStorage } from '../runtime/types.js';
import type { KeyedCommit, LocalUsage, OpenUnits, SealedRecord, UsageKey } from './types.js';

/**
 * Usage a process could not deliver before its close deadline (Stigg and Redis both unreachable), kept in a file
 * for the next process started with the same `usage.spillFile`: it reads the file at start, deletes it and delivers
 * what it held. Sealed records keep their ids, so a record whose first call Stigg did apply is applied once.
 *
 * The file names the Stigg environment it belongs to: usage is never delivered to another environment.
 */
interface SpillContent {
  version: 1;
  environment: string;
  sealed: SealedRecord[];
  open: OpenUnits[];
}

export const spilledUnits = (usage: LocalUsage) =>
  usage.sealed.reduce((n, r) => n + r.units, 0) + usage.open.reduce((n, o) => n + o.units, 0);

const isKey = (k: unknown): k is UsageKey => {
  const v = k as UsageKey;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.customerId === 'string' &&
    v.customerId !== '' &&
    typeof v.featureId === 'string' &&
    v.featureId !== '' &&
    (v.resourceId === null || typeof v.resourceId === 'string')
  );
};
const isUnits = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;
const isTime = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

/** Why an entry cannot be delivered, or null when it can. */
function problem(entry: unknown, kind: 'sealed' | 'open'): string | null {
  const e = entry as Record<string, unknown>;
  if (typeof e !== 'object' || e === null) return 'not an object';
  if (kind === 'sealed') {
    if (typeof e.id !== 'string' || e.id === '') return 'no record id';
    if (!isKey(e)) return 'no customerId/featureId/resourceId';
  } else if (!isKey(e.key)) return 'no key {customerId, resourceId, featureId}';
  const onlyKeys = kind === 'open' && e.units === 0 && Array.isArray(e.requests) && e.requests.length > 0;
  if (!isUnits(e.units) && !onlyKeys) return `units must be a positive number, got ${JSON.stringify(e.units)}`;
  if (!isTime(e.since)) return 'no since (epoch ms)';
  return null;
}

const isRequest = (r: unknown): r is KeyedCommit => {
  const v = r as KeyedCommit;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.idempotencyKey === 'string' &&
    v.idempotencyKey !== '' &&
    typeof v.units === 'number' &&
    Number.isFinite(v.units) &&
    v.units >= 0 &&
    (v.response === null || (typeof v.response === 'object' && typeof v.response.body === 'string'))
  );
};

/** An open entry's requests with an idempotency key, when it has any: unusable ones are left out (their units still count). */
function requestsProblem(entry: OpenUnits): string | null {
  if (entry.requests === undefined) return null;
  if (!Array.isArray(entry.requests) || !entry.requests.every(isRequest))
    return 'requests must be [{idempotencyKey, units, response}]';
  const keyed = entry.requests.reduce((n, r) => n + r.units, 0);
  return keyed > entry.units ? `requests hold ${keyed} units, more than the entry's ${entry.units}` : null;
}

export class SpillFile {
  /** `storage`: the runtime's files; only runtimes with a file system have a spill file (see `resolveConfig`). */
  constructor(
    readonly path: string,
    private readonly environment: string,
    private readonly storage: FileStorage = runtime.files!,
  ) {}

  /**
   * Reads and removes the file. Entries that cannot be delivered are reported (`file`, index, reason) and the rest
   * proceed; a file of another environment or one that is not a spill file is left in place and reported.
   */
  async take(report: (message: string) => void): Promise<LocalUsage | null> {
    let text: string | null;
    try {
      text = await this.storage.read(this.path);
    } catch (err) {
      report(`tollgate: cannot read the usage spill file ${this.path}: ${(err as Error).message}`);
      return null;
    }
    if (text === null) return null;
    let content: SpillContent;
    try {
      content = JSON.parse(text) as SpillContent;
    } catch (err) {
      report(`tollgate: ${this.path} is not a usage spill file (${(err as Error).message}); left in place`);
      return null;
    }
    if (content?.version !== 1 || !Array.isArray(content.sealed) || !Array.isArray(content.open)) {
      report(`tollgate: ${this.path} is not a usage spill file (version 1 with "sealed" and "open"); left in place`);
      return null;
    }
    if (content.environment !== this.environment) {
      report(`tollgate: ${this.path} holds usage of another Stigg environment; left in place, not delivered here`);
      return null;
    }
    const usage: LocalUsage = { sealed: [], open: [] };
    for (const kind of ['sealed', 'open'] as const) {
      for (const [i, entry] of content[kind].entries()) {
        const why = problem(entry, kind);
        if (why) {
          report(`tollgate: ${this.path}: ${kind}[${i}] skipped: ${why}`);
          continue;
        }
        const requests = kind === 'open' ? requestsProblem(entry as OpenUnits) : null;
        if (requests) {
          report(`tollgate: ${this.path}: open[${i}].requests left out (the units are kept): ${requests}`);
          delete (entry as OpenUnits).requests;
          if ((entry as OpenUnits).units === 0) continue;
        }
        (usage[kind] as unknown[]).push(entry);
      }
    }
    await this.storage.remove(this.path);
    return usage;
  }

  /** Writes `usage` (added to what the file already holds), atomically: a crash while writing leaves the old file. */
  async put(usage: LocalUsage): Promise<void> {
    const content: SpillContent = {
      version: 1,
      environment: this.environment,
      sealed: [...usage.sealed],
      open: [...usage.open],
    };
    const existing = await this.storage.read(this.path);
    if (existing !== null) {
      const before = JSON.parse(existing) as SpillContent;
      if (before.environment !== this.environment)
        throw new Error(`${this.path} holds usage of another Stigg environment`);
      content.sealed.unshift(...before.sealed);
      content.open.unshift(...before.open);
    }
    await this.storage.writeAtomically(this.path, JSON.stringify(content));
  }
}
