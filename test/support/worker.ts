import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CheckRequest, Decision, Metrics } from '@tollgate/core';

/** The parent's handle on a `tollgate-worker` process. */
export class TollgateWorker {
  private nextId = 1;
  private readonly pending = new Map<number, (v: unknown) => void>();
  /** Pushes this worker applied, with the time it applied them. */
  readonly updates: { change: { customerId: string; kind: string }; at: number }[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: { id?: number; result?: unknown; type?: string; change?: { customerId: string; kind: string }; at?: number }) => {
      if (m.type === 'updated') this.updates.push({ change: m.change!, at: m.at! });
      if (m.id !== undefined) {
        this.pending.get(m.id)?.(m.result);
        this.pending.delete(m.id);
      }
    });
  }

  static async start(baseUrl: string, redisUrl: string): Promise<TollgateWorker> {
    const file = fileURLToPath(new URL('./tollgate-worker.ts', import.meta.url));
    const child = fork(file, [baseUrl, redisUrl], { execArgv: ['--conditions=source', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

  metrics(): Promise<Metrics & { l2Errors: number; l2Available: boolean }> {
    return this.call({ type: 'metrics' });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    await Promise.race([this.call({ type: 'close' }), exited]);
    await exited;
  }
}
