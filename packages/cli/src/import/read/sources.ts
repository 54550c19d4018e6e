import { locateJsonError } from './locate-json-error.js';
import {
  InputFileError,
  jsonArrayItems,
  MAX_RECORD_DEPTH,
  tooDeep,
  tooLarge,
  type ReadOptions,
} from './json-records.js';
import { nestingDepth } from './nesting-depth.js';
import { InvalidUtf8, utf8Chunks } from './utf8-text.js';
import { ENTITIES, type Entity, type Problem } from '../records.js';

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
  /** Bytes of its JSON text (for the request size cap). */
  size: number;
  /** The record; `null` when `problem` says why it was not read. */
  record: unknown;
  /** Set when the record is beyond the limits (too deep, too large): it is invalid whatever it holds. */
  problem?: Problem;
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

/** The lines of a text file (`\n` or `\r\n`), numbered from 1; a line longer than `maxChars` ends the file. */
async function* textLines(
  file: string,
  maxChars: number,
  signal?: AbortSignal,
): AsyncGenerator<{ line: number; text: string }> {
  let n = 1;
  let parts: string[] = [];
  let chars = 0;
  const tooLong = () =>
    new InputFileError(
      file,
      n,
      1,
      `the line is longer than ${maxChars.toLocaleString('en-US')} characters: not a line of an error report`,
    );
  try {
    for await (const chunk of utf8Chunks(file, undefined, signal)) {
      let from = 0;
      for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
        parts.push(chunk.slice(from, nl));
        const text = parts.join('');
        if (text.length > maxChars) throw tooLong();
        parts = [];
        chars = 0;
        from = nl + 1;
        yield { line: n++, text: text.endsWith('\r') ? text.slice(0, -1) : text };
      }
      parts.push(chunk.slice(from));
      chars += chunk.length - from;
      if (chars > maxChars) throw tooLong();
    }
  } catch (err) {
    if (err instanceof InvalidUtf8)
      throw new InputFileError(file, n, chars + 1, `${err.message}: the file must be UTF-8`);
    throw err;
  }
  const last = parts.join('');
  if (last !== '') yield { line: n, text: last };
}

/**
 * Lines of an error report: `{ entity, file, index, record, ... }` per line. A record nested deeper than the limit
 * (the line itself is one level deeper) or larger than it comes with its `problem` and without the record.
 */
async function* reportLines(
  file: string,
  options: ReadOptions,
): AsyncGenerator<{ line: number; size: number; value: Record<string, unknown>; problem?: Problem }> {
  const maxDepth = options.maxDepth ?? MAX_RECORD_DEPTH;
  const maxBytes = options.maxBytes ?? 1 << 20;
  for await (const { line, text } of textLines(file, 2 * maxBytes, options.signal)) {
    if (text.trim() === '') continue;
    // JSON.parse reads deep nesting without recursion; locating an error or writing the record again would recurse.
    const deep = nestingDepth(text, maxDepth + 1) > maxDepth + 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (deep) throw new InputFileError(file, line, 1, `not valid JSON, and nested deeper than ${maxDepth} levels`);
      const at = locateJsonError(text);
      throw new InputFileError(file, line, at.offset + 1, at.reason);
    }
    const v = value as Record<string, unknown>;
    if (!v || typeof v !== 'object' || !ENTITIES.includes(v.entity as Entity) || !('record' in v)) {
      throw new InputFileError(file, line, 1, 'not a line of an error report (needs "entity" and "record")');
    }
    if (deep) {
      yield { line, size: 0, value: v, problem: tooDeep(maxDepth, ` (line ${line})`) };
      continue;
    }
    const size = Buffer.byteLength(JSON.stringify(v.record));
    yield { line, size, value: v, problem: size > maxBytes ? tooLarge(size, maxBytes) : undefined };
  }
}

/**
 * Every record of one kind, from every file that holds that kind, streamed. A record beyond the limits of
 * `options` comes with its `problem` (a legacy record: as a customer only).
 */
export async function* recordsOf(
  entity: Entity,
  files: ImportFiles,
  options: ReadOptions = {},
): AsyncGenerator<SourceRecord> {
  for (const file of files[entity] ?? []) {
    for await (const item of jsonArrayItems(file, ARRAY_KEY[entity], undefined, options)) {
      const { index, line, size, problem } = item;
      yield problem
        ? { entity, file, index, line, size, record: null, problem }
        : { entity, file, index, line, size, record: item.value };
    }
  }
  for (const file of files.legacy ?? []) {
    for await (const item of jsonArrayItems(file, 'customers', undefined, options)) {
      const { index, line, size, problem } = item;
      if (problem) {
        if (entity === 'customers') yield { entity, file, index, line, size, record: null, problem };
        continue;
      }
      for (const record of fromLegacy(entity, item.value)) yield { entity, file, index, line, size, record };
    }
  }
  for (const file of files.retry ?? []) {
    for await (const { line, size, value, problem } of reportLines(file, options)) {
      if (value.entity !== entity) continue;
      const where = {
        entity,
        file: typeof value.file === 'string' ? value.file : file,
        index: typeof value.index === 'number' ? value.index : line - 1,
        line,
        size,
      };
      yield problem ? { ...where, record: null, problem } : { ...where, record: value.record };
    }
  }
}

/** Whether any file holds records of this kind. */
export const hasSource = (entity: Entity, files: ImportFiles) =>
  !!(files[entity]?.length || files.legacy?.length || files.retry?.length);
