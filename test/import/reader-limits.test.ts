/**
 * The reader against hostile bytes: records nested too deeply or too large are flagged, not parsed, and the records
 * after them still read; bytes that are not UTF-8 stop the file with their byte offset and line; neither a deep
 * record nor a deep error-report line is walked recursively.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonArrayItems, MAX_RECORD_DEPTH, type SourceItem } from '../../packages/cli/src/import/read/json-records.js';
import { nestingDepth } from '../../packages/cli/src/import/read/nesting-depth.js';
import { recordsOf, type SourceRecord } from '../../packages/cli/src/import/read/sources.js';
import { Utf8Check } from '../../packages/cli/src/import/read/utf8-text.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-limits-'));
let n = 0;
const file = (content: string | Buffer) => {
  const path = join(dir, `f${n++}.json`);
  writeFileSync(path, content);
  return path;
};
async function read(
  path: string,
  chunk?: number,
  options?: { maxDepth?: number; maxBytes?: number },
): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of jsonArrayItems(path, 'customers', chunk, options)) out.push(item);
  return out;
}
/** The error reading `path` gives, the same whatever the chunk size. */
async function errorOf(path: string): Promise<string> {
  const messages = new Set<string>();
  for (const chunk of [1, 2, 7, 1 << 16]) {
    try {
      await read(path, chunk);
      messages.add('no error');
    } catch (err) {
      messages.add((err as Error).message.replace(path, 'F'));
    }
  }
  expect(messages.size, `the same answer whatever the chunk size: ${[...messages].join(' | ')}`).toBe(1);
  return [...messages][0]!;
}
const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

describe('record limits', () => {
  it('flags a record nested deeper than 64 levels (arrays or objects, 100,000 deep) without parsing it; the others are read', async () => {
    const path = file(
      `{"customers": [\n  {"customerId": "a"},\n  ${arrays(100_000)},\n  {"customerId": "b", "metadata": ${objects(100_000)}},\n  {"customerId": "c", "metadata": ${objects(MAX_RECORD_DEPTH - 1)}}\n]}`,
    );
    for (const chunk of [1000, 1 << 14]) {
      const items = await read(path, chunk);
      expect(items.map((i) => [i.index, i.line, i.problem?.code ?? 'ok'])).toEqual([
        [0, 2, 'ok'],
        [1, 3, 'TOO_DEEP'],
        [2, 4, 'TOO_DEEP'],
        [3, 5, 'ok'],
      ]);
      expect(items[1]!.value).toBeUndefined();
      expect(items[1]!.problem!.reason).toBe(
        'the record is nested deeper than 64 levels (line 3, column 67); it was not read',
      );
      expect(items[2]!.problem!.reason).toContain('(line 4, column 350)');
      // Exactly 64 levels (the record, then 63 of metadata) is within the limit, and parsed.
      expect(nestingDepth(JSON.stringify(items[3]!.value))).toBe(MAX_RECORD_DEPTH);
    }
  });

  it('flags a record larger than the request cap without keeping it, and reads on', async () => {
    const big = 'x'.repeat(3 << 20);
    const path = file(
      `{"customers": [{"customerId": "${big}"}, {"customerId": "é${'é'.repeat(600_000)}"}, {"customerId": "small"}]}`,
    );
    const items = await read(path, undefined, { maxBytes: 1 << 20 });
    expect(items.map((i) => i.problem?.code ?? 'ok')).toEqual(['TOO_LARGE', 'TOO_LARGE', 'ok']);
    expect(items[0]!.problem!.reason).toBe(
      `the record is ${(big.length + 18).toLocaleString('en-US')} bytes of JSON, more than the 1,048,576 bytes one request may carry; it was not sent`,
    );
    // 600,001 characters, but 1,200,002 bytes of UTF-8: the cap counts bytes.
    expect(items[1]!.size).toBe(1_200_002 + 18);
    expect(items[2]).toMatchObject({ index: 2, value: { customerId: 'small' } });
  });

  it('ends the file at a value outside the records that nests too deeply, naming where', async () => {
    expect(await errorOf(file(`{"meta": ${arrays(100)},\n "customers": []}`))).toBe(
      'F:1:74: "meta" is nested deeper than 64 levels',
    );
  });

  it('measures nesting without recursion, strings and escapes aside', () => {
    expect(nestingDepth('{"a": [1, {"b": "[[[{{{\\"]]]"}]}')).toBe(3);
    expect(nestingDepth(arrays(1_000_000), 64)).toBe(65);
    expect(nestingDepth(arrays(1_000_000))).toBe(1_000_000);
  });

  it('flags a too-deep record in an error report (JSONL) by its file and index, without walking it', async () => {
    const report = join(dir, 'errors.jsonl');
    writeFileSync(
      report,
      [
        JSON.stringify({ entity: 'customers', file: 'customers.json', index: 4, record: { customerId: 'ok' } }),
        `{"entity":"customers","file":"customers.json","index":9,"record":{"customerId":"deep","metadata":${objects(100_000)}}}`,
        '',
      ].join('\n'),
    );
    const records: SourceRecord[] = [];
    for await (const r of recordsOf('customers', { retry: [report] })) records.push(r);
    expect(records.map((r) => [r.file, r.index, r.problem?.code ?? 'ok', r.record])).toEqual([
      ['customers.json', 4, 'ok', { customerId: 'ok' }],
      ['customers.json', 9, 'TOO_DEEP', null],
    ]);
  });
});

