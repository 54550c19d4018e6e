/**
 * The fault schedule: planned up front from the seed (so one seed gives one schedule), then injected on time,
 * each for a few seconds, never two of one kind at once. An app is never SIGKILLed while Redis is down or just
 * back (REDIS_GRACE_MS): its usage would be only in its memory then, and a SIGKILL would lose it by nature.
 */
import type { StiggLocal } from '@tollgate/stigg-local';
import type { Fleet } from './fleet.js';
import type { PersistentRedis } from './redis.js';
import { between, sleep } from './rng.js';

export const KINDS = [
  'stigg-blackhole',
  'bulk-500',
  'stigg-latency',
  'drop-after-apply',
  'streams-drop',
  'streams-stall',
  'http-stall',
  'redis-kill',
  'redis-stop',
  'app-kill',
  'app-term',
] as const;
export type Kind = (typeof KINDS)[number];

/** Kinds that fault Stigg (stigg-local), as opposed to Redis or the apps. */
export const STIGG_KINDS: ReadonlySet<Kind> = new Set([
  'stigg-blackhole',
  'bulk-500',
  'stigg-latency',
  'drop-after-apply',
  'streams-drop',
  'streams-stall',
  'http-stall',
]);
export const REDIS_KINDS: ReadonlySet<Kind> = new Set(['redis-kill', 'redis-stop']);
export const APP_KINDS: ReadonlySet<Kind> = new Set(['app-kill', 'app-term']);

/** After Redis is back, how long it still counts as "just back". */
export const REDIS_GRACE_MS = 8_000;
/** Planning estimate of an app's drain + restart (its slot is busy that long after the fault's down time). */
const APP_RESTART_ESTIMATE_MS = 10_000;

export interface PlannedFault {
  kind: Kind;
  /** ms after the run's start. */
  at: number;
  durationMs: number;
  /** App slot (app faults). */
  slot?: number;
  /** Added latency (stigg-latency). */
  latencyMs?: number;
}

export interface FaultRecord extends PlannedFault {
  /** Epoch ms, actual. */
  start: number;
  end: number;
  detail: string;
  error?: string;
}

const busyUntil = (f: PlannedFault) => f.at + f.durationMs + (APP_KINDS.has(f.kind) ? APP_RESTART_ESTIMATE_MS : 0);

/**
 * Faults from `fromMs` to `untilMs` (ms after start), about one every `meanGapMs`; the first ones go through every
 * kind once (in a seeded order), then kinds are drawn at random.
 */
export function planFaults(
  random: () => number,
  o: { fromMs: number; untilMs: number; meanGapMs: number; slots: number; kinds?: readonly Kind[] },
): PlannedFault[] {
  const plan: PlannedFault[] = [];
  const kinds = o.kinds ?? KINDS;
  const firstRound: Kind[] = [...kinds];
  for (let i = firstRound.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [firstRound[i], firstRound[j]] = [firstRound[j]!, firstRound[i]!];
  }
  let t = o.fromMs;
  for (;;) {
    t += Math.round(-Math.log(1 - random()) * o.meanGapMs);
    if (t >= o.untilMs) break;
    const durationMs = between(random, 2_000, 6_000);
    const allowed = (kind: Kind) => {
      const candidate = { kind, at: t, durationMs };
      const overlaps = (f: PlannedFault) => f.at < busyUntil(candidate) && t < busyUntil(f);
      if (plan.some((f) => f.kind === kind && overlaps(f))) return false;
      if (kind === 'redis-kill' || kind === 'redis-stop')
        return !plan.some((f) => REDIS_KINDS.has(f.kind) && overlaps(f));
      if (kind === 'app-kill')
        return !plan.some((f) => REDIS_KINDS.has(f.kind) && t < f.at + f.durationMs + REDIS_GRACE_MS);
      return true;
    };
    const freeSlots = Array.from({ length: o.slots }, (_, i) => i).filter(
      (s) => !plan.some((f) => f.slot === s && t < busyUntil(f)),
    );
    const candidates = kinds.filter((k) => allowed(k) && (!APP_KINDS.has(k) || freeSlots.length > 0));
    if (candidates.length === 0) continue;
    const fromFirst = firstRound.find((k) => candidates.includes(k));
    const kind = fromFirst ?? candidates[Math.floor(random() * candidates.length)]!;
    if (fromFirst) firstRound.splice(firstRound.indexOf(fromFirst), 1);
    const fault: PlannedFault = { kind, at: t, durationMs };
    if (APP_KINDS.has(kind)) {
      fault.slot = freeSlots[Math.floor(random() * freeSlots.length)]!;
      fault.durationMs = between(random, 300, 2_500); // time the app stays down
    }
    if (kind === 'stigg-latency') fault.latencyMs = between(random, 300, 3_000);
    plan.push(fault);
  }
  return plan;
}

export interface InjectorDeps {
  server: StiggLocal;
  redis: PersistentRedis;
  fleet: Fleet;
  log: (line: string) => void;
  /** Epoch ms of the run's start. */
  t0: number;
}

