import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '@tollgate/cli';

function io(stop: Promise<string> = new Promise(() => {})) {
  const out: string[] = [];
  const err: string[] = [];
  const sink: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), untilStopped: () => stop };
  return { sink, out, err };
}

/** Waits for the server's first line (loading the command and starting the server take a while on a busy machine). */
async function listening(out: string[]): Promise<void> {
  const end = Date.now() + 10_000;
  while (!out.some((l) => l.includes('listening on'))) {
    if (Date.now() > end) throw new Error(`stigg-local did not start: ${out.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('tollgate local', () => {
  it('serves the demo catalog until stopped, printing where to reach it', async () => {
    let stop!: (signal: string) => void;
    const { sink, out } = io(new Promise((r) => (stop = r)));
    const exit = runCli(['local', '--port', '0'], sink);
    await listening(out);
    const url = /listening on (http:\/\/\S+)/.exec(out.join('\n'))?.[1];
    expect(url).toBeDefined();
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' },
      body: JSON.stringify({
        query: '{ cachedEntitlements(query: {customerId: "customer-pro"}) { feature { refId } } }',
      }),
    });
    expect(((await res.json()) as any).data.cachedEntitlements).toHaveLength(5);
    stop('SIGTERM');
    expect(await exit).toBe(0);
    expect(out.join('\n')).toContain('SIGTERM, shutting down');
  });

  it('does not print a key it was given', async () => {
    let stop!: (signal: string) => void;
    const { sink, out } = io(new Promise((r) => (stop = r)));
    const exit = runCli(['local', '--port', '0', '--api-key', 'server-secret-123'], sink);
    await listening(out);
    stop('SIGINT');
    expect(await exit).toBe(0);
    expect(out.join('\n')).not.toContain('server-secret-123');
  });

  it('exits 2 with the catalog problems for an invalid catalog', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const file = join(dir, 'catalog.json');
    writeFileSync(file, JSON.stringify({ products: [], features: [], plans: [{ id: 'p' }] }));
    const { sink, err } = io();
    expect(await runCli(['local', '--port', '0', '--catalog', file], sink)).toBe(2);
    expect(err.join('\n')).toMatch(/plans\[0\]\.displayName: is required/);
  });

  it('exits 2 on bad arguments and unknown commands', async () => {
    const a = io();
    expect(await runCli(['local', '--port', 'abc'], a.sink)).toBe(2);
    expect(a.err.join('\n')).toContain('--port must be a whole number');
    const b = io();
    expect(await runCli(['local', '--nope'], b.sink)).toBe(2);
    const c = io();
    expect(await runCli(['frobnicate'], c.sink)).toBe(2);
    expect(c.err.join('\n')).toContain('unknown command "frobnicate"');
  });
});
