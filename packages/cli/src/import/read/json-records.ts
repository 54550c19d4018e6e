import type { Problem } from '../records.js';
import { InputFileError } from './input-file-error.js';
import { locateJsonError } from './locate-json-error.js';
import { InvalidUtf8, utf8Chunks } from './utf8-text.js';

export { InputFileError } from './input-file-error.js';

/** One element of an input file, with where it starts (1-based line and column). */
export interface SourceItem {
  index: number;
  line: number;
  column: number;
  /** Bytes of its JSON text (UTF-8): what it adds to a request body, near enough. */
  size: number;
  /** The element; `undefined` when `problem` says why it was not parsed. */
  value: unknown;
  /** Set when the element is beyond the limits (too deep, too large): it is an invalid record, not read further. */
  problem?: Problem;
}

/** Nesting levels a record may have (`{"a": {"b": 1}}` has 2). */
export const MAX_RECORD_DEPTH = 64;

/** What a record may be, and when to stop reading. */
export interface ReadOptions {
  /** Deepest nesting of a record (default `MAX_RECORD_DEPTH`); a value deeper than this outside the records ends the file. */
  maxDepth?: number;
  /** Largest record, in bytes of its JSON text (default 1 MiB: what one request may carry). */
  maxBytes?: number;
  /** Ends the reading with `Interrupted`, even while a read is pending. */
  signal?: AbortSignal;
}

export const tooDeep = (maxDepth: number, where = ''): Problem => ({
  code: 'TOO_DEEP',
  reason: `the record is nested deeper than ${maxDepth} levels${where}; it was not read`,
});
export const tooLarge = (bytes: number, maxBytes: number): Problem => ({
  code: 'TOO_LARGE',
  reason: `the record is ${bytes.toLocaleString('en-US')} bytes of JSON, more than the ${maxBytes.toLocaleString('en-US')} bytes one request may carry; it was not sent`,
});

const HINT = "; the files must be plain JSON (Stigg's published examples have comments and trailing commas)";