/** Injects a plan on time; `records` is the log of what was done, with actual times. */
export class FaultInjector {
  readonly records: FaultRecord[] = [];
  private readonly running = new Map<Kind, Promise<void>>();
  private redisDown = 0;
  private redisBackAt = 0;

  constructor(private readonly d: InjectorDeps) {}

  /** Injects every fault of the plan whose turn comes before `stopAt` (epoch ms); resolves when all ended. */
  async run(plan: PlannedFault[], stopAt: number): Promise<void> {
    for (const fault of plan) {
      await sleep(this.d.t0 + fault.at - Date.now());
      // The plan is made on estimates: if reality runs late, wait for what the fault must not overlap.
      for (;;) {
        const same = this.running.get(fault.kind);
        if (same) await same;
        else if (fault.slot !== undefined && this.d.fleet.busy.has(fault.slot)) await sleep(100);
        else if (REDIS_KINDS.has(fault.kind) && [...REDIS_KINDS].some((k) => this.running.has(k)))
          await Promise.race([...REDIS_KINDS].map((k) => this.running.get(k)).filter(Boolean));
        else if (fault.kind === 'app-kill' && (this.redisDown > 0 || Date.now() < this.redisBackAt + REDIS_GRACE_MS))
          await sleep(100);
        else break;
      }
      if (Date.now() >= stopAt) {
        this.d.log(`${this.stamp()} skipped ${fault.kind}: its turn came after the injection window`);
        continue;
      }
      const p = this.inject(fault).finally(() => this.running.delete(fault.kind));
      this.running.set(fault.kind, p);
    }
    await Promise.all(this.running.values());
  }

  /** Faults (actual windows) that overlap [from, to], with `graceMs` added after each fault's end. */
  activeAt(from: number, to: number, graceMs = 0, kinds?: ReadonlySet<Kind>): FaultRecord[] {
    return this.records.filter((r) => (!kinds || kinds.has(r.kind)) && r.start <= to && from <= r.end + graceMs);
  }

  private stamp(at = Date.now()): string {
    return `[t+${((at - this.d.t0) / 1000).toFixed(1)}s]`;
  }

  private async inject(f: PlannedFault): Promise<void> {
    const { server, redis, fleet } = this.d;
    const record: FaultRecord = { ...f, start: Date.now(), end: Date.now(), detail: '' };
    this.records.push(record);
    const what = `${f.kind}${f.slot !== undefined ? ` slot ${f.slot} (${fleet.apps[f.slot]!.framework})` : ''}${f.latencyMs ? ` +${f.latencyMs} ms` : ''} for ${f.durationMs} ms`;
    this.d.log(`${this.stamp(record.start)} inject ${what}`);
    const ms = f.durationMs;
    try {
      switch (f.kind) {
        case 'stigg-blackhole':
          record.detail = `${server.admin.blackhole(ms)} connections dropped`;
          await sleep(ms);
          break;
        case 'bulk-500':
          server.admin.injectFault({ operations: ['reportUsageBulk'], status: 500, durationMs: ms });
          await sleep(ms);
          break;
        case 'stigg-latency':
          server.admin.injectFault({ latencyMs: f.latencyMs, durationMs: ms });
          await sleep(ms);
          break;
        case 'drop-after-apply':
          server.admin.injectFault({ operations: ['reportUsageBulk'], dropAfterApply: true, durationMs: ms });
          await sleep(ms);
          break;
        case 'streams-drop': {
          // Dropped again every second: the stream stays down or flapping for the fault's time.
          let dropped = 0;
          for (const end = Date.now() + ms; Date.now() < end; await sleep(1_000)) dropped += server.admin.dropStreams();
          record.detail = `${dropped} streams dropped`;
          break;
        }
        case 'streams-stall':
          record.detail = `${server.admin.stallStreams(ms)} streams stalled`;
          await sleep(ms);
          break;
        case 'http-stall':
          server.admin.stallHttp(ms);
          await sleep(ms);
          break;
        case 'redis-kill':
          this.redisDown += 1;
          try {
            await redis.kill();
            await sleep(ms);
            await redis.start();
          } finally {
            this.redisDown -= 1;
            this.redisBackAt = Date.now();
          }
          break;
        case 'redis-stop':
          this.redisDown += 1;
          try {
            redis.pause();
            await sleep(ms);
            redis.resume();
          } finally {
            this.redisDown -= 1;
            this.redisBackAt = Date.now();
          }
          break;
        case 'app-kill':
          record.detail = await fleet.bounce(f.slot!, 'SIGKILL', ms);
          break;
        case 'app-term':
          record.detail = await fleet.bounce(f.slot!, 'SIGTERM', ms);
          break;
      }
    } catch (err) {
      record.error = (err as Error).message;
    }
    record.end = Date.now();
    this.d.log(
      `${this.stamp(record.end)} ended ${f.kind} (${((record.end - record.start) / 1000).toFixed(1)} s)${record.detail ? `: ${record.detail}` : ''}${record.error ? `; ERROR ${record.error}` : ''}`,
    );
  }
}
