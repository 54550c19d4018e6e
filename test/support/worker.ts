import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CheckRequest, Decision, DrainReport, EnterRequest, Tollgate } from '@tollgate/core';
import { runtimeCommand, type OtherRuntime } from './runtimes.js';

type WorkerMessage = {
  id?: number;
  result?: unknown;
  type?: string;
  change?: { customerId: string; kind: string };
  at?: number;
  runtime?: string;
};

/** How the parent and a worker talk: Node's IPC channel, or lines of JSON on stdio for Bun and Deno. */
interface Channel {
  onMessage(listener: (message: WorkerMessage) => void): void;
  post(message: Record<string, unknown>): void;
}

function channelOf(child: ChildProcess, overStdio: boolean): Channel {
  if (!overStdio)
    return {
      onMessage: (listener) => child.on('message', listener),
      post: (message) => child.send(message),
    };
  const lines = createInterface({ input: child.stdout! });
  return {
    onMessage: (listener) =>
      lines.on('line', (line) => {
        if (line.startsWith('{')) listener(JSON.parse(line) as WorkerMessage);
        else console.info(line); // whatever else the worker printed
      }),
    post: (message) => child.stdin!.write(`${JSON.stringify(message)}\n`),
  };
}

/** The parent's handle on a `tollgate-worker` process (on Node by default, or on Bun or Deno). */
export class TollgateWorker {
  private nextId = 1;
  private readonly pending = new Map<number, (v: unknown) => void>();
  /** Pushes this worker applied, with the time it applied them. */
  readonly updates: { change: { customerId: string; kind: string }; at: number }[] = [];
  /** The report a SIGTERM'd worker sends after draining. */
  readonly drained: Promise<{ report: DrainReport; committed: number }>;
  private readonly ready: Promise<void>;
  /** The runtime the worker reported it runs on (`node`, `bun`, `deno`). */
  runtime = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly channel: Channel,
  ) {
    this.drained = new Promise((resolve) => channel.onMessage((m) => m.type === 'drained' && resolve(m as never)));
    this.ready = new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      channel.onMessage((m) => {
        if (m.type !== 'ready') return;
        this.runtime = m.runtime!;
        resolve();
      });
    });
    channel.onMessage((m) => {
      if (m.type === 'updated') this.updates.push({ change: m.change!, at: m.at! });
      if (m.id !== undefined) {
        this.pending.get(m.id)?.(m.result);
        this.pending.delete(m.id);
      }
    });
  }

  static async start(
    baseUrl: string,
    redisUrl: string,
    options: Record<string, unknown> = {},
    runtime: 'node' | OtherRuntime = 'node',
  ): Promise<TollgateWorker> {
    const file = fileURLToPath(new URL('./tollgate-worker.ts', import.meta.url));
    const args = [baseUrl, redisUrl, JSON.stringify(options)];
    let worker: TollgateWorker;
    if (runtime === 'node') {
      const child = fork(file, args, {
        execArgv: ['--conditions=@tollgate/source', '--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      worker = new TollgateWorker(child, channelOf(child, false));
    } else {
      const [command, runtimeArgs] = runtimeCommand(runtime, file);
      const child = spawn(command, [...runtimeArgs, ...args], {
        env: { ...process.env, TOLLGATE_WORKER_STDIO: '1', NO_COLOR: '1' },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      worker = new TollgateWorker(child, channelOf(child, true));
    }
    await worker.ready;
    return worker;
  }

  private call<T>(message: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.pending.set(id, resolve as (v: unknown) => void);
      this.channel.post({ ...message, id });
    });
  }

  check(request: CheckRequest): Promise<Decision> {
    return this.call({ type: 'check', request });
  }

  metered(request: EnterRequest, handlerMs = 0): Promise<{ allowed: boolean; duplicate: boolean }> {
    return this.call({ type: 'metered', request, handlerMs });
  }

  /** `count` concurrent metered requests; resolves with how many were allowed. */
  burst(request: EnterRequest, count: number): Promise<number> {
    return this.call({ type: 'burst', request, count });
  }

  signal(signal: NodeJS.Signals): Promise<void> {
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill(signal);
    return exited;
  }

  metrics(): Promise<ReturnType<Tollgate['metrics']>> {
    return this.call({ type: 'metrics' });
  }

  async close(): Promise<{ report: DrainReport; committed: number } | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return null;
    const exited = new Promise((r) => this.child.once('exit', r));
    const result = await Promise.race([
      this.call<{ report: DrainReport; committed: number }>({ type: 'close' }),
      exited.then(() => null),
    ]);
    await exited;
    return result;
  }
}