enum State {
  BeforeRoot,
  FirstKeyOrEnd,
  Key,
  Colon,
  Value,
  AfterValue,
  FirstItemOrEnd,
  Item,
  AfterItem,
  Done,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LF = 0x0a;
const isSpace = (c: number) => c === 0x20 || c === LF || c === 0x0d || c === 0x09;

/**
 * Streams the elements of the top-level array `key` of a JSON file (`{ "customers": [ ... ] }`): memory holds one
 * chunk and the elements read from it, never the file. The document's outline is checked here character by
 * character; each element is parsed by `JSON.parse` and, when that fails, read again to name the line and column.
 * The bytes must be UTF-8. An element nested deeper than `maxDepth` or larger than `maxBytes` is neither kept nor
 * parsed: it is yielded with its `problem`, and the elements after it are read as usual.
 */
export async function* jsonArrayItems(
  file: string,
  key: string,
  chunkBytes = 1 << 14,
  options: ReadOptions = {},
): AsyncGenerator<SourceItem> {
  const maxDepth = options.maxDepth ?? MAX_RECORD_DEPTH;
  const maxBytes = options.maxBytes ?? 1 << 20;
  let state = State.BeforeRoot;
  let line = 1;
  let column = 1;
  // What is being captured (a key or a value): its text so far, where it began, its nesting.
  let capturing: 'key' | 'value' | null = null;
  let parts: string[] = [];
  let startLine = 0;
  let startColumn = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let primitive = false;
  let currentKey = '';
  let inWanted = false;
  let found = false;
  let index = 0;
  // An element beyond the limits: its text is dropped as it is read (`dropped`: its bytes so far).
  let over: 'deep' | 'large' | null = null;
  let overAt = '';
  let dropped = 0;
  let partsChars = 0;

  const fail = (reason: string, at: { line: number; column: number } = { line, column }): never => {
    throw new InputFileError(file, at.line, at.column, reason);
  };
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      const at = locateJsonError(text);
      const before = text.slice(0, at.offset);
      const breaks = before.split('\n').length - 1;
      return fail(`${at.reason}${HINT}`, {
        line: startLine + breaks,
        column: breaks === 0 ? startColumn + at.offset : at.offset - before.lastIndexOf('\n'),
      });
    }
  };

  /** The end of a chunk inside a captured value: kept, or only counted once the element is too large or too deep. */
  const keepRest = (text: string) => {
    if (over) {
      if (over === 'large') dropped += Buffer.byteLength(text);
      return;
    }
    parts.push(text);
    partsChars += text.length;
    if (inWanted && capturing === 'value' && partsChars > maxBytes) {
      over = 'large';
      dropped = Buffer.byteLength(parts.join(''));
      parts = [];
    }
  };

  try {
    for await (const chunk of utf8Chunks(file, chunkBytes, options.signal)) {
      const ready: SourceItem[] = [];
      let i = 0;
      let from = capturing ? 0 : -1;

      const begin = (c: number, what: 'key' | 'value') => {
        if (what === 'value' && (c === RBRACE || c === RBRACKET || c === COMMA || c === COLON)) {
          fail(`expected a value, found "${String.fromCharCode(c)}"${HINT}`);
        }
        capturing = what;
        from = i;
        parts = [];
        startLine = line;
        startColumn = column;
        escaped = false;
        inString = c === QUOTE;
        depth = c === LBRACE || c === LBRACKET ? 1 : 0;
        primitive = !inString && depth === 0;
        over = null;
        dropped = 0;
        partsChars = 0;
      };
      /** The value being captured went past `maxDepth`: a record is skipped, anything else ends the file. */
      const tooDeepHere = () => {
        if (!inWanted) fail(`"${currentKey}" is nested deeper than ${maxDepth} levels`);
        over = 'deep';
        overAt = ` (line ${line}, column ${column})`;
        parts = [];
      };
      const finishOver = (end: number) => {
        if (over === 'large') dropped += Buffer.byteLength(chunk.slice(from, end));
        const problem = over === 'deep' ? tooDeep(maxDepth, overAt) : tooLarge(dropped, maxBytes);
        ready.push({ index: index++, line: startLine, column: startColumn, size: dropped, value: undefined, problem });
        over = null;
        from = -1;
        capturing = null;
        state = State.AfterItem;
      };
      const finish = (end: number) => {
        if (over) return finishOver(end);
        parts.push(chunk.slice(from, end));
        const text = parts.join('');
        parts = [];
        from = -1;
        const what = capturing;
        capturing = null;
        if (what === 'key') {
          currentKey = parse(text) as string;
          state = State.Colon;
        } else if (inWanted) {
          const size = Buffer.byteLength(text);
          if (size > maxBytes)
            ready.push({
              index: index++,
              line: startLine,
              column: startColumn,
              size,
              value: undefined,
              problem: tooLarge(size, maxBytes),
            });
          else ready.push({ index: index++, line: startLine, column: startColumn, size, value: parse(text) });
          state = State.AfterItem;
        } else {
          parse(text);
          state = State.AfterValue;
        }
      };

      for (; i < chunk.length; i++) {
        const c = chunk.charCodeAt(i);
        if (capturing) {
          let endsAfter = false;
          if (inString) {
            if (escaped) escaped = false;
            else if (c === BACKSLASH) escaped = true;
            else if (c === QUOTE) {
              inString = false;
              endsAfter = depth === 0;
            }
          } else if (primitive) {
            if (c === COMMA || c === RBRACE || c === RBRACKET || isSpace(c)) {
              finish(i);
              i--; // this character belongs to what follows
              continue;
            }
          } else if (c === QUOTE) inString = true;
          else if (c === LBRACE || c === LBRACKET) {
            if (++depth > maxDepth && !over) tooDeepHere();
          } else if (c === RBRACE || c === RBRACKET) endsAfter = --depth === 0;
          if (c === LF) {
            line++;
            column = 1;
          } else column++;
          if (endsAfter) finish(i + 1);
          continue;
        }
        if (c === LF) {
          line++;
          column = 1;
          continue;
        }
        if (isSpace(c)) {
          column++;
          continue;
        }
        const ch = chunk[i];
        switch (state as State) {
          case State.BeforeRoot:
            if (c !== LBRACE) fail(`expected "{" to open the document, found "${ch}"`);
            state = State.FirstKeyOrEnd;
            break;
          case State.FirstKeyOrEnd:
          case State.Key:
            if (c === RBRACE && state === State.FirstKeyOrEnd) state = State.Done;
            else if (c === QUOTE) begin(c, 'key');
            else
              fail(
                c === RBRACE
                  ? `trailing comma before "}"${HINT}`
                  : `expected a key in double quotes, found "${ch}"${HINT}`,
              );
            break;
          case State.Colon:
            if (c !== COLON) fail(`expected ":" after "${currentKey}", found "${ch}"`);
            state = State.Value;
            break;
          case State.Value:
            if (currentKey === key) {
              if (c !== LBRACKET) fail(`"${key}" must be an array`);
              if (found) fail(`"${key}" appears twice`);
              found = true;
              inWanted = true;
              state = State.FirstItemOrEnd;
            } else begin(c, 'value');
            break;
          case State.AfterValue:
            if (c === COMMA) state = State.Key;
            else if (c === RBRACE) state = State.Done;
            else fail(`expected "," or "}", found "${ch}"${HINT}`);
            break;
          case State.FirstItemOrEnd:
          case State.Item:
            if (c === RBRACKET && state === State.FirstItemOrEnd) {
              inWanted = false;
              state = State.AfterValue;
            } else if (c === RBRACKET) fail(`trailing comma before "]"${HINT}`);
            else begin(c, 'value');
            break;
          case State.AfterItem:
            if (c === COMMA) state = State.Item;
            else if (c === RBRACKET) {
              inWanted = false;
              state = State.AfterValue;
            } else fail(`expected "," or "]" after element ${index - 1} of "${key}", found "${ch}"${HINT}`);
            break;
          case State.Done:
            fail(`unexpected "${ch}" after the end of the document`);
        }
        column++;
      }
      if (capturing && from >= 0) keepRest(chunk.slice(from));
      yield* ready;
    }
  } catch (err) {
    if (err instanceof InvalidUtf8) fail(`${err.message}: the file must be UTF-8`);
    throw err;
  }
  if (state === State.BeforeRoot) fail('the file is empty');
  if (state !== State.Done)
    fail(inString ? 'the file ends inside a string' : 'the file ends before the document is closed');
  if (!found) fail(`no "${key}" array at the top level`, { line: 1, column: 1 });
}
