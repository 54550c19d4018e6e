/**
 * The chaos soak: stigg-local (rate-limit emulation at Stigg's published limits) in this process, a persistent
 * redis-server and three metered apps (Express, Hono, Nest) sharing it, a steady metered load kept in a ledger,
 * and seeded faults injected throughout. At the end: recovery, drains (delivery leader last), invariants.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStiggLocal } from '@tollgate/stigg-local';
import { driveLoad } from '../test/support/fleet/ledger-load.js';
import { provisionCustomers, stiggLimits, stiggUsages } from '../test/support/fleet/usage-run.js';
import { FaultInjector, planFaults, type Kind } from './faults.js';
import { Fleet } from './fleet.js';
import { checkInvariants, figures, type Invariant } from './invariants.js';
import { TimedLedger } from './ledger.js';
import { PersistentRedis } from './redis.js';
import { seededRandom, sleep } from './rng.js';

const FEATURE = 'feature-api-calls';
/** plan-pro's limit of FEATURE; the limited customers start just under it. */
const LIMIT = 10_000;
const PRESET = 9_900;

export interface SoakOptions {
  /** Load (and fault) duration in minutes. Default 1. */
  minutes?: number;
  /** Seed of the fault schedule (and of the customers' order). Default: from the clock (printed). */
  seed?: number;
  /** Requests per second. Default 150. */
  rate?: number;
  /** Customers on plan-enterprise (no limit). Default 50. */
  unlimitedCustomers?: number;
  /** Customers on plan-pro, started at 9,900 of 10,000. Default 10. */
  limitedCustomers?: number;
  /** Share of requests for the limited customers. Default 0.2. */
  limitedShare?: number;
  /** Fails above this peak RSS per app. Default 400 MB. */
  rssLimitMb?: number;
  /** Mean time between fault starts. Default 2,500 ms. */
  meanFaultGapMs?: number;
  /** Only these fault kinds (to chase one failure). Default all. */
  faultKinds?: readonly Kind[];
  log?: (line: string) => void;
}

export interface SoakResult {
  ok: boolean;
  seed: number;
  invariants: Invariant[];
  figures: string[];
}