describe('UTF-8', () => {
  const at = (bytes: Buffer, needle: number[]) => bytes.indexOf(Buffer.from(needle));

  it.each([
    ['a Latin-1 byte', [0xe9]],
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a sequence cut short', [0xe2, 0x82, 0x41]],
  ])('refuses %s with its byte offset, line and column, whatever the chunk size', async (_name, bad) => {
    const bytes = Buffer.concat([
      Buffer.from('{"customers": [\n  {"customerId": "caf\u00e9"},\n  {"name": "Ren'),
      Buffer.from(bad),
      Buffer.from('e"}\n]}'),
    ]);
    const offset = at(bytes, bad);
    expect(await errorOf(file(bytes))).toBe(`F:3:16: invalid UTF-8 at byte ${offset}: the file must be UTF-8`);
  });

  it('refuses a file that ends inside a UTF-8 sequence', async () => {
    const bytes = Buffer.concat([Buffer.from('{"customers": []}\n'), Buffer.from([0xf0, 0x9f, 0x98])]);
    expect(await errorOf(file(bytes))).toBe(
      'F:2:1: the file ends inside a UTF-8 sequence at byte 18: the file must be UTF-8',
    );
  });

  it('reads every valid sequence, split across any chunk boundary', async () => {
    const name = 'Zoë — 東京 😀 \u{10ffff}';
    const path = file(`\ufeff{"customers": [{"customerId": "a", "name": "${name}"}]}`);
    for (const chunk of [1, 2, 3, 5, 1 << 16])
      expect((await read(path, chunk))[0]!.value).toEqual({ customerId: 'a', name });
  });

  it('names the line of an error report (JSONL) that is not UTF-8', async () => {
    const report = join(dir, 'bad-errors.jsonl');
    const good = JSON.stringify({ entity: 'customers', file: 'c.json', index: 0, record: { customerId: 'a' } });
    const bytes = Buffer.concat([
      Buffer.from(`${good}\n{"entity":"customers","record":{"customerId":"`),
      Buffer.from([0xff]),
      Buffer.from('"}}\n'),
    ]);
    writeFileSync(report, bytes);
    const read = async () => {
      for await (const _ of recordsOf('customers', { retry: [report] }));
    };
    await expect(read()).rejects.toThrow(
      `${report}:2:47: invalid UTF-8 at byte ${bytes.indexOf(0xff)}: the file must be UTF-8`,
    );
  });

  it('the byte check agrees with the fatal TextDecoder on every 1- and 2-byte input and on random bytes', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const valid = (bytes: Uint8Array) => {
      try {
        fatal.decode(bytes);
        return true;
      } catch {
        return false;
      }
    };
    const checked = (bytes: Uint8Array) => {
      const check = new Utf8Check();
      return check.scan(bytes) < 0 && check.end() < 0;
    };
    const inputs: Uint8Array[] = [];
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) inputs.push(Uint8Array.of(a, b));
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 20_000; i++)
      inputs.push(
        Uint8Array.from({ length: 4 }, () => (random() & 1 ? 0xe0 | (random() & 0x1f) : 0x80 | (random() & 0x3f))),
      );
    const disagreements = inputs
      .filter((bytes) => checked(bytes) !== valid(bytes))
      .map((bytes) => Buffer.from(bytes).toString('hex'));
    expect(disagreements).toEqual([]);
  });
});
