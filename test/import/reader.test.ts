/** The streaming reader: elements with their positions, whatever the chunk size; every syntax error named by line and column. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonArrayItems } from '../../packages/cli/src/import/read/json-records.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-reader-'));
let n = 0;
const file = (text: string) => {
  const path = join(dir, `f${n++}.json`);
  writeFileSync(path, text);
  return path;
};
async function read(path: string, key = 'customers', chunk?: number) {
  const out = [];
  for await (const item of jsonArrayItems(path, key, chunk)) out.push(item);
  return out;
}
async function errorOf(text: string, key = 'customers') {
  const path = file(text);
  const messages = new Set<string>();
  for (const chunk of [1, 2, 7, 1 << 16]) {
    try {
      await read(path, key, chunk);
      messages.add('no error');
    } catch (err) {
      messages.add((err as Error).message.replace(path, 'F'));
    }
  }
  expect(messages.size, 'the same answer whatever the chunk size').toBe(1);
  return [...messages][0]!;
}

describe('jsonArrayItems', () => {
  it('yields each element with its line and column, skipping other keys, across any chunk boundary', async () => {
    const path = file(
      '\ufeff{ "meta": {"a": [1, "]"]},\n  "customers": [\n    {"customerId": "a", "n": [1, {"b": "}\\""}]},\n    {"customerId": "b"} , 5, "s", null\n  ],\n "z": true }\n',
    );
    for (const chunk of [1, 3, 1 << 16]) {
      const items = await read(path, 'customers', chunk);
      expect(items.map((i) => [i.index, i.line, i.column])).toEqual([
        [0, 3, 5],
        [1, 4, 5],
        [2, 4, 27],
        [3, 4, 30],
        [4, 4, 35],
      ]);
      expect(items[0]!.value).toEqual({ customerId: 'a', n: [1, { b: '}"' }] });
    }
  });

  it('reads an empty array and a document without the key as what they are', async () => {
    expect(await read(file('{"customers": []}'))).toEqual([]);
    expect(await errorOf('{"subscriptions": []}')).toBe('F:1:1: no "customers" array at the top level');
  });

  it.each([
    [
      'a comment inside a record',
      '{ "customers": [\n  {"customerId": "a",\n   // legacy id\n   "name": "A"}\n] }',
      '3:4: comments are not JSON',
    ],
    [
      'a trailing comma in the array',
      '{ "customers": [\n  {"customerId": "a"},\n  {"customerId": "b"},\n] }',
      '4:1: trailing comma before "]"',
    ],
    [
      'a trailing comma in a record',
      '{ "customers": [\n  {"customerId": "a", "name": "A",}\n] }',
      '2:35: trailing comma before "}"',
    ],
    ['a bad literal', '{ "customers": [\n  {"customerId": "a",\n    "x": tru }\n] }', '3:10: unexpected "t"'],
    [
      'a missing comma between records',
      '{ "customers": [\n  {"customerId": "a"}\n  {"customerId": "b"}\n] }',
      '3:3: expected "," or "]" after element 0',
    ],
    [
      'a bracket closed in the wrong place',
      '{ "subscriptions": [\n  {"customerId": "a"}\n  ]\n}]\n',
      '4:2: unexpected "]" after the end of the document',
    ],
    ['a truncated file', '{ "customers": [\n  {"customerId": "a"', '2:21: the file ends before the document is closed'],
    [
      'a line break in a string',
      '{ "customers": [\n  {"customerId": "a\nb"}\n] }',
      '2:20: control character or line break inside a string',
    ],
    ['an empty file', '', '1:1: the file is empty'],
    ['a top-level array', '[{"customerId": "a"}]', '1:1: expected "{" to open the document'],
  ])('names line and column for %s', async (_name, text, expected) => {
    expect(await errorOf(text, text.includes('subscriptions') ? 'subscriptions' : 'customers')).toContain(
      `F:${expected}`,
    );
  });

  it('names a missing file', async () => {
    await expect(read(join(dir, 'nope.json'))).rejects.toThrow(/nope\.json: no such file/);
  });
});
