/**
 * Core on a runtime that stops a request's work with its response (Cloudflare Workers: the `workerd` condition
 * picks src/runtime/edge.ts for `#runtime`; here it is mocked in): no stream, no spill file, stale entries
 * revalidated within the check, and usage delivered only through `backgroundWork()`. workerd itself runs the
 * Hono example in test/runtimes/hono-workerd.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../src/options.js';
import type { Tollgate } from '../src/tollgate.js';
import { commit, FakeStigg, tollgateOver } from './support/fake-stigg.js';

vi.mock('#runtime', async () => ({ runtime: (await import('../src/runtime/edge.js')).runtime }));

const made: Tollgate[] = [];
afterEach(async () => {
  for (const t of made.splice(0)) await t.close();
});

const check = (tollgate: Tollgate) => tollgate.check({ customerId: 'c', featureId: 'feature-api-calls' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('on a request-scoped runtime (Workers)', () => {
  it('turns the stream off, saying why unless stream: false says so, and ignores a spill file', () => {
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
    expect(resolveConfig({ apiKey: 'k', logger }).stream).toBeNull();
    expect(warnings).toEqual([expect.stringContaining('a connection lasts only as long as the request')]);
    warnings.length = 0;
    const config = resolveConfig({ apiKey: 'k', logger, stream: false, usage: { spillFile: '/tmp/usage.json' } });
    expect(config.stream).toBeNull();
    expect(config.usage.spillFile).toBeNull();
    expect(warnings).toEqual([expect.stringContaining('usage.spillFile needs a file system')]);
  });

  it('revalidates a stale entry within the check (no work left behind the response); serves it stale when Stigg cannot answer', async () => {
    const fake = new FakeStigg();
    const tollgate = tollgateOver(fake, { cache: { freshForWhileDisconnectedMs: 50 } }, made);
    expect((await check(tollgate)).currentUsage).toBe(0);
    expect(check(tollgate)).not.toBeInstanceOf(Promise); // fresh: answered from the isolate's cache
    await sleep(60);
    fake.usage = 5;
    const revalidated = check(tollgate);
    expect(revalidated).toBeInstanceOf(Promise); // stale: the check waits for Stigg
    expect(await revalidated).toMatchObject({ currentUsage: 5, isStale: false, isFallback: false });
    expect(fake.reads).toBe(2);
    await sleep(60);
    fake.down = true;
    expect(await check(tollgate)).toMatchObject({ hasAccess: true, currentUsage: 5, isStale: true, isFallback: false });
    expect(tollgate.metrics().staleServed).toBe(1);
  });

  it('delivers usage only through backgroundWork(): no interval outlives the request that set it', async () => {
    const fake = new FakeStigg();
    const tollgate = tollgateOver(fake, { usage: { flushIntervalMs: 20 } }, made);
    expect(tollgate.hasBackgroundWork).toBe(false);
    await commit(tollgate);
    expect(tollgate.hasBackgroundWork).toBe(true);
    await sleep(200); // ten flush intervals
    expect(fake.reports).toEqual([]);
    const handedOver = tollgate.backgroundWork();
    expect(tollgate.hasBackgroundWork).toBe(false); // taken on: the next request has nothing to hand over
    await handedOver;
    expect(fake.reportedUnits).toBe(1);
  });
});
