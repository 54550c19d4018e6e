import { createReadStream } from 'node:fs';
import { locateJsonError } from './locate-json-error.js';

/** One element of an input file, with where it starts (1-based line and column). */
export interface SourceItem {
  index: number;
  line: number;
  column: number;
  /** Characters of its JSON text: what it adds to a request body, near enough. */
  size: number;
  value: unknown;
}

/** A file that is not plain JSON, or not the shape expected; says where. */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
  }
}

const HINT = "; the files must be plain JSON (Stigg's published examples have comments and trailing commas)";

const enum State {
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
 */
export async function* jsonArrayItems(file: string, key: string, chunkChars = 1 << 14): AsyncGenerator<SourceItem> {
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

  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: chunkChars });
  let firstChunk = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const ready: SourceItem[] = [];
      let i = 0;
      if (firstChunk && chunk.charCodeAt(0) === 0xfeff) i = 1;
      firstChunk = false;
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
      };
      const finish = (end: number) => {
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
          ready.push({ index: index++, line: startLine, column: startColumn, size: text.length, value: parse(text) });
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
          else if (c === LBRACE || c === LBRACKET) depth++;
          else if (c === RBRACE || c === RBRACKET) endsAfter = --depth === 0;
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
            else fail(c === RBRACE ? `trailing comma before "}"${HINT}` : `expected a key in double quotes, found "${ch}"${HINT}`);
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
      if (capturing && from >= 0) parts.push(chunk.slice(from));
      yield* ready;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputFileError(file, 0, 0, 'no such file');
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new InputFileError(file, 0, 0, 'is a directory');
    throw err;
  } finally {
    stream.destroy();
  }
  if (state === State.BeforeRoot) fail('the file is empty');
  if (state !== State.Done) fail(inString ? 'the file ends inside a string' : 'the file ends before the document is closed');
  if (!found) fail(`no "${key}" array at the top level`, { line: 1, column: 1 });
}
