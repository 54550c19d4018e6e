/**
 * `tollgate import` at scale against stigg-local over HTTP: 100,000 customers, subscriptions and usage records,
 * then the same files again. In `npm run test:slow` (about a minute).
 */
import { describe, expect, it } from 'vitest';
import { EXIT } from '@tollgate/cli';
import { stiggUsage } from '../support/stigg.js';
import { importUsage, writeImportFiles } from '../support/import-data.js';
import { fileArgs, importCli, importedState, importServer, readSummary, tempDir } from './support.js';

const env = importServer();
const files = fileArgs;

describe('tollgate import at scale', () => {
  it('imports 100,000 customers, subscriptions and usage records; a second run changes nothing and says so', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 100_000);
    const first = await importCli(env.server, dir, [...files(data), '--rate', 'off']);
    expect(first.code, first.err).toBe(EXIT.ok);
    const summary = readSummary(dir);
    expect(summary.entities.customers).toMatchObject({
      records: 100_000,
      imported: 100_000,
      created: 100_000,
      failed: 0,
      invalid: 0,
      requests: 100,
    });
    expect(summary.entities.subscriptions).toMatchObject({
      records: 100_000,
      imported: 100_000,
      created: 100_000,
      existing: 0,
      requests: 100,
    });
    expect(summary.entities.usage).toMatchObject({ records: 100_000, imported: 100_000, requests: 1000 });
    const state = importedState(env.server);
    expect(state.customers).toHaveLength(100_000);
    expect(state.subscriptions).toHaveLength(100_000);
    expect(state.usage.size).toBe(100_000);
    expect(await stiggUsage(env.server, 'imp-12345')).toBe(importUsage(12345).usage);

    const before = env.server.admin.state();
    const second = await importCli(env.server, dir, [...files(data), '--rate', 'off']);
    expect(second.code, second.err).toBe(EXIT.ok);
    expect(env.server.admin.state()).toEqual(before);
    const again = readSummary(dir);
    expect(again.entities.customers).toMatchObject({ imported: 100_000, created: 0, updated: 0, unchanged: 100_000 });
    expect(again.entities.subscriptions).toMatchObject({ imported: 100_000, created: 0, existing: 100_000 });
    expect(second.out).toContain('0 created, 0 updated, 100,000 unchanged');
    expect(second.out).toContain('0 created, 100,000 already present');
  }, 120_000);
});
