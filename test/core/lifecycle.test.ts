/**
 * Lifecycle against a Stigg that is not there, in child processes (the claims are about Node exiting):
 * `ready()` rejects with UNAVAILABLE within its timeout and never lets Node exit while awaited; a read's retry
 * keeps the process alive; `close()` during an outage resolves within the drain deadline, in every state of the
 * stream's socket, with no unhandled rejection or uncaught exception.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startStiggLocal } from '@tollgate/stigg-local';
import { blackhole, ChildScript, flakyGraphql, freePort, freezableProxy } from '../support/child.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

const child = (mode: 'ready' | 'read' | 'outage', options: Record<string, unknown>, maxLifeMs = 20_000) =>
  new ChildScript('./lifecycle-child.ts', [JSON.stringify({ mode, options })], maxLifeMs);

const rejection = (line: string) => {
  const [, code, ms, ...message] = line.split(' ');
  return { code, ms: Number(ms), message: message.join(' ') };
};

describe('ready() when Stigg cannot be reached', () => {
  it('rejects with UNAVAILABLE for a port nobody listens on, after trying until its timeout; the script exits with its own code', async () => {
    const port = await freePort();
    const c = child('ready', {
      baseUrl: `http://127.0.0.1:${port}`,
      readyTimeoutMs: 1_500,
      stream: { reconnectBaseMs: 50, reconnectMaxMs: 200 },
    });
    const exit = await c.exited;
    const line = await c.line('REJECTED');
    expect(exit.code, c.output()).toBe(3);
    const r = rejection(line);
    expect(r.code).toBe('UNAVAILABLE');
    expect(r.ms).toBeGreaterThanOrEqual(1_450);
    expect(r.ms).toBeLessThan(1_500 + 500);
    expect(r.message).toContain(`Stigg could not be reached at http://127.0.0.1:${port}/graphql`);
    expect(r.message).toContain('ECONNREFUSED'); // the last failure, not only "no answer"

    expect(r.message).toMatch(/tried for \d+(\.\d+)? s/);
    expect(r.message).not.toContain('server-tollgate-local');
    expect(c.output()).not.toContain('UNHANDLED');
  });

  it('rejects within readyTimeoutMs when the port accepts connections and never answers', async () => {
    const hole = await blackhole();
    cleanups.push(() => hole.close());
    const c = child('ready', {
      baseUrl: `http://127.0.0.1:${hole.port}`,
      timeoutMs: 400,
      maxAttempts: 5,
      readyTimeoutMs: 1_000,
    });
    const exit = await c.exited;
    expect(exit.code, c.output()).toBe(3);
    const r = rejection(await c.line('REJECTED'));
    expect(r.code).toBe('UNAVAILABLE');
    expect(r.ms).toBeGreaterThanOrEqual(950);
    expect(r.ms).toBeLessThan(1_000 + 400);
    expect(r.message).toContain(`Stigg could not be reached at http://127.0.0.1:${hole.port}/graphql`);
    expect(c.output()).toMatch(/CLOSED \d+/); // close() did not wait on the stream's pending connection attempt
    expect(c.output()).not.toContain('UNHANDLED');
  });

  it('resolves when Stigg comes up within its timeout (a deploy during a short outage still starts)', async () => {
    const port = await freePort();
    const c = child('ready', { baseUrl: `http://127.0.0.1:${port}`, readyTimeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    const server = await startStiggLocal({ port, log: () => {} });
    cleanups.push(() => server.close());
    await c.line('READY');
    c.signal('SIGTERM');
    await c.exited;
    expect(c.output()).not.toContain('REJECTED');
  });

  it('still rejects a bad key with UNAUTHENTICATED', async () => {
    const server = await startStiggLocal({ log: () => {} });
    cleanups.push(() => server.close());
    const c = child('ready', { baseUrl: server.url, apiKey: 'server-not-a-key' });
    const exit = await c.exited;
    expect(exit.code, c.output()).toBe(3);
    expect(rejection(await c.line('REJECTED')).code).toBe('UNAUTHENTICATED');
  });

  it('resolves against a live Stigg, and the script exits once closed', async () => {
    const server = await startStiggLocal({ log: () => {} });
    cleanups.push(() => server.close());
    const c = child('outage', { baseUrl: server.url });
    await c.line('COMMITTED');
    c.signal('SIGUSR2');
    const exit = await c.exited;
    expect(exit.code, c.output()).toBe(0);
    expect(JSON.parse((await c.line('CLOSED')).split(' ')[2]!)).toEqual({ delivered: 10, persisted: 0, dropped: 0 });
  });
});

describe('a read that has to retry', () => {
  it('keeps the process alive through the retry wait after a 503 (stream off)', async () => {
    const stigg = await flakyGraphql(1);
    cleanups.push(() => stigg.close());
    const c = child('read', { baseUrl: stigg.url, stream: false });
    const exit = await c.exited;
    expect(exit.code, c.output()).toBe(4);
    expect(await c.line('READ')).toBe('READ 0');
    expect(stigg.requests()).toBe(2);
  });
});

describe('close() during a Stigg outage', () => {
  const drainTimeoutMs = 2_000;
  const base = {
    stream: { reconnectBaseMs: 50, reconnectMaxMs: 200 },
    usage: { drainTimeoutMs, flushIntervalMs: 60_000 },
    // A delivery hanging on a dead connection gives up soon, so that the drain keeps its deadline.
    timeoutMs: 300,
    maxAttempts: 2,
  };

  /** Starts a child that commits 10 units, lets `outage` happen, then closes it; checks what close() did. */
  async function closeDuringOutage(baseUrl: string, outage: (c: ChildScript) => Promise<void>): Promise<void> {
    const c = child('outage', { ...base, baseUrl });
    await c.line('COMMITTED');
    await outage(c);
    c.signal('SIGUSR2');
    const closing = Date.now();
    const exit = await c.exited;
    expect(c.output()).not.toContain('UNHANDLED');
    expect(exit.code, c.output()).toBe(0);
    const [, ms, report] = (await c.line('CLOSED')).split(' ');
    expect(Number(ms)).toBeLessThan(drainTimeoutMs + 1_000);
    expect(exit.at - closing, c.output()).toBeLessThan(drainTimeoutMs + 2_000); // exits on its own, nothing left open
    const r = JSON.parse(report!) as { delivered: number; persisted: number; dropped: number };
    expect(r.delivered + r.persisted + r.dropped).toBe(10);
  }

  for (const delayMs of [0, 40, 150]) {
    it(`resolves when Stigg is gone (connection refused), closing ${delayMs} ms after the drop (reconnect backoff)`, async () => {
      const server = await startStiggLocal({ log: () => {} });
      cleanups.push(() => server.close());
      await closeDuringOutage(server.url, async (c) => {
        await server.close();
        await c.line('STREAM disconnected');
        await new Promise((r) => setTimeout(r, delayMs));
      });
    });
  }

  for (const round of [1, 2, 3]) {
    it(`resolves while a connection attempt is pending (Stigg's port accepts and never answers), round ${round}`, async () => {
      const server = await startStiggLocal({ log: () => {} });
      cleanups.push(() => server.close());
      await closeDuringOutage(server.url, async (c) => {
        await server.close();
        const hole = await blackhole(server.port);
        cleanups.push(() => hole.close());
        await c.line('STREAM disconnected');
        await new Promise((r) => setTimeout(r, 300 + round * 50)); // past the longest backoff: an attempt is out
      });
    });
  }

  for (const round of [1, 2, 3]) {
    it(`resolves with a half-open stream (connected, the peer silent), round ${round}`, async () => {
      const server = await startStiggLocal({ log: () => {} });
      cleanups.push(() => server.close());
      const proxy = await freezableProxy(server.port);
      cleanups.push(() => proxy.close());
      await closeDuringOutage(`http://127.0.0.1:${proxy.port}`, async (c) => {
        expect(c.lines).toContain('STREAM connected');
        proxy.freeze();
        await new Promise((r) => setTimeout(r, round * 30));
      });
    });
  }
});
