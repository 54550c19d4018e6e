import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliIo } from '@tollgate/cli';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';

export const KEY = 'server-tollgate-local';

/** Root fields that write: none of them may be called by a dry run. */
export const WRITES = [
  'importCustomersBulk',
  'importSubscriptionsBulk',
  'reportUsageBulk',
  'importOneCustomer',
  'provisionCustomer',
  'reportUsage',
];

export const tempDir = () => mkdtempSync(join(tmpdir(), 'tollgate-import-'));

export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
  status: string;
}

/**
 * `tollgate import` in this process, with files of its own in `dir`. `onStatus` sees the progress output (and may
 * stop the run by resolving `stop`).
 */
export async function importCli(
  server: StiggLocal,
  dir: string,
  args: string[],
  options: { stop?: Promise<string>; key?: string; onStatus?: (text: string) => void } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const status: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    untilStopped: () => options.stop ?? new Promise(() => {}),
    status: {
      write: (t) => {
        status.push(t);
        options.onStatus?.(t);
      },
      isTTY: false,
    },
    env: {},
  };
  const code = await runCli(
    [
      'import',
      '--base-url',
      server.url,
      '--api-key',
      options.key ?? KEY,
      '--checkpoint',
      join(dir, 'checkpoint.json'),
      '--errors',
      join(dir, 'errors.jsonl'),
      '--report',
      join(dir, 'summary.json'),
      '--progress',
      'plain',
      ...args,
    ],
    io,
  );
  return { code, out: out.join('\n'), err: err.join('\n'), status: status.join('') };
}

/** `tollgate import` as its own process (from source), for tests that kill it. */
export function spawnImport(server: StiggLocal, dir: string, args: string[]) {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@tollgate/source',
      '--import',
      'tsx',
      'packages/cli/src/bin.ts',
      'import',
      '--base-url',
      server.url,
      '--checkpoint',
      join(dir, 'checkpoint.json'),
      '--errors',
      join(dir, 'errors.jsonl'),
      '--progress',
      'plain',
      ...args,
    ],
    { env: { ...process.env, STIGG_SERVER_API_KEY: KEY }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

export const readSummary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
export const readErrors = (dir: string, name = 'errors.jsonl') =>
  readFileSync(join(dir, name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** Confirmed batches per kind, as the checkpoint holds them. */
export function confirmedBatches(dir: string): Record<string, number> {
  try {
    const data = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    return Object.fromEntries(
      Object.entries(data.phases as Record<string, { doneBelow: number; doneAbove: number[] }>).map(([k, p]) => [
        k,
        p.doneBelow + p.doneAbove.length,
      ]),
    );
  } catch {
    return {};
  }
}

/** What stigg-local holds for the generated `imp-*` records: customers, active subscriptions, usage values. */
type HeldState = ReturnType<StiggLocal['admin']['state']>;

export function importedState(server: StiggLocal): {
  customers: HeldState['customers'];
  subscriptions: HeldState['subscriptions'];
  usage: Map<string, number>;
} {
  const state = server.admin.state();
  const customers = state.customers.filter((c) => c.customerId.startsWith('imp-'));
  const subscriptions = state.subscriptions.filter((s) => s.customerId.startsWith('imp-') && s.status !== 'CANCELED');
  const usage = new Map(state.usage.filter(([k]) => k.includes('imp-')).map(([k, v]) => [k, v.value]));
  return { customers, subscriptions, usage };
}

/** A stigg-local for one import test file: started before its tests, back to its seed state before each one. */
export function importServer(): { readonly server: StiggLocal } {
  const held = {} as { server: StiggLocal };
  beforeAll(async () => {
    held.server = await startStiggLocal({ port: 0, log: () => {} });
  });
  afterAll(() => held.server.close());
  beforeEach(() => {
    held.server.admin.reset();
    held.server.admin.resetStats();
    held.server.admin.clearFaults();
    held.server.admin.setRateLimits({ enabled: false });
  });
  return held;
}

/** The CLI arguments naming a set of import files. */
export const fileArgs = (f: { customers: string; subscriptions: string; usage: string }) => [
  '--customers',
  f.customers,
  '--subscriptions',
  f.subscriptions,
  '--usage',
  f.usage,
];
