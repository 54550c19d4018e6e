import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import KeyvRedis, { createCluster, createKeyv, createSentinel, Keyv } from '@keyv/redis';

/**
 * The Keyv store (@keyv/redis) an app would build for a Redis URL: `redis://host:port` (one server), or a topology's
 * URL from redis-topology.ts: `redis+cluster://host:port,host:port` (node-redis `createCluster`, every node listed a
 * root node) or `redis+sentinel://host:port,host:port/name` (node-redis `createSentinel` on those sentinels).
 * Connected on first use; a failed connection does not throw (Tollgate goes on without the store).
 */
export function createRedisStore(url: string): Keyv {
  const topology = /^redis\+(cluster|sentinel):\/\/([^/]+)(?:\/(.+))?$/.exec(url);
  if (!topology) return createKeyv(url, { throwOnConnectError: false });
  const nodes = topology[2]!.split(',').map((address) => {
    const [host, port] = address.split(':');
    return { host: host!, port: Number(port) };
  });
  const client =
    topology[1] === 'cluster'
      ? createCluster({ rootNodes: nodes.map((socket) => ({ socket })) })
      : createSentinel({ name: topology[3]!, sentinelRootNodes: nodes });
  return new Keyv(new KeyvRedis(client, { throwOnConnectError: false }), { useKeyPrefix: false });
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether a redis-server answers PING on this loopback port. */
export async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(200);
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

/**
 * A real redis-server on a free port, in memory only. `stop()` kills it (SIGKILL, as a crash would);
 * `start()` brings it back on the same port.
 */
export class RedisServer {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const failed = new Promise<never>((_, reject) =>
      this.child!.once('error', (err) =>
        reject(new Error(`cannot start redis-server (is it installed? .ci/run installs it): ${err.message}`)),
      ),
    );
    const deadline = Date.now() + 10_000;
    while (!(await Promise.race([ping(this.port), failed]))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends the server a signal: SIGSTOP freezes it (connections stay open, nothing is answered), SIGCONT thaws it. */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
