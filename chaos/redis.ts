/**
 * A real redis-server with an append-only file in a temp dir, written and fsynced before each reply
 * (`appendfsync always`), so that a SIGKILL loses nothing it acknowledged and a restart on the same port and dir
 * reads it back. (With `everysec`, Redis postpones the write while a slow fsync runs and still replies: a SIGKILL
 * then loses up to about two seconds of acknowledged commits, the README's bound for that setting.)
 * SIGSTOP/SIGCONT freeze it like a hung server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ping } from '../test/support/redis.js';

export class PersistentRedis {
  private child: ChildProcess | null = null;
  private paused = false;
  /** Exits we did not cause (code or signal, with the time). */
  readonly unexpectedExits: string[] = [];
  starts = 0;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<PersistentRedis> {
    const redis = new PersistentRedis(await freePort(), await mkdtemp(join(tmpdir(), 'tollgate-chaos-redis-')));
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    this.starts += 1;
    child.once('exit', (code, signal) => {
      if (this.child === child) {
        this.child = null;
        this.unexpectedExits.push(
          `redis-server exited (code ${code}, signal ${signal}) at ${new Date().toISOString()}`,
        );
      }
    });
    const failed = new Promise<never>((_, reject) =>
      child.once('error', (err) => reject(new Error(`cannot start redis-server: ${err.message}`))),
    );
    const deadline = Date.now() + 15_000;
    while (!(await Promise.race([ping(this.port), failed]))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL, as a crash would; `start()` brings it back with its AOF. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    this.paused = false;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGSTOP: connections stay open, nothing is answered. */
  pause(): void {
    if (this.child && !this.paused) {
      this.child.kill('SIGSTOP');
      this.paused = true;
    }
  }

  resume(): void {
    if (this.child && this.paused) {
      this.child.kill('SIGCONT');
      this.paused = false;
    }
  }

  async close(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
