import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A script run as `node --conditions=@tollgate/source --import tsx <script> ...args`, its stdout read line by line. */
export class ChildScript {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stderr = '';
  private waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  private readonly killTimer: NodeJS.Timeout;

  constructor(
    script: string,
    args: string[],
    /** Killed (SIGKILL) after this long: a hang fails the test instead of hanging it. */
    maxLifeMs: number,
  ) {
    const file = fileURLToPath(new URL(script, import.meta.url));
    const child: ChildProcess = spawn(
      process.execPath,
      ['--conditions=@tollgate/source', '--import', 'tsx', file, ...args],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    let buffer = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        this.lines.push(line);
        for (const w of this.waiters.filter((w) => w.match(line))) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.killTimer = setTimeout(() => child.kill('SIGKILL'), maxLifeMs);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        clearTimeout(this.killTimer);
        resolve({ code, signal, at: Date.now() });
      }),
    );
  }

  private readonly child: ChildProcess;

  /** The first line (already printed or to come) starting with `prefix`; rejects if the child exits first. */
  line(prefix: string): Promise<string> {
    const seen = this.lines.find((l) => l.startsWith(prefix));
    if (seen !== undefined) return Promise.resolve(seen);
    return Promise.race([
      new Promise<string>((resolve) => this.waiters.push({ match: (l) => l.startsWith(prefix), resolve })),
      this.exited.then(({ code, signal }) => {
        throw new Error(
          `child exited (${code ?? signal}) before printing "${prefix}"; output:\n${this.lines.join('\n')}\n${this.stderr}`,
        );
      }),
    ]);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  output(): string {
    return `${this.lines.join('\n')}\n${this.stderr}`;
  }
}

/** A port nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Accepts TCP connections and never answers on them (a hung server, or a proxy that lost its upstream). */
export async function blackhole(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A TCP proxy to `targetPort`. `freeze()` makes every connection half-open: bytes stop flowing both ways but no
 * socket is closed, and new connections are accepted and never forwarded.
 */
export async function freezableProxy(
  targetPort: number,
): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
  };
  const server = createServer((client) => {
    track(client);
    if (frozen) return;
    const upstream = createConnection(targetPort, '127.0.0.1');
    track(upstream);
    client.on('data', (d) => !frozen && upstream.write(d));
    upstream.on('data', (d) => !frozen && client.write(d));
    client.once('close', () => !frozen && upstream.destroy());
    upstream.once('close', () => !frozen && client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => (frozen = true),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A GraphQL endpoint that answers 503 to the first `failures` requests, then an empty entitlement list. */
export async function flakyGraphql(
  failures: number,
): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server: HttpServer = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      if (requests <= failures) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { entitlements: [] } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
