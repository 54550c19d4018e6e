/** "Stigg unreachable": a blackhole (every connection cut, new ones refused) and stalls (read, never answered). */
import http from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { API_KEY, entitlements, gql, start, waitFor } from './helpers.js';

let server: StiggLocal;
let agent: http.Agent;
const sockets: WebSocket[] = [];
beforeEach(async () => {
  server = await start();
  agent = new http.Agent({ keepAlive: true });
});
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  agent.destroy();
  await server.close();
});

const READ = `{ cachedEntitlements(query: {customerId: "customer-pro"}) { isGranted } }`;
const WRITE = `mutation { reportUsageBulk(input: {usages: [{customerId: "customer-pro", featureId: "feature-api-calls", value: 1}]}) { currentUsage } }`;

interface Answer {
  status: number;
  body: string;
  socket: Socket;
}

/** One request over node:http (keep-alive agent by default); rejects if the connection ends without an answer. */
function request(
  path: string,
  opts: { method?: string; body?: unknown; agent?: http.Agent | false } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let socket: Socket;
    const req = http.request(
      `${server.url}${path}`,
      {
        method: opts.method ?? 'GET',
        agent: opts.agent ?? agent,
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body, socket }));
        res.on('error', reject);
      },
    );
    // The response lets go of its socket once read: keep it, to watch a kept-alive connection.
    req.once('socket', (s) => (socket = s));
    req.on('error', reject);
    req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
  });
}

const graphql = (query: string, agentOpt?: http.Agent | false) =>
  request('/graphql', { method: 'POST', body: { query }, agent: agentOpt });

/** An open graphql-transport-ws WebSocket (no subscription needed: the connection is what a partition cuts). */
async function openStream(): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(`${server.wsUrl}/graphql`, 'graphql-transport-ws');
  sockets.push(ws);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, closed };
}

/** Whether a new WebSocket connection can be opened now. */
function streamOpens(): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.wsUrl}/graphql`, 'graphql-transport-ws');
    sockets.push(ws);
    ws.once('open', () => resolve(true));
    ws.once('error', () => resolve(false));
  });
}

/**
 * How a request ended: 'answered', or the error's name (`TimeoutError`) or message (`socket hang up`). Settled
 * into a value at once, since these fail while the test awaits something else.
 */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'answered',
    (err: Error) => (err.name === 'Error' ? err.message : err.name),
  );

const accepted = async () => (await graphql(READ, false).catch(() => null))?.status === 200;

describe('blackhole', () => {
  it('drops open keep-alive and WebSocket connections without a handshake, refuses new ones, then accepts again', async () => {
    const first = await graphql(READ);
    expect(first.status).toBe(200);
    const keptAlive = new Promise<void>((resolve) => first.socket.once('close', () => resolve()));
    expect(first.socket.destroyed).toBe(false); // idle in the agent's pool
    const stream = await openStream();
    await waitFor(() => server.admin.stats().streams === 1, 'stream open');

    expect(server.admin.blackhole(800)).toBe(2);
    await keptAlive;
    expect(await stream.closed).toBe(1006); // abnormal closure: no close frame was sent
    await waitFor(() => server.admin.stats().streams === 0, 'stream counted closed');

    await expect(graphql(READ)).rejects.toThrow();
    expect(await streamOpens()).toBe(false);

    await waitFor(accepted, 'connections accepted again');
    expect(await streamOpens()).toBe(true);
    expect((await graphql(READ)).status).toBe(200);
  });

  it('cuts a request in flight, and over HTTP answers the asking connection before closing it', async () => {
    server.admin.injectFault({ operations: ['cachedEntitlements'], latencyMs: 1_000, count: 1 });
    const inFlight = outcome(graphql(READ));
    await waitFor(() => server.admin.faults().length === 0, 'request in flight');

    const res = await fetch(`${server.url}/_admin/connections/blackhole`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: 0.8 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toEqual({ dropped: 1 });
    expect(await inFlight).toBe('socket hang up');

    await expect(
      fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY },
        body: JSON.stringify({ query: READ }),
      }),
    ).rejects.toThrow();
    await waitFor(accepted, 'connections accepted again');
  });
});

describe('HTTP stall', () => {
  it('reads GraphQL and Edge requests without answering while /_admin answers', async () => {
    server.admin.stallHttp(5_000);
    const post = outcome(
      fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({ query: READ }),
        signal: AbortSignal.timeout(200),
      }),
    );
    const edge = outcome(
      fetch(`${server.url}/v1/c/customer-pro/entitlements.json`, {
        headers: { 'x-api-key': API_KEY },
        signal: AbortSignal.timeout(200),
      }),
    );
    const stats = await fetch(`${server.url}/_admin/stats`);
    expect(stats.status).toBe(200);
    expect(await post).toBe('TimeoutError');
    expect(await edge).toBe('TimeoutError');
    expect(server.admin.stats().calls).toEqual({}); // never executed

    server.admin.stallHttp(0);
    expect((await gql(server, READ)).status).toBe(200);
  });

  it('destroys the stalled connections when the stall ends, never answering them late', async () => {
    // Long enough for the request to arrive inside it on a loaded machine; the hang-up is the stall's end.
    const t = Date.now();
    const res = await fetch(`${server.url}/_admin/http/stall`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: 1 }),
    });
    expect(await res.json()).toEqual({ ok: true });
    expect(await outcome(graphql(WRITE))).toBe('socket hang up');
    expect(Date.now() - t).toBeGreaterThanOrEqual(950);
    expect((await entitlements(server, 'customer-pro'))['feature-api-calls']?.currentUsage).toBe(0);
    expect((await graphql(READ)).status).toBe(200);
  });
});

describe('stall fault', () => {
  it("stalls the chosen operations for the fault's duration", async () => {
    const t = Date.now();
    server.admin.injectFault({ operations: ['reportUsageBulk'], stall: true, durationMs: 1_000 });
    const write = outcome(graphql(WRITE));
    expect((await graphql(READ)).status).toBe(200); // other operations answer
    expect(await write).toBe('socket hang up');
    expect(Date.now() - t).toBeGreaterThanOrEqual(950);
    expect(server.admin.stats().calls.reportUsageBulk).toBe(1); // received, never executed
    expect((await entitlements(server, 'customer-pro'))['feature-api-calls']?.currentUsage).toBe(0);
    expect((await graphql(WRITE)).status).toBe(200);
  });

  it('holds a counted stall until the fault is cleared', async () => {
    server.admin.injectFault({ operations: ['reportUsageBulk'], stall: true, count: 1 });
    const write = outcome(graphql(WRITE));
    await waitFor(() => server.admin.stats().calls.reportUsageBulk === 1, 'stalled');
    expect(server.admin.faults()).toEqual([]); // its one call is used
    expect((await graphql(WRITE, false)).status).toBe(200);
    server.admin.clearFaults();
    expect(await write).toBe('socket hang up');
  });
});
