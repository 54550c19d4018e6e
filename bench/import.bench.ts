import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonArray } from '../test/support/import-data.js';
import { startChild } from './lib/child.js';
import { fmt } from './lib/load.js';
import type { Benchmark } from './lib/types.js';

const COUNT = 100_000;
const FEATURES = 10;
const NAIVE_SAMPLE = 5_000;

/** Ten metered features on one free plan: 100,000 customers x 10 features make the 1,000,000-record usage file. */
const CATALOG = {
  products: [{ id: 'product-bench', displayName: 'Bench' }],
  features: Array.from({ length: FEATURES }, (_, f) => ({
    id: `usage-${f}`,
    displayName: `Usage ${f}`,
    type: 'NUMBER',
    meterType: 'Incremental',
    resetPeriod: 'MONTH',
    monthlyAccordingTo: 'SubscriptionStart',
  })),
  plans: [
    {
      id: 'plan-basic',
      product: 'product-bench',
      displayName: 'Basic',
      pricingType: 'FREE',
      entitlements: Array.from({ length: FEATURES }, (_, f) => ({ feature: `usage-${f}`, limit: 1_000_000 })),
    },
  ],
};

/** Runs a benchmark child to its end and returns the JSON it printed last. */
function runChild<T>(file: string, arg: unknown): Promise<T> {
  const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...loader, new URL(file, import.meta.url).pathname, JSON.stringify(arg)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as T)
        : reject(new Error(`${file} exited with ${code}`)),
    );
  });
}

interface Run {
  ms: number;
  records: number;
  failed?: number;
  maxRssMb?: number;
}

const benchmark: Benchmark = {
  name: 'import',
  description: `tollgate import of ${fmt(COUNT)} customers + subscriptions + usage records into stigg-local (rate limits off) vs a naive one-mutation-per-record importer; peak memory importing a 1,000,000-record usage file`,
  async run(report) {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-import-bench-'));
    const catalog = join(dir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify(CATALOG));
    const files = {
      customers: await writeJsonArray(join(dir, 'customers.json'), 'customers', COUNT, (i) => ({
        customerId: `b-${i}`,
        name: `Customer ${i}`,
        email: `b${i}@example.com`,
        metadata: { cohort: String(i % 12) },
      })),
      subscriptions: await writeJsonArray(join(dir, 'subscriptions.json'), 'subscriptions', COUNT, (i) => ({
        customerId: `b-${i}`,
        planId: 'plan-basic',
        startDate: '2026-01-01T00:00:00.000Z',
      })),
      usage: await writeJsonArray(join(dir, 'usage.json'), 'usages', COUNT, (i) => ({
        customerId: `b-${i}`,
        featureId: 'usage-0',
        usage: i % 1000,
      })),
    };
    const million = await writeJsonArray(join(dir, 'usage-1m.json'), 'usages', COUNT * FEATURES, (i) => ({
      customerId: `b-${Math.floor(i / FEATURES)}`,
      featureId: `usage-${i % FEATURES}`,
      usage: i % 977,
    }));
    const ours = await startChild<{ url: string }>(new URL('./servers/stigg-local.ts', import.meta.url).pathname, [
      catalog,
    ]);
    const naive = await startChild<{ url: string }>(new URL('./servers/stigg-local.ts', import.meta.url).pathname, [
      catalog,
    ]);
    try {
      const options = (extra: object) => ({
        baseUrl: ours.info.url,
        checkpointFile: join(dir, 'checkpoint.json'),
        errorsFile: join(dir, 'errors.jsonl'),
        ...extra,
      });
      const full = await runChild<Run>(
        './import/tollgate-import.mjs',
        options({
          files: { customers: [files.customers], subscriptions: [files.subscriptions], usage: [files.usage] },
        }),
      );
      const usage = await runChild<Run>('./import/tollgate-import.mjs', options({ files: { usage: [million] } }));
      const simple = await runChild<Run>('./import/naive-import.ts', {
        baseUrl: naive.info.url,
        files,
        limit: NAIVE_SAMPLE,
        concurrency: 4,
      });
      if (full.failed || usage.failed) throw new Error(`records failed: ${full.failed} + ${usage.failed}`);
      if (full.records !== COUNT * 3 || usage.records !== COUNT * FEATURES)
        throw new Error(`not everything was imported: ${full.records}, ${usage.records}`);
      const oursRate = (full.records / full.ms) * 1000;
      const naiveRate = (simple.records / simple.ms) * 1000;
      report.table([
        {
          importer: 'tollgate import',
          records: fmt(full.records),
          seconds: fmt(full.ms / 1000, 1),
          'records/s': fmt(oursRate),
          'peak RSS MB': fmt(full.maxRssMb ?? 0),
        },
        {
          importer: `naive (first ${fmt(NAIVE_SAMPLE)} of each kind)`,
          records: fmt(simple.records),
          seconds: fmt(simple.ms / 1000, 1),
          'records/s': fmt(naiveRate),
          'peak RSS MB': '-',
        },
        {
          importer: 'ratio (records/s)',
          records: '',
          seconds: '',
          'records/s': `${fmt(oursRate / naiveRate, 1)}x`,
          'peak RSS MB': '',
        },
        {
          importer: `tollgate import, usage file of ${fmt(usage.records)} records`,
          records: fmt(usage.records),
          seconds: fmt(usage.ms / 1000, 1),
          'records/s': fmt((usage.records / usage.ms) * 1000),
          'peak RSS MB': fmt(usage.maxRssMb ?? 0),
        },
      ]);
      report.note(
        `target: ${fmt(COUNT)} of each kind in <= 60 s (took ${fmt(full.ms / 1000, 1)} s); the 1,000,000-record usage import under 200 MB peak RSS (${fmt(usage.maxRssMb ?? 0)} MB)`,
      );
      report.note(
        `naive at ${fmt(naiveRate)} records/s would take ${fmt((COUNT * 3) / naiveRate / 60, 1)} min for the ${fmt(COUNT * 3)} records; importer and each stigg-local run in their own processes`,
      );
    } finally {
      await ours.stop();
      await naive.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default benchmark;
