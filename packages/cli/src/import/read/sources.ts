import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { locateJsonError } from './locate-json-error.js';
import { InputFileError, jsonArrayItems } from './json-records.js';
import { ENTITIES, type Entity } from '../records.js';

/** The files of one import. Each kind may come from several files, read in the order given. */
export interface ImportFiles {
  customers?: string[];
  subscriptions?: string[];
  usage?: string[];
  /** Stigg's older single file: customers with a nested `subscription` and `featuresUsage`. */
  legacy?: string[];
  /** Error reports (`errors.jsonl`) of earlier runs: their records are imported again. */
  retry?: string[];
}

/** A record as read, before any check: where it is, and the record in its kind's shape. */
export interface SourceRecord {
  entity: Entity;
  file: string;
  index: number;
  line: number;
  /** Characters of its JSON text (for the request size cap). */
  size: number;
  record: unknown;
}

const ARRAY_KEY: Record<Entity, string> = { customers: 'customers', subscriptions: 'subscriptions', usage: 'usages' };

function fromLegacy(entity: Entity, value: unknown): unknown[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return entity === 'customers' ? [value] : [];
  const { subscription, featuresUsage, ...customer } = value as Record<string, unknown>;
  const customerId = customer.customerId;
  if (entity === 'customers') return [customer];
  if (entity === 'subscriptions') return subscription == null ? [] : [{ customerId, ...(subscription as object) }];
  if (featuresUsage == null) return [];
  if (typeof featuresUsage !== 'object' || Array.isArray(featuresUsage)) return [{ customerId, featuresUsage }];
  return Object.entries(featuresUsage).map(([featureId, usage]) => ({ customerId, featureId, usage }));
}

/** Lines of an error report: `{ entity, file, index, record, ... }` per line. */
async function* reportLines(file: string): AsyncGenerator<{ line: number; size: number; value: Record<string, unknown> }> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of lines) {
      n++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        const at = locateJsonError(text);
        throw new InputFileError(file, n, at.offset + 1, at.reason);
      }
      const v = value as Record<string, unknown>;
      if (!v || typeof v !== 'object' || !ENTITIES.includes(v.entity as Entity) || !('record' in v)) {
        throw new InputFileError(file, n, 1, 'not a line of an error report (needs "entity" and "record")');
      }
      yield { line: n, size: text.length, value: v };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputFileError(file, 0, 0, 'no such file');
    throw err;
  } finally {
    input.destroy();
  }
}

/** Every record of one kind, from every file that holds that kind, streamed. */
export async function* recordsOf(entity: Entity, files: ImportFiles): AsyncGenerator<SourceRecord> {
  for (const file of files[entity] ?? []) {
    for await (const item of jsonArrayItems(file, ARRAY_KEY[entity])) {
      yield { entity, file, index: item.index, line: item.line, size: item.size, record: item.value };
    }
  }
  for (const file of files.legacy ?? []) {
    for await (const item of jsonArrayItems(file, 'customers')) {
      for (const record of fromLegacy(entity, item.value)) yield { entity, file, index: item.index, line: item.line, size: item.size, record };
    }
  }
  for (const file of files.retry ?? []) {
    for await (const { line, size, value } of reportLines(file)) {
      if (value.entity !== entity) continue;
      yield {
        entity,
        file: typeof value.file === 'string' ? value.file : file,
        index: typeof value.index === 'number' ? value.index : line - 1,
        line,
        size,
        record: value.record,
      };
    }
  }
}

/** Whether any file holds records of this kind. */
export const hasSource = (entity: Entity, files: ImportFiles) =>
  !!(files[entity]?.length || files.legacy?.length || files.retry?.length);
