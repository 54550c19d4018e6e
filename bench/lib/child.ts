import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Starts a TypeScript server file in its own process (so it does not share a CPU with the load generator) and
 * resolves with the first JSON line it prints, e.g. `{"url": "http://127.0.0.1:1234"}`.
 */
export async function startChild<T>(file: string, args: string[] = []): Promise<{ info: T; stop(): Promise<void> }> {
  // Packages resolve to their builds (dist), as in production; only the server file itself is TypeScript.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
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
