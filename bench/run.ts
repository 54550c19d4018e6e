/**
 * `npm run bench [-- NAME...]`: runs the benchmarks in this folder one after another and prints what each measured.
 * Every benchmark compares things side by side in the same run; absolute numbers on shared machines are noise.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, Reporter } from './lib/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);

function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === undefined ? '' : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    `  ${vals.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ')}`;
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
let failed = 0;
for (const file of files) {
  const bench = (await import(pathToFileURL(join(here, file)).href)).default as Benchmark;
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  console.log(`\n## ${bench.name}: ${bench.description}\n`);
  const reporter: Reporter = { note: (l) => console.log(`  ${l}`), table: printTable };
  const started = Date.now();
  try {
    await bench.run(reporter);
    console.log(`\n  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed += 1;
    console.error(`  FAILED: ${(err as Error).stack ?? String(err)}`);
  }
}
process.exit(failed ? 1 : 0);