export async function runSoak(o: SoakOptions = {}): Promise<SoakResult> {
  const log = o.log ?? ((line: string) => console.log(line));
  const seed = (o.seed ?? Date.now()) >>> 0;
  const durationMs = Math.round((o.minutes ?? 1) * 60_000);
  const rate = o.rate ?? 150;
  const unlimited = Array.from({ length: o.unlimitedCustomers ?? 50 }, (_, i) => `chaos-ent-${i}`);
  const limited = Array.from({ length: o.limitedCustomers ?? 10 }, (_, i) => `chaos-pro-${i}`);
  const random = seededRandom(seed);
  const plan = planFaults(random, {
    fromMs: 4_000,
    untilMs: durationMs - 10_000,
    meanGapMs: o.meanFaultGapMs ?? 2_500,
    slots: 3,
    kinds: o.faultKinds,
  });
  log(
    `chaos soak: seed ${seed}, ${durationMs / 1000} s at ${rate} req/s, ${unlimited.length} + ${limited.length} customers, ${plan.length} faults planned`,
  );

  const server = await startStiggLocal({ log: () => {} });
  const redis = await PersistentRedis.start();
  const spillDir = await mkdtemp(join(tmpdir(), 'tollgate-chaos-spill-'));
  const fleet = new Fleet(['express', 'hono', 'nest'], server.url, redis.url, spillDir);
  try {
    await provisionCustomers(server, [...unlimited, ...limited]);
    for (const c of limited) {
      server.admin.setPlan(c, 'plan-pro');
      server.admin.setUsage(c, FEATURE, PRESET);
    }
    server.admin.setRateLimits(stiggLimits());
    server.admin.resetStats();
    await fleet.start();
    await waitFor(() => fleet.hasLeader(), 20_000);
    fleet.startPolling(2_000);
    log(
      `redis ${redis.url} (AOF in ${redis.dir}); apps ${fleet.apps.map((a) => `${a.framework} ${a.url}`).join(', ')}`,
    );

    const ledger = new TimedLedger(new Set(limited));
    const pick = seededRandom(seed ^ 0x9e3779b9);
    const limitedShare = o.limitedShare ?? 0.2;
    const customer = () => {
      const list = limited.length > 0 && pick() < limitedShare ? limited : unlimited;
      return list[Math.floor(pick() * list.length)]!;
    };
    const t0 = Date.now();
    const faults = new FaultInjector({ server, redis, fleet, log, t0 });
    const progress = setInterval(() => {
      const st = [...ledger.statuses].map(([k, v]) => `${k}:${v}`).join(' ');
      log(
        `[t+${((Date.now() - t0) / 1000).toFixed(0)}s] ${ledger.requests} requests, ${ledger.total()} ok, ${ledger.retried} repeated; ${st}`,
      );
    }, 10_000);
    const load = driveLoad({
      targets: () => fleet.targets(),
      rate,
      durationMs,
      customer,
      ledger,
      // A client with an idempotency key keeps asking until it gets an answer it can act on (about 100 s here):
      // a request it gave up on would leave its outcome unknown to the ledger.
      attempts: 60,
      onAnswer: (a) => ledger.answered(a, fleet.nameOf(a.url)),
      onRequest: (r) => ledger.traced(r, (url) => fleet.nameOf(url)),
    });
    try {
      await faults.run(plan, t0 + durationMs - 5_000);
      await load;
    } finally {
      clearInterval(progress);
    }
    const loadEndedAt = Date.now();
    log(`[t+${((loadEndedAt - t0) / 1000).toFixed(1)}s] load done: ${ledger.requests} requests; recovering`);

    // Recovery: nothing faulted, everyone up, a delivery leader; then wait (bounded) for Stigg to match the ledger.
    server.admin.clearFaults();
    server.admin.stallHttp(0);
    redis.resume();
    if (!redis.running) await redis.start();
    if (!(await waitFor(() => fleet.hasLeader(), 20_000))) log('no delivery leader within 20 s of recovery');
    const matches = () => {
      const usage = stiggUsages(server);
      return [...unlimited, ...limited].every(
        (c) => (usage.get(c) ?? 0) === (ledger.successes.get(c) ?? 0) + (limited.includes(c) ? PRESET : 0),
      );
    };
    const converged = await waitFor(matches, 30_000, 250);
    const convergedMs = converged ? Date.now() - loadEndedAt : null;
    fleet.stopPolling();
    const persistedLeft = await fleet.stopAll(log);

    const facts = {
      seed,
      t0,
      loadEndedAt,
      endedAt: Date.now(),
      ledger,
      unlimited,
      limited,
      preset: PRESET,
      limit: LIMIT,
      usage: stiggUsages(server),
      faults,
      fleet,
      redisExits: redis.unexpectedExits,
      redisStarts: redis.starts,
      persistedLeft,
      convergedMs,
      rssLimitBytes: (o.rssLimitMb ?? 400) * 1024 * 1024,
      stats: server.admin.stats(),
    };
    const invariants = checkInvariants(facts);
    return { ok: invariants.every((i) => i.ok), seed, invariants, figures: figures(facts) };
  } finally {
    fleet.stopPolling();
    fleet.killAll();
    await redis.close();
    await server.close();
    await rm(spillDir, { recursive: true, force: true });
  }
}

/** Polls until `probe` is truthy or `ms` pass; says which. */
async function waitFor(probe: () => unknown, ms: number, everyMs = 100): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}

/** The report as lines: figures, then each invariant with PASS/FAIL. */
export function report(result: SoakResult): string[] {
  return [
    '--- figures',
    ...result.figures,
    '--- invariants',
    ...result.invariants.map((i) => `${i.ok ? 'PASS' : 'FAIL'} ${i.name}: ${i.detail}`),
    result.ok
      ? 'chaos soak: all invariants hold'
      : `chaos soak: ${result.invariants.filter((i) => !i.ok).length} invariant(s) failed (seed ${result.seed})`,
  ];
}
