/**
 * `tollgate import` against hostile input and a hanging Stigg: paths that are not regular files are refused before
 * anything is read; records nested too deeply or too large for a request are reported as invalid while the rest is
 * imported; bytes that are not UTF-8 stop the run with their position; the first SIGTERM ends a run within 3 s,
 * whatever it waits on, leaving a checkpoint that `--resume` completes.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '@tollgate/cli';
import { until } from '../support/wait.js';
import { writeImportFiles } from '../support/import-data.js';
import {
  type CliRun,
  fileArgs,
  importCli,
  importedState,
  importServer,
  readErrors,
  readSummary,
  spawnImport,
  tempDir,
  WRITES,
} from './support.js';

const env = importServer();
const files = fileArgs;
const sleep = (ms: number) => new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms));
const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
const nothingSent = () => {
  const calls = env.server.admin.stats().calls;
  for (const field of WRITES) expect(calls[field] ?? 0, field).toBe(0);
};

describe('input paths that are not regular files', () => {
  const fifo = (dir: string) => {
    const path = join(dir, 'customers.fifo');
    execFileSync('mkfifo', [path]);
    return path;
  };
  it.each([
    ['a FIFO', fifo, 'a FIFO'],
    ['a directory', (dir: string) => dir, 'a directory'],
    ['a device', () => '/dev/zero', 'a character device'],
  ])(
    '%s is refused before anything is read or sent, exit 3 naming the file',
    async (_name, make, kind) => {
      const dir = tempDir();
      const path = make(dir);
      const good = await writeImportFiles(dir, 10);
      try {
        const run = await Promise.race([
          importCli(env.server, dir, ['--customers', good.customers, '--usage', path]),
          sleep(5000),
        ]);
        expect(run, 'the run ended').not.toBe('timed out');
        const { code, err } = run as CliRun;
        expect(code).toBe(EXIT.invalidInput);
        expect(err).toContain(`${path}: not a regular file (${kind})`);
        expect(err).toContain('Nothing was sent');
        // Refused before Stigg is even asked for its catalog.
        expect(env.server.admin.stats().calls.paywall ?? 0).toBe(0);
        nothingSent();
      } finally {
        // A reader blocked opening the FIFO (the old behaviour) gets a writer and an end of file, and lets go.
        if (path.endsWith('.fifo')) {
          try {
            closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {
            // no reader: nothing to release
          }
        }
      }
    },
    15_000,
  );
});

describe('records beyond the limits', () => {
  it('a record nested deeper than 64 levels, or larger than one request, is an invalid record (file, index, reason); the rest is imported', async () => {
    const dir = tempDir();
    const customers = join(dir, 'customers.json');
    writeFileSync(
      customers,
      [
        '{"customers": [',
        '  {"customerId": "ok-1"},',
        `  ${arrays(100_000)},`,
        `  {"customerId": "deep-metadata", "metadata": ${objects(100_000)}},`,
        `  {"customerId": "${'x'.repeat(3 << 20)}"},`,
        '  {"customerId": "ok-2", "metadata": {"tier": {"level": 2}}}',
        ']}',
      ].join('\n'),
    );
    const run = await importCli(env.server, dir, ['--customers', customers, '--rate', 'off']);
    expect(run.code, run.err).toBe(EXIT.failed);
    const errors = readErrors(dir);
    expect(errors.map((e) => [e.file, e.index, e.phase, e.code, e.record])).toEqual([
      [customers, 1, 'validate', 'TOO_DEEP', null],
      [customers, 2, 'validate', 'TOO_DEEP', null],
      [customers, 3, 'validate', 'TOO_LARGE', null],
    ]);
    expect(errors[0].reason).toBe('the record is nested deeper than 64 levels (line 3, column 67); it was not read');
    expect(errors[2].reason).toBe(
      `the record is ${((3 << 20) + 18).toLocaleString('en-US')} bytes of JSON, more than the 1,048,576 bytes one request may carry; it was not sent`,
    );
    expect(run.err).toContain(`${customers} #1: TOO_DEEP: the record is nested deeper than 64 levels`);
    expect(run.err).toContain(`${customers} #3: TOO_LARGE: `);
    expect(readSummary(dir).entities.customers).toMatchObject({
      records: 5,
      invalid: 3,
      imported: 2,
      failed: 0,
      requests: 1,
    });
    expect(env.server.admin.stats().calls.importCustomersBulk).toBe(1);
    const ids = env.server.admin.state().customers.map((c) => c.customerId);
    expect(ids).toEqual(expect.arrayContaining(['ok-1', 'ok-2']));
    expect(ids.filter((id) => id === 'deep-metadata' || id.startsWith('xxx'))).toEqual([]);
  }, 30_000);

  it('a dry run lists them and exits "invalid input"', async () => {
    const dir = tempDir();
    const customers = join(dir, 'customers.json');
    writeFileSync(
      customers,
      `{"customers": [{"customerId": "ok"}, {"customerId": "d", "metadata": ${objects(1000)}}]}`,
    );
    const run = await importCli(env.server, dir, ['--customers', customers, '--dry-run']);
    expect(run.code).toBe(EXIT.invalidInput);
    expect(run.err).toContain(`${customers} #1: TOO_DEEP: `);
    nothingSent();
  });
});

describe('bytes that are not UTF-8', () => {
  it('stop the run before anything is sent, with the byte offset, line and column (never imported as U+FFFD)', async () => {
    const dir = tempDir();
    const customers = join(dir, 'customers.json');
    const before =
      '{"customers": [\n  {"customerId": "c-1", "name": "Caf\u00e9"},\n  {"customerId": "c-2", "name": "Ren';
    const bytes = Buffer.concat([Buffer.from(before), Buffer.from([0xe9]), Buffer.from('e"}\n]}\n')]);
    writeFileSync(customers, bytes);
    const run = await importCli(env.server, dir, ['--customers', customers]);
    expect(run.code).toBe(EXIT.invalidInput);
    const column = before.length - before.lastIndexOf('\n');
    expect(run.err).toContain(
      `${customers}:3:${column}: invalid UTF-8 at byte ${bytes.indexOf(0xe9)}: the file must be UTF-8`,
    );
    expect(run.err).toContain('Nothing was sent');
    nothingSent();
    expect(env.server.admin.state().customers.find((c) => c.customerId === 'c-2')).toBeUndefined();
  });
});

describe('SIGTERM', () => {
  /** Spawns the CLI, waits for `ready`, sends one SIGTERM; returns the exit code and how long the exit took. */
  async function terminate(run: ReturnType<typeof spawnImport>, ready: () => boolean, what: string) {
    try {
      await until(ready, what, 30_000);
      const sentAt = Date.now();
      run.child.kill('SIGTERM');
      const code = await Promise.race([run.exited, sleep(10_000)]);
      return { code, took: Date.now() - sentAt };
    } finally {
      run.child.kill('SIGKILL');
    }
  }

  it('the first SIGTERM ends a run waiting on a stalled Stigg within 3 s, keeping the checkpoint; --resume completes it', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 2000);
    env.server.admin.injectFault({ operations: ['importCustomersBulk'], stall: true });
    const run = spawnImport(env.server, dir, [...files(data), '--rate', 'off']);
    const { code, took } = await terminate(
      run,
      () => (env.server.admin.stats().calls.importCustomersBulk ?? 0) >= 2,
      'both customer requests stalled',
    );
    expect(code, run.output()).toBe(EXIT.interrupted);
    expect(took, 'exit after SIGTERM (ms)').toBeLessThan(3000);
    expect(run.output()).toContain('--resume');
    expect(existsSync(join(dir, 'checkpoint.json')), 'the checkpoint is kept').toBe(true);

    env.server.admin.clearFaults();
    const resumed = await importCli(env.server, dir, [...files(data), '--rate', 'off', '--resume']);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    const state = importedState(env.server);
    expect(state.customers).toHaveLength(2000);
    expect(state.subscriptions).toHaveLength(2000);
    expect(state.usage.size).toBe(2000);
  }, 60_000);

  it('the first SIGTERM ends a run whose catalog read hangs within 3 s, saying nothing was sent', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 10);
    env.server.admin.injectFault({ operations: ['paywall'], stall: true });
    const run = spawnImport(env.server, dir, files(data));
    const { code, took } = await terminate(
      run,
      () => (env.server.admin.stats().calls.paywall ?? 0) >= 1,
      'the catalog read stalled',
    );
    expect(code, run.output()).toBe(EXIT.interrupted);
    expect(took, 'exit after SIGTERM (ms)').toBeLessThan(3000);
    expect(run.output()).toContain('interrupted before anything was sent');
    nothingSent();
  }, 60_000);
});
