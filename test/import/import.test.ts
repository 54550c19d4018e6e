/**
 * `tollgate import` against stigg-local over HTTP: a dry run that sends nothing, invalid and refused records reported
 * with file, index, key and reason, a killed run resumed, rate limits and injected failures, Ctrl-C, a refused key,
 * the legacy file and `--retry-failed`. The 100,000-record run and its re-run: import-scale.test.ts (slow suite).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startStiggLocal } from '@tollgate/stigg-local';
import { EXIT } from '@tollgate/cli';
import { stiggUsage } from '../support/stigg.js';
import { until } from '../support/wait.js';
import { importUsage, writeImportFiles } from '../support/import-data.js';
import {
  confirmedBatches,
  fileArgs,
  importCli,
  importedState,
  importServer,
  readErrors,
  readSummary,
  spawnImport,
  tempDir,
  writeJson,
  WRITES,
} from './support.js';

const env = importServer();
const files = fileArgs;

describe('tollgate import', () => {
  describe('invalid records', () => {
    const seed = (dir: string) => ({
      customers: writeJson(dir, 'customers.json', {
        customers: [
          { customerId: 'c-1', email: 'c1@example.com' },
          { name: 'no id' },
          { customerId: 'c-1', name: 'again' },
          { customerId: 'c-3', updatedAt: 'yesterday' },
          { customerId: 'c-4' },
          { customerId: 'c-5' },
        ],
      }),
      subscriptions: writeJson(dir, 'subscriptions.json', {
        subscriptions: [
          { customerId: 'c-1', planId: 'plan-free' },
          { customerId: 'c-4', planId: 'plan-nope' },
          { customerId: 'c-1', planId: 'plan-pro', billingPeriod: 'MONTHLY' },
          { customerId: 'c-3', planId: 'plan-free' },
          {
            customerId: 'c-4',
            planId: 'plan-enterprise',
            entitlements: [
              {
                feature: { featureId: 'feature-seats', usageLimit: 5 },
                credit: { customCurrencyId: 'cur', amount: 1, cadence: 'MONTH' },
              },
            ],
          },
          { customerId: 'c-5', planId: 'plan-free', startDate: '01/02/2026' },
          { customerId: 'customer-nosub', planId: 'plan-free' },
          { planId: 'plan-free' },
          { customerId: 'c-4', planId: 'plan-free', addons: [{ addonId: 'addon-extra-seats', quantity: 1 }] },
        ],
      }),
      usage: writeJson(dir, 'usage.json', {
        usages: [
          { customerId: 'c-1', featureId: 'feature-api-calls', usage: 5 },
          { customerId: 'c-1', featureId: 'feature-nope', usage: 1 },
          { customerId: 'c-1', featureId: 'feature-api-calls', usage: 7 },
          { customerId: 'c-1', featureId: 'feature-analytics', usage: 1 },
          { customerId: 'c-4', featureId: 'feature-seats', usage: -1 },
          { customerId: 'customer-free', featureId: 'feature-seats', usage: 2 },
          { customerId: 'c-5', featureId: 'feature-api-calls', usage: 3 },
        ],
      }),
    });
    const INVALID = [
      ['customers.json', 1, 'MISSING_FIELD'],
      ['customers.json', 2, 'DUPLICATE'],
      ['customers.json', 3, 'INVALID_DATE'],
      ['subscriptions.json', 1, 'UNKNOWN_PLAN'],
      ['subscriptions.json', 2, 'DUPLICATE'],
      ['subscriptions.json', 3, 'CUSTOMER_NOT_FOUND'],
      ['subscriptions.json', 4, 'FEATURE_AND_CREDIT'],
      ['subscriptions.json', 5, 'INVALID_DATE'],
      ['subscriptions.json', 7, 'MISSING_FIELD'],
      ['usage.json', 1, 'UNKNOWN_FEATURE'],
      ['usage.json', 2, 'DUPLICATE'],
      ['usage.json', 3, 'NOT_METERED'],
      ['usage.json', 4, 'INVALID_FIELD'],
    ] as const;

    it('--dry-run sends no write and lists every invalid record', async () => {
      const dir = tempDir();
      const run = await importCli(env.server, dir, [...files(seed(dir)), '--dry-run']);
      expect(run.code).toBe(EXIT.invalidInput);
      const calls = env.server.admin.stats().calls;
      for (const field of WRITES) expect(calls[field] ?? 0, field).toBe(0);
      for (const [file, index, code] of INVALID)
        expect(run.err).toMatch(new RegExp(`${file} #${index}[^\\n]*: ${code}: `));
      const reported = readErrors(dir).map((e) => [e.file.split('/').pop(), e.index, e.code]);
      expect(reported).toEqual(INVALID.map((x) => [...x]));
      expect(run.out).toContain('Dry run (nothing sent)');
      expect(existsSync(join(dir, 'checkpoint.json'))).toBe(false);
    });

    it('a real run imports the valid records, reports each invalid or refused one with file, index, key and reason, and exits "some records failed"', async () => {
      const dir = tempDir();
      const run = await importCli(env.server, dir, files(seed(dir)));
      expect(run.code, run.err).toBe(EXIT.failed);
      const errors = readErrors(dir);
      expect(
        errors.filter((e) => e.phase === 'validate').map((e) => [e.file.split('/').pop(), e.index, e.code]),
      ).toEqual(INVALID.map((x) => [...x]));
      // Refused by Stigg, not by validation: an add-on the plan does not allow (in the task); usage of a customer whose
      // subscription record was invalid, so nothing entitles it.
      const refused = errors.filter((e) => e.phase !== 'validate');
      expect(refused.map((e) => [e.phase, e.file.split('/').pop(), e.index, e.key])).toEqual([
        ['task', 'subscriptions.json', 8, 'c-4/plan-free'],
        ['send', 'usage.json', 6, 'c-5/feature-api-calls'],
      ]);
      for (const e of errors) {
        expect(e.reason).toBeTruthy();
        expect(e.record).toBeDefined();
      }
      expect(errors.find((e) => e.code === 'DUPLICATE' && e.entity === 'customers')).toMatchObject({
        key: 'c-1',
        record: { customerId: 'c-1', name: 'again' },
      });
      const state = env.server.admin.state();
      expect(state.customers.map((c) => c.customerId)).toEqual(expect.arrayContaining(['c-1', 'c-4', 'c-5']));
      expect(state.customers.find((c) => c.customerId === 'c-3')).toBeUndefined();
      expect(await stiggUsage(env.server, 'c-1')).toBe(5);
      expect(await stiggUsage(env.server, 'customer-free', 'feature-seats')).toBe(2);
      expect(readSummary(dir).entities.usage).toMatchObject({ records: 7, invalid: 4, imported: 2, failed: 1 });
      expect(run.out).toContain(`15 records are in ${join(dir, 'errors.jsonl')}`);
    });
  });

  it('killed mid-run, then --resume: finishes without sending a confirmed batch again', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 3000);
    env.server.admin.injectFault({ operations: ['reportUsageBulk'], latencyMs: 100 });
    const run = spawnImport(env.server, dir, [...files(data), '--rate', 'off', '--concurrency', '2']);
    await until(() => (confirmedBatches(dir).usage ?? 0) >= 6, 'usage batches confirmed', 60_000);
    run.child.kill('SIGKILL');
    await run.exited;
    await new Promise((r) => setTimeout(r, 500)); // requests the killed process had in flight reach the server's counters
    const confirmed = confirmedBatches(dir);
    const sentBefore = { ...env.server.admin.stats().calls };
    expect(confirmed).toMatchObject({ customers: 3, subscriptions: 3 });
    expect(confirmed.usage).toBeLessThan(30);

    env.server.admin.clearFaults();
    const notResumed = await importCli(env.server, dir, [...files(data), '--rate', 'off']);
    expect(notResumed.code).toBe(EXIT.checkpoint);
    expect(notResumed.err).toContain('--resume');
    const resumed = await importCli(env.server, dir, [...files(data), '--rate', 'off', '--resume']);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    const calls = env.server.admin.stats().calls;
    expect(calls.importCustomersBulk).toBe(sentBefore.importCustomersBulk);
    expect(calls.importSubscriptionsBulk).toBe(sentBefore.importSubscriptionsBulk);
    expect(calls.reportUsageBulk! - sentBefore.reportUsageBulk!).toBe(30 - confirmed.usage!);
    expect(readSummary(dir).entities.usage).toMatchObject({
      records: 3000,
      imported: 3000,
      resumed: confirmed.usage! * 100,
    });
    const state = importedState(env.server);
    expect(state.customers).toHaveLength(3000);
    expect(state.subscriptions).toHaveLength(3000);
    expect(state.usage.size).toBe(3000);
  }, 90_000);

  it('killed while a subscription task runs, then --resume: follows that task instead of sending its batch again', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 3000);
    env.server.admin.injectFault({ operations: ['importIntegrationTasks'], latencyMs: 400 });
    const run = spawnImport(env.server, dir, [...files(data), '--rate', 'off']);
    const pendingTask = () => {
      try {
        return JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).phases.subscriptions.task ?? null;
      } catch {
        return null;
      }
    };
    await until(() => pendingTask()?.batch === 1, 'the second subscription task started', 60_000);
    run.child.kill('SIGKILL');
    await run.exited;
    await new Promise((r) => setTimeout(r, 500));
    const task = pendingTask();
    expect(env.server.admin.stats().calls.importSubscriptionsBulk).toBe(2);
    env.server.admin.clearFaults();
    const resumed = await importCli(env.server, dir, [...files(data), '--rate', 'off', '--resume']);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    // Batch 0 confirmed before the kill, batch 1 followed by its task id, batch 2 sent: three imports in all.
    expect(env.server.admin.stats().calls.importSubscriptionsBulk).toBe(3);
    expect(task.taskId).toBeTruthy();
    expect(readSummary(dir).entities.subscriptions).toMatchObject({
      records: 3000,
      imported: 3000,
      created: 3000,
      failed: 0,
    });
    expect(importedState(env.server).subscriptions).toHaveLength(3000);
  }, 90_000);

  it('completes under rate limits and injected 429s and 5xx, with nothing lost or duplicated', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 4000);
    env.server.admin.setRateLimits({
      enabled: true,
      windowMs: 1000,
      perOperation: { importCustomersBulk: 2, importSubscriptionsBulk: 2, reportUsageBulk: 15 },
    });
    env.server.admin.injectFault({ operations: ['importCustomersBulk'], status: 500, count: 1 });
    env.server.admin.injectFault({ operations: ['importCustomersBulk'], status: 429, count: 1 });
    env.server.admin.injectFault({ operations: ['importSubscriptionsBulk'], errorCode: 'RateLimitExceeded', count: 2 });
    env.server.admin.injectFault({ operations: ['importIntegrationTasks'], status: 502, count: 2 });
    env.server.admin.injectFault({ operations: ['reportUsageBulk'], status: 503, count: 3 });
    env.server.admin.injectFault({ operations: ['reportUsageBulk'], dropAfterApply: true, count: 2 });
    const run = await importCli(env.server, dir, [...files(data), '--rate', 'off', '--concurrency', '4']);
    expect(run.code, run.err).toBe(EXIT.ok);
    const summary = readSummary(dir);
    for (const entity of ['customers', 'subscriptions', 'usage'])
      expect(summary.entities[entity]).toMatchObject({ records: 4000, imported: 4000, failed: 0 });
    expect(summary.entities.customers.retries).toBeGreaterThanOrEqual(2);
    expect(summary.entities.subscriptions.retries).toBeGreaterThanOrEqual(2);
    expect(summary.entities.usage.retries).toBeGreaterThanOrEqual(5);
    expect(run.status).toMatch(/retrying in \d+ ms/);
    const state = importedState(env.server);
    expect(state.customers).toHaveLength(4000);
    expect(new Set(state.subscriptions.map((s) => s.customerId)).size).toBe(4000);
    expect(state.subscriptions).toHaveLength(4000);
    for (let i = 0; i < 4000; i += 397)
      expect(state.usage.get(`imp-${i}\u0001\u0001feature-api-calls`)).toBe(importUsage(i).usage);
  }, 120_000);

  it('stops when Stigg stays unreachable past the retries, keeping the checkpoint; --resume finishes once it answers', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 1000);
    env.server.admin.injectFault({ operations: ['reportUsageBulk'], status: 503 });
    const down = await importCli(env.server, dir, [...files(data), '--rate', 'off', '--max-retries', '2']);
    expect(down.code).toBe(EXIT.unreachable);
    expect(down.err).toContain('--resume');
    expect(readErrors(dir), 'nothing reported as failed: it was never refused').toEqual([]);
    expect(confirmedBatches(dir)).toMatchObject({ customers: 1, subscriptions: 1, usage: 0 });
    env.server.admin.clearFaults();
    const resumed = await importCli(env.server, dir, [...files(data), '--rate', 'off', '--resume']);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    expect(readSummary(dir).entities.usage).toMatchObject({ imported: 1000, failed: 0 });
    expect(importedState(env.server).usage.size).toBe(1000);
  }, 60_000);

  it('Ctrl-C finishes what is in flight, exits "interrupted", and --resume completes the run', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 2000);
    env.server.admin.injectFault({ operations: ['reportUsageBulk'], latencyMs: 50 });
    let stop!: (signal: string) => void;
    const stopped = new Promise<string>((r) => (stop = r));
    const run = await importCli(env.server, dir, [...files(data), '--rate', 'off', '--concurrency', '1'], {
      stop: stopped,
      onStatus: (t) => t.includes('importing usage') && setTimeout(() => stop('SIGINT'), 200),
    });
    expect(run.code).toBe(EXIT.interrupted);
    expect(run.err).toContain('--resume');
    const confirmed = confirmedBatches(dir).usage!;
    expect(confirmed).toBeGreaterThan(0);
    expect(confirmed).toBeLessThan(20);
    expect(env.server.admin.stats().calls.reportUsageBulk).toBe(confirmed);
    env.server.admin.clearFaults();
    const resumed = await importCli(env.server, dir, [...files(data), '--rate', 'off', '--resume']);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    expect(env.server.admin.stats().calls.reportUsageBulk).toBe(20);
    expect(importedState(env.server).usage.size).toBe(2000);
    expect(existsSync(join(dir, 'checkpoint.json')), 'a finished run leaves no checkpoint').toBe(false);
  }, 60_000);

  it('says nothing was sent when Stigg cannot be reached before the import starts', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 10);
    const gone = await startStiggLocal({ port: 0, log: () => {} });
    await gone.close();
    const run = await importCli(gone, dir, [...files(data), '--max-retries', '1']);
    expect(run.code).toBe(EXIT.unreachable);
    expect(run.err).toContain('nothing was sent; run again once Stigg answers');
  });

  it('a refused key exits with the authentication code, sends nothing and never prints the key', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 10);
    const key = 'env.server-not-the-right-key-7f3a9c';
    const run = await importCli(env.server, dir, files(data), { key });
    expect(run.code).toBe(EXIT.unauthenticated);
    expect(run.err).toContain('refused the API key');
    expect(`${run.out}${run.err}${run.status}`).not.toContain(key);
    for (const field of WRITES) expect(env.server.admin.stats().calls[field] ?? 0).toBe(0);
  });

  it('a file that is not plain JSON stops the run before anything is sent, naming line and column', async () => {
    const dir = tempDir();
    const data = await writeImportFiles(dir, 10);
    const usage = join(dir, 'usage.json');
    const text = readFileSync(usage, 'utf8').replace('"usages": [\n', '"usages": [\n    // from the old system\n');
    const bad = join(dir, 'bad-usage.json');
    (await import('node:fs')).writeFileSync(bad, text);
    const run = await importCli(env.server, dir, [
      '--customers',
      data.customers,
      '--subscriptions',
      data.subscriptions,
      '--usage',
      bad,
    ]);
    expect(run.code).toBe(EXIT.invalidInput);
    expect(run.err).toContain(`${bad}:3:5: comments are not JSON`);
    expect(run.err).toContain('Nothing was sent');
    for (const field of WRITES) expect(env.server.admin.stats().calls[field] ?? 0).toBe(0);
  });

  it('imports the legacy single file; --retry-failed re-sends only the failures once they can succeed', async () => {
    const dir = tempDir();
    const legacy = writeJson(dir, 'legacy.json', {
      customers: [
        {
          customerId: 'old-1',
          name: 'Old One',
          subscription: { planId: 'plan-pro', billingPeriod: 'MONTHLY' },
          featuresUsage: { 'feature-api-calls': 9 },
        },
        {
          customerId: 'old-2',
          name: 'Old Two',
          subscription: { planId: 'plan-team', startDate: '2026-01-01T00:00:00Z' },
          featuresUsage: { 'feature-api-calls': 4 },
        },
      ],
    });
    const first = await importCli(env.server, dir, ['--legacy', legacy]);
    expect(first.code).toBe(EXIT.failed);
    expect(await stiggUsage(env.server, 'old-1')).toBe(9);
    const failed = readErrors(dir);
    expect(failed.map((e) => [e.entity, e.key, e.code])).toEqual([
      ['subscriptions', 'old-2/plan-team', 'UNKNOWN_PLAN'],
      ['usage', 'old-2/feature-api-calls', 'NoFeatureEntitlementInSubscription'],
    ]);

    // A retry that stops before sending (here: a refused key) leaves the report where it was, to be retried again.
    expect((await importCli(env.server, dir, ['--retry-failed'], { key: 'env.server-wrong' })).code).toBe(
      EXIT.unauthenticated,
    );
    expect(readErrors(dir)).toHaveLength(2);
    expect(existsSync(join(dir, 'errors.retried.jsonl'))).toBe(false);

    const catalog = structuredClone(env.server.admin.catalog()) as unknown as { plans: Record<string, unknown>[] };
    catalog.plans.push({
      id: 'plan-team',
      product: 'product-tollgate-demo',
      displayName: 'Team',
      pricingType: 'FREE',
      entitlements: [{ feature: 'feature-api-calls', limit: 1000 }],
    });
    env.server.admin.publishCatalog(catalog);
    env.server.admin.resetStats();
    const retry = await importCli(env.server, dir, ['--retry-failed']);
    expect(retry.code, retry.err).toBe(EXIT.ok);
    expect(env.server.admin.stats().calls.importCustomersBulk ?? 0).toBe(0);
    expect(env.server.admin.stats().calls.importSubscriptionsBulk).toBe(1);
    expect(await stiggUsage(env.server, 'old-2')).toBe(4);
    expect(readErrors(dir)).toEqual([]);
    expect(readErrors(dir, 'errors.retried.jsonl')).toHaveLength(2);
  });
});
