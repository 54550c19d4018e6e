import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * Starts a TypeScript server file in its own process (so it does not share a CPU with the load generator) and
 * resolves with the first JSON line it prints, e.g. `{"url": "http://127.0.0.1:1234"}`.
 */
export async function startChild<T>(
  file: string,
  args: string[] = [],
  options: { cpu?: number; runtime?: 'node' | 'bun'; nodeArgs?: string[] } = {},
): Promise<{ info: T; stop(): Promise<void> }> {
  // Packages resolve to their builds (dist), as in production; only the server file itself is TypeScript (which
  // Bun runs as it is).
  const argv =
    options.runtime === 'bun'
      ? [fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url)), file, ...args]
      : [process.execPath, ...(options.nodeArgs ?? []), '--import', 'tsx', file, ...args];
  // Pinned to one core when asked (and `taskset` exists), apart from the load generator.
  const pinned = options.cpu !== undefined && hasTaskset() ? ['taskset', '-c', String(options.cpu), ...argv] : argv;
  const child: ChildProcess = spawn(pinned[0]!, pinned.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<T>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before it was ready`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as T));
  });
  return {
    info,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

let taskset: boolean | null = null;
/** Whether `taskset` (util-linux) is here to pin processes to cores. */
export function hasTaskset(): boolean {
  taskset ??= spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
  return taskset;
}

/** Pins this process to one core (when `taskset` exists); false when it could not. */
export function pinSelf(cpu: number): boolean {
  return (
    hasTaskset() &&
    spawnSync('taskset', ['-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' }).status === 0
  );
}
