/**
 * Real distributed Redis topologies for tests, from `redis-server` on loopback ports in a temp dir: a Redis Cluster
 * (3 masters + 3 replicas, made by `redis-cli --cluster create`) and a Sentinel set (master + replica + 3 sentinels).
 * Every wait is on a condition (cluster_state:ok, the sentinels agreeing on the master), never a fixed sleep.
 * `killMasterOf(key)` (cluster) and `killMaster()` (sentinel) SIGKILL a master as a crash would and wait until its
 * replica serves in its place. Each topology has a `url` its clients are built from (`createRedisStore` in
 * redis.ts), so a test hands it to child processes like any redis:// URL. Data nodes run with appendonly yes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ping } from './redis.js';

const HOST = '127.0.0.1';

/** One redis-cli command against a loopback port; its reply as text (the empty string when the server does not answer). */
export function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', HOST, '-p', String(port), ...args], { timeout: 2_000 }, (err, stdout) =>
      resolve(err ? '' : stdout.trim()),
    );
  });
}

/** Polls `probe` every 50 ms until it returns a value other than undefined/false; fails with `what` after `ms`. */
async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `count` distinct free loopback ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** A `field:value` of an INFO / CLUSTER INFO reply. */
function field(reply: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(reply)?.[1]?.trim();
}

/** Every redis-server started here and still running: killed if this process exits without stopping them. */
const liveServers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveServers) child.kill('SIGKILL');
});

/** One redis-server process (a data node or a sentinel) with its directory. */
class Node {
  child: ChildProcess | null = null;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {}

  async start(): Promise<void> {
    const child = spawn('redis-server', this.args, { cwd: this.dir, stdio: 'ignore' });
    this.child = child;
    liveServers.add(child);
    child.once('exit', () => liveServers.delete(child));
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (err) =>
        reject(new Error(`cannot start redis-server (is it installed? .ci/run installs it): ${err.message}`)),
      );
      child.once('exit', (code) =>
        reject(new Error(`redis-server on port ${this.port} exited with ${code} while starting (port taken?)`)),
      );
    });
    failed.catch(() => {});
    await Promise.race([failed, waitFor(() => ping(this.port), `redis-server on port ${this.port}`, 10_000)]);
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL, as a crash: no shutdown, no final write. */
  async kill(): Promise<void> {
    await this.exit('SIGKILL');
  }

  /** SIGTERM (Redis shuts down cleanly), SIGKILL if it has not exited within 2 s. */
  async stop(): Promise<void> {
    const forced = setTimeout(() => this.child?.kill('SIGKILL'), 2_000);
    await this.exit('SIGTERM');
    clearTimeout(forced);
  }

  private async exit(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}

/** What a failover took: from the kill to the replica serving in its place. */
export interface Failover {
  /** The killed master's port and the port of the replica that replaced it. */
  killed: number;
  promoted: number;
  /** When the SIGKILL was sent (epoch ms). */
  killedAt: number;
  /** Milliseconds from the SIGKILL until the topology showed the promoted replica as master. */
  promotedAfterMs: number;
}

// Replicas sync at once (diskless sync otherwise waits 5 s for more replicas to join the transfer).
const DATA_NODE = [
  '--bind',
  HOST,
  '--protected-mode',
  'no',
  '--save',
  '',
  '--appendonly',
  'yes',
  '--appendfsync',
  'everysec',
  '--repl-diskless-sync-delay',
  '0',
];

/**
 * A Redis Cluster of `masters` masters with one replica each. `nodeTimeoutMs` is cluster-node-timeout: a master is
 * failed (and its replica elected) that long after it stops answering (Redis' default is 15 s; tests use 1 s).
 */
export class RedisClusterTopology {
  private constructor(
    private readonly dir: string,
    readonly nodes: Node[],
  ) {}

