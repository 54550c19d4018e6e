/**
 * The soak's app processes (one per framework) sharing one Redis: started, SIGKILLed or SIGTERMed and started
 * again in the same slot, watched for exits we did not cause, polled for RSS.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrainReport } from '@tollgate/core';
import { AppProcess, type Framework } from '../test/support/fleet/app-process.js';
import { sleep } from './rng.js';

export interface DrainRecord {
  at: number;
  framework: Framework;
  why: 'fault' | 'final' | 'extra';
  report: DrainReport | null;
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | null> =>
  Promise.race([p.catch(() => null), new Promise<null>((r) => setTimeout(() => r(null), ms).unref())]);

export class Fleet {
  apps: AppProcess[] = [];
  /** Slots being bounced by a fault now. */
  readonly busy = new Set<number>();
  readonly unexpectedExits: string[] = [];
  readonly restarts = { SIGKILL: 0, SIGTERM: 0 };
  /** Start attempts that failed (each retried). */
  startFailures: string[] = [];
  readonly drains: DrainRecord[] = [];
  /** Peak RSS (bytes) per framework, over every incarnation. */
  readonly peakRss: Partial<Record<Framework, number>> = {};
  /** Errors the apps' Tollgate logged (the last value seen per incarnation, summed). */
  private errors = new Map<AppProcess, number>();
  private signalled = new Map<AppProcess, NodeJS.Signals>();
  /** Every URL an app ever listened on, with its framework and incarnation. */
  private readonly byUrl = new Map<string, string>();
  /** URLs of apps that were sent SIGTERM (draining, then gone). */
  private readonly terminated = new Set<string>();
  private poller: NodeJS.Timeout | null = null;

  constructor(
    readonly frameworks: Framework[],
    private readonly stiggUrl: string,
    private readonly redisUrl: string,
    /** Each slot's `usage.spillFile` lives here: what a drain could not deliver, the slot's next app delivers. */
    private readonly spillDir: string,
  ) {}

  private spillFile(framework: Framework): string {
    return join(this.spillDir, `${framework}.json`);
  }

  /** Units left in the slots' spill files (none once every app that spilled was started again). */
  async spilledLeft(): Promise<{ framework: Framework; units: number }[]> {
    const out: { framework: Framework; units: number }[] = [];
    for (const framework of this.frameworks) {
      try {
        const content = JSON.parse(await readFile(this.spillFile(framework), 'utf8')) as {
          sealed: { units: number }[];
          open: { units: number }[];
        };
        out.push({ framework, units: [...content.sealed, ...content.open].reduce((n, e) => n + e.units, 0) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return out;
  }

  async start(): Promise<void> {
    this.apps = await Promise.all(this.frameworks.map((f) => this.spawn(f)));
  }

  /** Which app (framework#incarnation) listened on a URL. */
  nameOf(url: string): string {
    return `${this.byUrl.get(url) ?? url}${this.terminated.has(url) ? ' (draining after SIGTERM)' : ''}`;
  }

  /** URLs of the apps that run now (a dead one drops out by itself; the load retries elsewhere). */
  targets(): string[] {
    return this.apps.filter((a) => a.running).map((a) => a.url);
  }

  async spawn(framework: Framework): Promise<AppProcess> {
    for (let attempt = 1; ; attempt++) {
      try {
        const app = await AppProcess.start({
          framework,
          stiggUrl: this.stiggUrl,
          redisUrl: this.redisUrl,
          tollgate: { usage: { spillFile: this.spillFile(framework) } },
        });
        this.byUrl.set(
          app.url,
          `${framework}#${[...this.byUrl.values()].filter((v) => v.startsWith(framework)).length + 1}`,
        );
        this.watch(app);
        return app;
      } catch (err) {
        this.startFailures.push(`${framework} start attempt ${attempt}: ${(err as Error).message.slice(0, 300)}`);
        if (attempt >= 5) throw err;
        await sleep(1_000);
      }
    }
  }

  private watch(app: AppProcess): void {
    void app.exited.then(({ code, signal }) => {
      const sent = this.signalled.get(app);
      const expected = (sent === 'SIGKILL' && signal === 'SIGKILL') || (sent === 'SIGTERM' && code === 0);
      if (!expected) {
        this.unexpectedExits.push(
          `${app.framework} app (pid ${app.pid}) exited with code ${code}, signal ${signal} (we sent ${sent ?? 'nothing'}) at ${new Date().toISOString()}; stderr: ${app.stderr.join('').slice(-500)}`,
        );
      }
    });
  }

  /** Signals the app in `slot`, waits for its exit (a SIGTERM'd one drains first), waits `downMs`, starts it again. */
  async bounce(slot: number, signal: 'SIGKILL' | 'SIGTERM', downMs: number): Promise<string> {
    const app = this.apps[slot]!;
    this.busy.add(slot);
    try {
      const leader = await withTimeout(app.isLeader(), 1_000);
      this.signalled.set(app, signal);
      if (signal === 'SIGTERM') this.terminated.add(app.url);
      let report: DrainReport | null = null;
      if (signal === 'SIGTERM') {
        report = await app.stop();
        this.drains.push({ at: Date.now(), framework: app.framework, why: 'fault', report });
      } else {
        app.kill('SIGKILL');
        await app.exited;
      }
      this.restarts[signal] += 1;
      await sleep(downMs);
      const started = Date.now();
      this.apps[slot] = await this.spawn(app.framework);
      return `${app.framework}${leader ? ' (delivery leader)' : ''}${report ? ` drained ${JSON.stringify(report)}` : ''}; back in ${Date.now() - started} ms`;
    } finally {
      this.busy.delete(slot);
    }
  }

  /** Polls every app's /__metrics for RSS every `everyMs`. */
  startPolling(everyMs = 2_000): void {
    const poll = async () => {
      await Promise.all(
        this.apps
          .filter((a) => a.running)
          .map(async (app) => {
            const m = await withTimeout(app.metrics(), 2_000);
            if (!m) return;
            this.peakRss[app.framework] = Math.max(this.peakRss[app.framework] ?? 0, m.rss);
            this.errors.set(app, m.errors);
          }),
      );
    };
    this.poller = setInterval(() => void poll(), everyMs);
    void poll();
  }

  stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }

  /** Errors logged by the apps' Tollgate, as far as the polls saw. */
  loggedErrors(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }

  /** Some running app holds the delivery lease. */
  async hasLeader(): Promise<boolean> {
    return (await Promise.all(this.apps.map((a) => withTimeout(a.isLeader(), 1_000)))).some(Boolean);
  }

  /**
   * SIGTERMs every app, non-leaders first and the delivery leader last (it delivers what is left in Redis while
   * draining). If the last drain still left usage persisted (in Redis or a slot's spill file), one more app is
   * started (in the slot that spilled), becomes leader and is stopped, up to `extraRounds` times. Returns the units
   * still persisted after all.
   */
  async stopAll(log: (line: string) => void, extraRounds = 3): Promise<number> {
    const live = this.apps.filter((a) => a.running);
    const roles = await Promise.all(live.map((a) => withTimeout(a.isLeader(), 2_000)));
    const order = [...live.filter((_, i) => !roles[i]), ...live.filter((_, i) => roles[i])];
    let last: DrainReport | null = null;
    for (const app of order) {
      last = await this.stopOne(app, 'final');
      log(
        `stopped ${app.framework}${roles[live.indexOf(app)] ? ' (delivery leader)' : ''}: drained ${JSON.stringify(last)}`,
      );
    }
    for (let round = 1; round <= extraRounds; round++) {
      const spilled = await this.spilledLeft();
      if ((last?.persisted ?? 0) === 0 && spilled.length === 0) break;
      const app = await this.spawn(spilled[0]?.framework ?? 'express');
      this.apps.push(app);
      const end = Date.now() + 20_000;
      while (!(await withTimeout(app.isLeader(), 1_000)) && Date.now() < end) await sleep(100);
      await sleep(2_000);
      last = await this.stopOne(app, 'extra');
      log(`extra app ${round} (to deliver what was persisted): drained ${JSON.stringify(last)}`);
    }
    const spilled = (await this.spilledLeft()).reduce((n, s) => n + s.units, 0);
    return (last?.persisted ?? 0) + spilled;
  }

  private async stopOne(app: AppProcess, why: DrainRecord['why']): Promise<DrainReport | null> {
    this.signalled.set(app, 'SIGTERM');
    this.terminated.add(app.url);
    const report = await app.stop();
    this.drains.push({ at: Date.now(), framework: app.framework, why, report });
    return report;
  }

  /** Last resort cleanup: SIGKILL whatever still runs. */
  killAll(): void {
    for (const app of this.apps) {
      if (!app.running) continue;
      this.signalled.set(app, 'SIGKILL');
      app.kill('SIGKILL');
    }
  }
}
