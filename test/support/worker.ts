import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CheckRequest, Decision, DrainReport, EnterRequest, Tollgate } from '@tollgate/core';

/** The parent's handle on a `tollgate-worker` process. */
export class TollgateWorker {
  private nextId = 1;
  private readonly pending = new Map<number, (v: unknown) => void>();
  /** Pushes this worker applied, with the time it applied them. */
  readonly updates: { change: { customerId: string; kind: string }; at: number }[] = [];

  private constructor(private readonly child: ChildProcess) {
    this.drained = new Promise((resolve) =>
      child.on('message', (m: { type?: string }) => m.type === 'drained' && resolve(m as never)),
    );
    child.on(
      'message',
      (m: {
        id?: number;
        result?: unknown;
        type?: string;
        change?: { customerId: string; kind: string };
        at?: number;
      }) => {
        if (m.type === 'updated') this.updates.push({ change: m.change!, at: m.at! });
        if (m.id !== undefined) {
          this.pending.get(m.id)?.(m.result);
          this.pending.delete(m.id);
        }
      },
    );
  }

  /** The report a SIGTERM'd worker sends after draining. */
  drained: Promise<{ report: DrainReport; committed: number }>;

  static async start(
    baseUrl: string,
    redisUrl: string,
    options: Record<string, unknown> = {},
  ): Promise<TollgateWorker> {
    const file = fileURLToPath(new URL('./tollgate-worker.ts', import.meta.url));
    const child = fork(file, [baseUrl, redisUrl, JSON.stringify(options)], {
      execArgv: ['--conditions=@tollgate/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      child.on('message', (m: { type?: string }) => m.type === 'ready' && resolve());
    });
    return new TollgateWorker(child);
  }

  private call<T>(message: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.pending.set(id, resolve as (v: unknown) => void);
      this.child.send({ ...message, id });
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