  static async start(options: { masters?: number; nodeTimeoutMs?: number } = {}): Promise<RedisClusterTopology> {
    const count = (options.masters ?? 3) * 2;
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-cluster-'));
    const nodes: Node[] = [];
    // Bus ports given explicitly: port + 10000 (the default) may be past 65535, or taken.
    const ports = await freePorts(count * 2);
    for (let i = 0; i < count; i++) {
      const [port, busPort] = [ports[i * 2]!, ports[i * 2 + 1]!];
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      nodes.push(
        new Node(port, nodeDir, [
          '--port',
          String(port),
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(busPort),
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          String(options.nodeTimeoutMs ?? 1_000),
          '--dir',
          nodeDir,
          ...DATA_NODE,
        ]),
      );
    }
    const topology = new RedisClusterTopology(dir, nodes);
    try {
      await Promise.all(nodes.map((n) => n.start()));
      const created = await new Promise<{ ok: boolean; output: string }>((resolve) =>
        execFile(
          'redis-cli',
          ['--cluster', 'create', ...nodes.map((n) => `${HOST}:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
          { timeout: 30_000 },
          (err, stdout, stderr) => resolve({ ok: !err, output: `${stdout}${stderr}` }),
        ),
      );
      if (!created.ok) throw new Error(`redis-cli --cluster create failed: ${created.output.slice(-2000)}`);
      await topology.waitHealthy();
    } catch (err) {
      await topology.stop();
      throw err;
    }
    return topology;
  }

  /** `redis+cluster://` with every node as a root node (see `createRedisStore`). */
  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `${HOST}:${n.port}`).join(',')}`;
  }

  /** Every running node says cluster_state:ok and knows the others, and every replica's link to its master is up. */
  async waitHealthy(ms = 20_000): Promise<void> {
    const live = this.nodes.filter((n) => n.running);
    await waitFor(
      async () => {
        for (const n of live) {
          const info = await redisCli(n.port, 'CLUSTER', 'INFO');
          if (field(info, 'cluster_state') !== 'ok' || Number(field(info, 'cluster_known_nodes')) !== this.nodes.length)
            return false;
          const replication = await redisCli(n.port, 'INFO', 'replication');
          if (field(replication, 'role') === 'slave' && field(replication, 'master_link_status') !== 'up') return false;
        }
        return true;
      },
      'the cluster to be healthy (cluster_state:ok on every node, replicas in sync)',
      ms,
    );
  }

  /** The masters a running node sees now (failed ones left out): port and slot ranges. */
  async masters(
    askPort = this.nodes.find((n) => n.running)!.port,
  ): Promise<{ port: number; slots: [number, number][] }[]> {
    const masters: { port: number; slots: [number, number][] }[] = [];
    // CLUSTER NODES: <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <state> <slot ranges...>
    for (const line of (await redisCli(askPort, 'CLUSTER', 'NODES')).split('\n')) {
      const [, address, flags, , , , , , ...ranges] = line.split(' ');
      if (!flags?.includes('master') || flags.includes('fail')) continue;
      const slots = ranges.filter((r) => /^\d/.test(r)).map((r) => r.split('-').map(Number) as [number, number?]);
      masters.push({
        port: Number(address!.split('@')[0]!.split(':')[1]),
        slots: slots.map(([from, to]) => [from, to ?? from]),
      });
    }
    return masters;
  }

  /** The port of the master serving `key`'s slot, as a running node sees it now. */
  async masterOf(key: string): Promise<number> {
    const node = this.nodes.find((n) => n.running)!;
    const slot = Number(await redisCli(node.port, 'CLUSTER', 'KEYSLOT', key));
    return this.masterOfSlot(node.port, slot);
  }

  private async masterOfSlot(askPort: number, slot: number): Promise<number> {
    const master = (await this.masters(askPort)).find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
    return master?.port ?? 0;
  }

  /**
   * SIGKILLs the master serving `key`'s slot (appendonly is on: a crash, not a lost disk), then waits until a
   * running node shows another master for that slot and the cluster says cluster_state:ok again.
   */
  async killMasterOf(key: string, ms = 20_000): Promise<Failover> {
    const killed = await this.masterOf(key);
    const victim = this.nodes.find((n) => n.port === killed);
    if (!victim) throw new Error(`no master found for ${key}`);
    const witness = this.nodes.find((n) => n.running && n !== victim)!;
    const slot = Number(await redisCli(witness.port, 'CLUSTER', 'KEYSLOT', key));
    await victim.kill();
    const killedAt = Date.now();
    const promoted = await waitFor(
      async () => {
        const port = await this.masterOfSlot(witness.port, slot);
        if (port === 0 || port === killed) return false;
        return field(await redisCli(witness.port, 'CLUSTER', 'INFO'), 'cluster_state') === 'ok' ? port : false;
      },
      `a replica to be promoted in place of ${killed}`,
      ms,
    );
    return { killed, promoted, killedAt, promotedAfterMs: Date.now() - killedAt };
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A master, its replica and 3 sentinels (quorum 2) monitoring it as `name`. `downAfterMs` is
 * down-after-milliseconds: the sentinels start a failover that long after the master stops answering.
 */
export class RedisSentinelTopology {
  /** The name the sentinels monitor the master under. */
  readonly name = 'tollgate';

  private constructor(
    private readonly dir: string,
    readonly data: Node[],
    readonly sentinels: Node[],
  ) {}

  static async start(options: { downAfterMs?: number } = {}): Promise<RedisSentinelTopology> {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-sentinel-'));
    const ports = await freePorts(5);
    const [masterPort, replicaPort, sentinelPorts] = [ports[0]!, ports[1]!, ports.slice(2)];
    const dataNode = (port: number, extra: string[]) => {
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      return new Node(port, nodeDir, ['--port', String(port), '--dir', nodeDir, ...DATA_NODE, ...extra]);
    };
    const master = dataNode(masterPort, []);
    const replica = dataNode(replicaPort, ['--replicaof', HOST, String(masterPort)]);
    const sentinels: Node[] = [];
    const topology = new RedisSentinelTopology(dir, [master, replica], sentinels);
    for (const port of sentinelPorts) {
      // A sentinel rewrites its configuration file (what it learns of the set): each has its own, writable.
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          'protected-mode no',
          `dir ${dir}`,
          `sentinel monitor ${topology.name} ${HOST} ${masterPort} 2`,
          `sentinel down-after-milliseconds ${topology.name} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${topology.name} 10000`,
          `sentinel parallel-syncs ${topology.name} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push(new Node(port, dir, [conf, '--sentinel']));
    }
    try {
      await master.start();
      await replica.start();
      await Promise.all(sentinels.map((s) => s.start()));
      await topology.waitHealthy();
    } catch (err) {
      await topology.stop();
      throw err;
    }
    return topology;
  }

  /** `redis+sentinel://` with the sentinels and the monitored name (see `createRedisStore`). */
  get url(): string {
    return `redis+sentinel://${this.sentinels.map((s) => `${HOST}:${s.port}`).join(',')}/${this.name}`;
  }

  /** The master's port as the first answering sentinel names it (0 when none answers). */
  async masterPort(): Promise<number> {
    for (const s of this.sentinels.filter((n) => n.running)) {
      const reply = (await redisCli(s.port, 'SENTINEL', 'get-master-addr-by-name', this.name)).split('\n');
      if (reply.length === 2) return Number(reply[1]);
    }
    return 0;
  }

  /**
   * Every sentinel names the same master, knows the other two sentinels and the replica, and the replica's link to
   * the master is up: a failover can reach its quorum.
   */
  async waitHealthy(ms = 20_000): Promise<void> {
    await waitFor(
      async () => {
        const masters = new Set<string>();
        for (const s of this.sentinels) {
          const reply = await redisCli(s.port, 'SENTINEL', 'master', this.name);
          const lines = reply.split('\n');
          const value = (name: string) => lines[lines.indexOf(name) + 1];
          if (
            !reply ||
            Number(value('num-other-sentinels')) !== this.sentinels.length - 1 ||
            Number(value('num-slaves')) < 1
          )
            return false;
          if (value('flags') !== 'master') return false;
          masters.add(value('port')!);
        }
        if (masters.size !== 1) return false;
        const master = Number([...masters][0]);
        const replica = this.data.find((n) => n.running && n.port !== master);
        return !replica || field(await redisCli(replica.port, 'INFO', 'replication'), 'master_link_status') === 'up';
      },
      'the sentinels to agree on the master and see its replica',
      ms,
    );
  }

  /** SIGKILLs the master, then waits until the sentinels name the replica as master and it has taken the role. */
  async killMaster(ms = 30_000): Promise<Failover> {
    const killed = await this.masterPort();
    const victim = this.data.find((n) => n.port === killed);
    if (!victim) throw new Error('the sentinels name no master');
    await victim.kill();
    const killedAt = Date.now();
    const promoted = await waitFor(
      async () => {
        const port = await this.masterPort();
        if (port === 0 || port === killed) return false;
        return field(await redisCli(port, 'INFO', 'replication'), 'role') === 'master' ? port : false;
      },
      `the sentinels to promote a replica in place of ${killed}`,
      ms,
    );
    return { killed, promoted, killedAt, promotedAfterMs: Date.now() - killedAt };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.data].map((n) => n.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
