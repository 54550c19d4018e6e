/**
 * The Hono example app, unchanged, on Cloudflare's workerd (through miniflare, a dev dependency): its Worker entry
 * (examples/hono/src/worker.ts) bundled as a Worker is bundled (the `workerd`, `worker` and `browser` conditions,
 * no Node built-ins, no `nodejs_compat`), in front of stigg-local on loopback. Without a stream, usage set in Stigg
 * reaches the app once the cache TTL has passed; usage the app commits reaches Stigg through `waitUntil` (timers
 * set by a request stop with it on Workers, so nothing else delivers it).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { build } from 'esbuild';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { afterEach, describe, expect, it } from 'vitest';
import { walkThroughDemoApi } from './demo-walkthrough.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** How long the Worker's cached entitlements answer without asking Stigg (TOLLGATE_CACHE_TTL_MS). */
const CACHE_TTL_MS = 2_000;

/** The Worker as wrangler bundles it (esbuild, its platform and conditions; the workspace packages from their sources). */
async function bundleWorker(): Promise<{ script: string; inputs: string[]; imports: string[] }> {
  const result = await build({
    entryPoints: [join(root, 'examples/hono/src/worker.ts')],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser', // wrangler's defaults: platform browser, conditions workerd, worker, browser
    target: 'es2022',
    conditions: ['@tollgate/source', 'workerd', 'worker', 'browser'],
    logLevel: 'silent',
  });
  const [output] = Object.values(result.metafile.outputs);
  return {
    script: result.outputFiles[0]!.text,
    inputs: Object.keys(result.metafile.inputs),
    imports: output!.imports.map((i) => i.path),
  };
}

const open: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.dispose();
});

describe('the Hono example on workerd (Cloudflare Workers)', () => {
  it('bundles for Workers with nothing left to import (no Node built-in) and the edge runtime description', async () => {
    const { inputs, imports } = await bundleWorker();
    // A Node built-in (`node:events`, `node:crypto`, ...) would fail the build or stay an import for workerd.
    expect(imports).toEqual([]);
    expect(inputs).toContain('packages/core/src/runtime/edge.ts');
    expect(inputs.filter((i) => /runtime\/(node|bun-deno)\.ts$|node_modules\/ws\//.test(i))).toEqual([]);
  });

  it('entitled 200, denied 403 problem+json, 402 at the limit; Stigg counts the successful metered requests', async () => {
    const stigg: StiggLocal = await startStiggLocal({ log: () => {} });
    open.push({ dispose: () => stigg.close() });
    let output = ''; // what the Worker and workerd print
    const mf = new Miniflare({
      modules: true,
      script: (await bundleWorker()).script,
      compatibilityDate: '2025-09-01',
      cf: false, // no request for Cloudflare's `request.cf` data: loopback only
      compatibilityFlags: [], // no nodejs_compat: core needs no Node API here
      bindings: {
        STIGG_SERVER_API_KEY: 'server-tollgate-local',
        STIGG_BASE_URL: stigg.url,
        TOLLGATE_CACHE_TTL_MS: String(CACHE_TTL_MS),
      },
      handleRuntimeStdio: (stdout, stderr) => {
        stdout.on('data', (d) => (output += d));
        stderr.on('data', (d) => (output += d));
      },
      log: new Log(LogLevel.WARN),
    });
    open.push(mf);
    const url = await mf.ready;
    const { statuses, preset } = await walkThroughDemoApi({
      api: new URL('/api', url).href,
      stigg: stigg.url,
      usageReachesApp: { how: 'the cache TTL', withinMs: CACHE_TTL_MS + 5_000 },
    });
    // No Tollgate warning or error, and no work left behind a finished request (workerd says so when a promise of
    // one request is settled from another, or a request's work is cut short).
    expect(output).not.toMatch(/tollgate:|request context|never generate a response|Uncaught/i);
    console.info(`workerd: 200, 403, [${statuses.join(', ')}], Stigg usage ${preset} + 2`);
  }, 120_000);
});
