/**
 * The Hono example app, unchanged, on Bun and Deno (installed from the npm registry as the `bun` and `deno`
 * packages), with its embedded stigg-local on loopback: 200 for an entitled customer, 403 problem+json for a denied
 * one, 402 at the limit, and Stigg's usage equal to the successful metered requests (demo-walkthrough.ts). Node
 * runs it in test/examples.test.ts, Cloudflare's workerd in hono-workerd.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/redis.js';
import { runtimeCommand, type OtherRuntime } from '../support/runtimes.js';
import { until } from '../support/wait.js';
import { walkThroughDemoApi } from './demo-walkthrough.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

const running: ChildProcess[] = [];
afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

// Deno first: run after the Bun run in the same test process, the Deno app missed the usage push about half the
// time (never when run alone or first, nor by hand); the cause is not found yet.
describe.each<OtherRuntime>(['deno', 'bun'])('the Hono example on %s', (runtime) => {
  it('entitled 200, denied 403 problem+json, 402 at the limit; Stigg counts the successful metered requests', async () => {
    const [port, stiggPort] = [await freePort(), await freePort()];
    const [file, args] = runtimeCommand(runtime, join(root, 'examples/hono/src/main.ts'));
    const child = spawn(file, args, {
      cwd: join(root, 'examples/hono'),
      env: { ...process.env, PORT: String(port), STIGG_PORT: String(stiggPort), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await until(() => output.includes('Tollgate demo API') || child.exitCode !== null, `${runtime} to start`, 60_000);
    expect(child.exitCode, output).toBeNull();
    const { statuses, preset } = await walkThroughDemoApi({
      api: `http://127.0.0.1:${port}/api`,
      stigg: `http://127.0.0.1:${stiggPort}`,
      usageReachesApp: { how: 'the stream', withinMs: 10_000, stream: true },
    });
    console.info(`${runtime}: 200, 403, [${statuses.join(', ')}], Stigg usage ${preset} + 2`);
  }, 120_000);
});
