import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DrainReport, Options, Tollgate } from '@tollgate/core';

export type Framework = 'express' | 'hono' | 'nest';

/** The parent's handle on a `metered-app` process. */
export class AppProcess {
  /** The drain report a SIGTERM'd app prints before exiting. */
  readonly drained: Promise<DrainReport>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly framework: Framework,
    lines: AsyncIterable<string>,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.drained = (async () => {
      for await (const line of lines)
        if (line.includes('"drained"')) return (JSON.parse(line) as { drained: DrainReport }).drained;
      throw new Error(`${framework} app exited without a drain report: ${this.stderr.join('').slice(-2000)}`);
    })();
    this.drained.catch(() => {});
  }

  static async start(options: {
    framework: Framework;
    stiggUrl: string;
    redisUrl?: string | null;
    tollgate?: Partial<Options>;
  }): Promise<AppProcess> {
    const file = fileURLToPath(new URL('./metered-app.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--conditions=@tollgate/source', '--import', 'tsx', file, JSON.stringify(options)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const stderr: string[] = [];
    child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await Promise.race([
      lines.next(),
      new Promise<never>((_, reject) =>
        child.once('exit', (code) =>
          reject(
            new Error(`${options.framework} app exited with ${code} before listening: ${stderr.join('').slice(-2000)}`),
          ),
        ),
      ),
    ]);
    if (first.done) {
      // Its output ended before it listened: it is exiting; say why.
      await new Promise((r) =>
        child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(null),
      );
      throw new Error(
        `${options.framework} app exited with ${child.exitCode ?? child.signalCode} before listening: ${stderr.join('').slice(-2000)}`,
      );
    }
    const { url } = JSON.parse(first.value as string) as { url: string };
    const app = new AppProcess(child, url, options.framework, { [Symbol.asyncIterator]: () => lines });
    app.stderr.push(...stderr);
    child.stderr!.on('data', (d: Buffer) => app.stderr.push(d.toString()));
    return app;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The app's `tollgate.metrics()`, RSS and error count (a fresh connection each time: no keep-alive race). */
  async metrics(): Promise<ReturnType<Tollgate['metrics']> & { rss: number; errors: number }> {
    return (await (await fetch(`${this.url}/__metrics`, { headers: { connection: 'close' } })).json()) as never;
  }

  /** Whether this app delivers the fleet's usage now; false when it does not answer. */
  async isLeader(): Promise<boolean> {
    return this.running
      ? this.metrics().then(
          (m) => m.usage.deliveryLeader,
          () => false,
        )
      : false;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM and wait for the drain report and the exit. */
  async stop(): Promise<DrainReport | null> {
    if (!this.running) return null;
    this.kill('SIGTERM');
    const [report] = await Promise.all([this.drained.catch(() => null), this.exited]);
    return report;
  }
}
