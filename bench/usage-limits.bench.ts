/**
 * `npm run bench -- usage-limits`: what a fleet asks of Stigg's write limits, today's paced delivery next to the
 * per-process flushing it replaced (commit 8061bc1's core, extracted with `git archive` into bench/.baseline and
 * run unchanged), on the same load: 1, 4 and 8 processes sharing a Redis, half the requests to one busy customer.
 * stigg-local's rate-limit emulation is on at Stigg's rates over a 10 s window (30 writes a minute = 5 per 10 s,
 * 600 calls a minute = 100 per 10 s), so a 30 s run meets the limits three times; figures are given per minute.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { RedisServer } from '../test/support/redis.js';
import { provisionCustomers, stiggLimits, stiggUsages } from '../test/support/fleet/usage-run.js';
import { fmt } from './lib/load.js';
import type { Benchmark } from './lib/types.js';

const BASELINE_COMMIT = '8061bc1';
const WINDOW_MS = 10_000;
const PER_MINUTE = 60_000 / WINDOW_MS;
const DURATION_MS = 30_000;
/** Metered requests a second, the whole fleet. */
const RATE = 400;
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** The baseline's core sources, extracted once (node resolves their dependencies from the repo's node_modules). */
function baselineCore(): string {
  const dir = join(here, '.baseline', BASELINE_COMMIT);
  const entry = join(dir, 'packages/core/src/index.ts');
  if (!existsSync(entry)) {
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['archive', BASELINE_COMMIT, 'packages/core/src'], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
  }
  return entry;
}

interface WorkerResult {
  committed: Record<string, number>;
  drain: { delivered: number; persisted: number; dropped: number };
  lagP99: number | null;
}

function worker(args: Record<string, unknown>): Promise<WorkerResult> {
  const file = join(here, 'usage-limits/usage-worker.ts');
  const child = spawn(
    process.execPath,
    ['--conditions=@tollgate/source', '--import', 'tsx', file, JSON.stringify(args)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as WorkerResult)
        : reject(new Error(`usage worker exited with ${code}`)),
    ),
  );
}

async function run(server: StiggLocal, redis: RedisServer, core: string, processes: number, label: string) {
  const customers = [
    `busy-${label}-${processes}`,
    ...Array.from({ length: 50 }, (_, i) => `c-${label}-${processes}-${i}`),
  ];
  await provisionCustomers(server, customers);
  server.admin.setRateLimits(stiggLimits(WINDOW_MS));
  server.admin.resetStats();
  const results = await Promise.all(
    Array.from({ length: processes }, () =>
      worker({
        core,
        stiggUrl: server.url,
        redisUrl: redis.url,
        rate: RATE / processes,
        durationMs: DURATION_MS,
        customers,
      }),
    ),
  );
  const stats = server.admin.stats();
  const usage = stiggUsages(server);
  let committed = 0;
  for (const r of results) for (const v of Object.values(r.committed)) committed += v;
  let inStigg = 0;
  for (const c of customers) inStigg += usage.get(c) ?? 0;
  const persisted = Math.max(0, ...results.map((r) => r.drain.persisted));
  const lags = results.map((r) => r.lagP99).filter((x): x is number => x !== null);
  const refused = Object.values(stats.rateLimited.calls).reduce((a, b) => a + b, 0) + stats.rateLimited.customerWrites;
  server.admin.setRateLimits({ enabled: false });
  return {
    calls: stats.calls.reportUsageBulk ?? 0,
    row: {
      delivery: label,
      processes,
      'units committed': fmt(committed),
      'in Stigg at close': fmt(inStigg),
      'left in Redis': fmt(persisted),
      'bulk calls': fmt(stats.calls.reportUsageBulk ?? 0),
      'refused (rate limit)': fmt(refused),
      'busiest customer, writes/min': fmt(stats.writes.perCustomerMaxPerWindow * PER_MINUTE),
      'bulk calls/min, peak': fmt((stats.writes.callsMaxPerWindow.reportUsageBulk ?? 0) * PER_MINUTE),
      'lag p99 ms': lags.length ? fmt(Math.max(...lags)) : 'n/a',
    } as Record<string, string | number>,
  };
}

const benchmark: Benchmark = {
  name: 'usage-limits',
  description: `writes to Stigg per customer and per minute, 1/4/8 processes sharing Redis, ${RATE} metered req/s for ${DURATION_MS / 1000} s: paced delivery vs per-process flushing (${BASELINE_COMMIT})`,
  async run(report) {
    const baseline = baselineCore();
    const server = await startStiggLocal({ log: () => {} });
    const redis = await RedisServer.start();
    try {
      const rows: Record<string, string | number>[] = [];
      for (const processes of [1, 4, 8]) {
        const before = await run(server, redis, baseline, processes, 'per-process');
        const now = await run(server, redis, '@tollgate/core', processes, 'paced');
        rows.push(before.row, now.row, {
          delivery: 'ratio of Stigg calls',
          processes,
          'bulk calls': `${fmt(now.calls / Math.max(1, before.calls), 2)}x`,
        });
      }
      report.table(rows);
      report.note(
        `Stigg's limits: 30 writes per customer and 600 bulk calls per minute (emulated over ${WINDOW_MS / 1000} s windows, figures scaled to a minute).`,
      );
      report.note(
        '"in Stigg at close": units Stigg counted once every process had closed; what is "left in Redis" goes to the next lease holder.',
      );
    } finally {
      await redis.stop();
      await server.close();
    }
  },
};
export default benchmark;
