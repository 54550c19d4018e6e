import { appendFileSync } from 'node:fs';
import { pinSelf, startChild } from './lib/child.js';
import { fmt, load, median, type LoadResult } from './lib/load.js';
import { alternatingRounds, pairedRatios, spreadOf } from './lib/rounds.js';
import { profileServer, share, type RouteProfile } from './lib/profile.js';
import type { Benchmark } from './lib/types.js';

/**
 * Many short rounds (see `alternatingRounds`): about 25 minutes for the seven framework rows and Bun. Each of a
 * variant's CANDIDATES processes is measured in one whole rotation of the variants' order (4 rounds).
 */
const ROUNDS = 24;
const SECONDS = 0.8;
/**
 * `BENCH_FRAMEWORKS=hono,fastify npm run bench -- adapters` measures only those (default: all, and Hono on Bun);
 * `BENCH_PROFILE=1` profiles every framework's guarded route and floor, not only those that missed a target.
 */
const chosen = process.env.BENCH_FRAMEWORKS?.split(',').map((f) => f.trim());
const FRAMEWORKS = (
  ['express', 'express-middleware', 'hono', 'hono-middleware', 'fastify', 'nest-express', 'nest-fastify'] as const
).filter((f) => !chosen || chosen.includes(f));
const ON_BUN = !chosen || chosen.includes('bun');
const VARIANTS = ['bare', 'floor', 'guarded', 'stigg-sdk'] as const;
type Variant = (typeof VARIANTS)[number];
/**
 * Targets of guarded / bare (guarded / floor: 0.97 for every framework). Express' and Hono's are for their
 * one-handler form, the guarded handler as the route's only handler; their middleware form is held to the floor
 * (a middleware is one more hop of the framework: any middleware takes a Hono route off its fast path, floor/bare
 * < 0.9; on Express a no-op middleware costs 1-2 %).
 */
const TARGET: Record<(typeof FRAMEWORKS)[number], number | null> = {
  express: 0.97,
  'express-middleware': null,
  hono: 0.9,
  'hono-middleware': null,
  fastify: 0.95,
  'nest-express': 0.95,
  'nest-fastify': 0.95,
};
const FLOOR_TARGET = 0.97;
/**
 * Processes started per variant. A Node process's JIT settles in a state that lasts its whole life, and two
 * processes of the same app differ by a few percent (measured here: up to +90 % CPU per request in some 1 of 5
 * processes, in any variant, bare included). One process per variant would compare those states, not the variants.
 * So every variant runs in CANDIDATES processes and the rounds take them in turn; a process that spends SLOWER_STATE
 * times the CPU per request of its variant's best in a short probe is set aside (and reported). Per process, CPU per
 * request still spreads by about 10 % over a run, so a ratio rests on as many process pairs as the rounds allow:
 * six, one rotation each (with three, four runs of the same code gave hono-middleware's guarded/floor 0.93x-1.05x).
 */
const CANDIDATES = 6;
const PROBE_SECONDS = 1;
const SLOWER_STATE = 1.15;
type App = Awaited<ReturnType<typeof startChild<{ url: string }>>>;

/** The load generator on core 0, the app under test on core 1 (where `taskset` exists and there are two cores). */
const LOAD_CPU = 0;
const APP_CPU = 1;

const benchmark: Benchmark = {
  name: 'adapters',
  description:
    'a guarded route on a cache hit vs the same route bare and behind one no-op middleware (the floor), per framework (autocannon)',
  async run(report) {
    const pinned = pinSelf(LOAD_CPU);
    const stigg = await startChild<{ url: string }>(new URL('./servers/stigg-local.ts', import.meta.url).pathname);
    const file = new URL('./servers/guarded-app.ts', import.meta.url).pathname;
    try {
      const rows: Record<string, string | number>[] = [];
      let spreads: string[] = [];
      let setAside: string[] = [];
      let missed: Miss[] = [];
      /**
       * Starts each variant's app in CANDIDATES processes, sets aside those in a slower state (see CANDIDATES), then
       * measures the variants in rotating rounds, each round on the next of a variant's kept processes; ratios and
       * spreads per round. The apps are stopped once measured.
       */
      const measure = async (name: string, variants: readonly Variant[], start: (v: Variant) => Promise<App>) => {
        const apps = {} as Record<Variant, App[]>;
        const cpu = async (app: App) => {
          const u = (await (await fetch(`${app.info.url}/__cpu`)).json()) as { user: number; system: number };
          return u.user + u.system;
        };
        const hitApp = async (app: App, seconds: number) => {
          const before = await cpu(app);
          const r = await load({ url: `${app.info.url}/api/analytics`, durationSeconds: seconds, connections: 50 });
          return { ...r, cpuPerRequest: ((await cpu(app)) - before) / Math.max(1, r.requests) };
        };
        try {
          for (const v of variants) {
            const candidates: { app: App; cpuUs: number }[] = [];
            for (let i = 0; i < CANDIDATES; i++) {
              const app = await start(v);
              await hitApp(app, 1); // warm: JIT, caches, connections
              candidates.push({ app, cpuUs: (await hitApp(app, PROBE_SECONDS)).cpuPerRequest });
            }
            const best = Math.min(...candidates.map((c) => c.cpuUs));
            apps[v] = [];
            for (const c of candidates) {
              if (c.cpuUs <= SLOWER_STATE * best) {
                apps[v].push(c.app);
                continue;
              }
              setAside.push(`${name}/${v} ${fmt(c.cpuUs, 1)} µs vs ${fmt(best, 1)} µs`);
              await c.app.stop();
            }
          }
          return await measureApps(name, variants, apps, hitApp);
        } finally {
          for (const app of Object.values<App[]>(apps).flat()) await app.stop();
        }
      };
      const measureApps = async (
        name: string,
        variants: readonly Variant[],
        apps: Record<Variant, App[]>,
        hitApp: (app: App, seconds: number) => Promise<LoadResult & { cpuPerRequest: number }>,
      ) => {
        const runs = await alternatingRounds(variants, ROUNDS, async (v, round) => {
          // A whole rotation of the variants' order on one process of each, then the next ones.
          const kept = apps[v];
          const r = await hitApp(kept[Math.floor(round / variants.length) % kept.length]!, SECONDS);
          if (r.non2xx || r.errors) throw new Error(`${name}/${v}: ${r.non2xx} non-2xx, ${r.errors} errors`);
          return r;
        });
        const series = (of: (r: (typeof runs)[Variant][number]) => number) =>
          Object.fromEntries(variants.map((v) => [v, runs[v].map(of)])) as Record<Variant, number[]>;
        const rps = series((r) => r.requestsPerSecond);
        const cpuUs = series((r) => r.cpuPerRequest);
        // Ratios are taken within each round (measured a minute apart they would compare different machine loads).
        const ratio = (a: Variant, b: Variant) => pairedRatios(rps[a], rps[b]).median;
        // The same comparison in server CPU per request (ratio = b's CPU / a's CPU).
        const cpuRatio = (a: Variant, b: Variant) => pairedRatios(cpuUs[b], cpuUs[a]).median;
        const spread = (a: Variant, b: Variant) => spreadOf(pairedRatios(rps[a], rps[b]));
        spreads.push(
          `${name}: guarded/floor ${spread('guarded', 'floor')}; guarded/bare ${spread('guarded', 'bare')}; floor/bare ${spread('floor', 'bare')}`,
        );
        if (process.env.BENCH_RAW) appendFileSync(process.env.BENCH_RAW, `${JSON.stringify({ name, rps, cpuUs })}\n`);
        return { rps, cpuUs, ratio, cpuRatio };
      };
      /** A framework's row: req/s per variant, the ratios with their targets, CPU per request. */
      const row = (framework: string, m: Awaited<ReturnType<typeof measure>>, target: string) => ({
        framework,
        'bare req/s': fmt(median(m.rps.bare)),
        'floor req/s': fmt(median(m.rps.floor)),
        'guarded req/s': fmt(median(m.rps.guarded)),
        'guarded/floor': `${fmt(m.ratio('guarded', 'floor'), 3)}x`,
        'in CPU/req': `${fmt(m.cpuRatio('guarded', 'floor'), 3)}x`,
        'target ': `>= ${FLOOR_TARGET}x`,
        'guarded/bare': `${fmt(m.ratio('guarded', 'bare'), 3)}x`,
        'in CPU/req ': `${fmt(m.cpuRatio('guarded', 'bare'), 3)}x`,
        target,
        'guarded/SDK guard': m.rps['stigg-sdk'] ? `${fmt(m.ratio('guarded', 'stigg-sdk'), 2)}x` : '',
        'CPU µs/req (bare, floor, guarded)': `${fmt(median(m.cpuUs.bare), 1)}, ${fmt(median(m.cpuUs.floor), 1)}, ${fmt(median(m.cpuUs.guarded), 1)}`,
      });
      for (const framework of FRAMEWORKS) {
        const m = await measure(framework, VARIANTS, (v) =>
          startChild<{ url: string }>(file, [framework, v, stigg.info.url], { cpu: APP_CPU }),
        );
        const target = TARGET[framework];
        rows.push(row(framework, m, target === null ? 'printed' : `>= ${target}x`));
        const miss = (against: 'floor' | 'bare', goal: number) => {
          const measured = m.ratio('guarded', against);
          if (measured < goal) missed.push({ framework, against, measured });
        };
        miss('floor', FLOOR_TARGET);
        if (target !== null) miss('bare', target);
      }
      // Hono on Bun, served by Bun's own server: bare, floor and guarded.
      if (ON_BUN) {
        const bunFile = new URL('./servers/hono-runtime-app.ts', import.meta.url).pathname;
        const m = await measure('hono on bun', ['bare', 'floor', 'guarded'], (v) =>
          startChild<{ url: string }>(bunFile, [v, stigg.info.url], { cpu: APP_CPU, runtime: 'bun' }),
        );
        rows.push(row('hono on bun', m, 'printed'));
      }
      report.table(rows);
      if (missed.length > 0)
        report.note(`not reached this run: ${missed.map((m) => `${m.framework} guarded/${m.against}`).join(', ')}.`);
      // Which part of the time is Tollgate's, where a target was not reached (BENCH_PROFILE=1: every framework).
      const profiled: Miss[] = [...missed];
      if (process.env.BENCH_PROFILE === '1')
        for (const framework of FRAMEWORKS)
          if (!missed.some((m) => m.framework === framework && m.against === 'floor'))
            profiled.push({ framework, against: 'floor' });
      for (const miss of profiled)
        for (const line of await profiledShares(miss, file, stigg.info.url)) report.note(line);
      missed = [];
      report.note(
        "bare: the route alone; floor: the route behind one no-op middleware of the framework's kind (Nest: a guard);",
      );
      report.note(
        'guarded: the route behind the guard, settings bound once (tollgateExpress / tollgateHono / app.requireFeature / @Entitled), on a cache hit;',
      );
      report.note(
        "express, hono: the guarded handler as the route's only handler, requireFeature(feature, handler); express-middleware, hono-middleware: requireFeature(feature) before it;",
      );
      report.note(
        "SDK guard: a middleware around @stigg/node-server-sdk. The customer comes from the guard's resolver.",
      );
      report.note(
        'bare, floor and guarded apps each hold the same connected Tollgate client (the SDK guard app holds the SDK): only the route differs;',
      );
      report.note(
        `req/s: median of ${ROUNDS} rounds of ${SECONDS} s per variant, in rotating order, 50 connections; ratios: median of the per-round ratios;`,
      );
      report.note("CPU/req: the server's CPU time per request over the same runs (ratio = other CPU / guarded CPU).");
      report.note(
        pinned
          ? `load generator pinned to core ${LOAD_CPU}, apps to core ${APP_CPU} (taskset)`
          : 'taskset not available: processes not pinned',
      );
      report.note('spread of the per-round ratios (interquartile range, and min-max), how noisy the rounds were:');
      for (const s of spreads) report.note(`  ${s}`);
      report.note(
        `each variant started in ${CANDIDATES} processes, measured in turns, round by round; after a ${PROBE_SECONDS} s probe, set aside`,
      );
      report.note(
        `as in a slower state (${SLOWER_STATE}x the CPU per request of their variant's best or more): ${setAside.length ? setAside.join('; ') : 'none'}`,
      );
      spreads = [];
      setAside = [];
    } finally {
      await stigg.stop();
    }
  },
};
export default benchmark;

const PROFILE_SECONDS = 5;

/** A target not reached this run: the guarded route against the floor or the bare route, and the measured ratio. */
interface Miss {
  framework: (typeof FRAMEWORKS)[number];
  against: 'floor' | 'bare';
  measured?: number;
}

/**
 * For a target not reached: the guarded route and the route it was compared with each run under Node's CPU
 * profiler (PROFILE_SECONDS, 50 connections), and the shares of their busy time (self time) that are Tollgate's
 * code and garbage collection are printed side by side. Both apps hold the same connected client: the other
 * route's Tollgate share is the client's background work, so the difference is the guard's.
 *
 * Then the lowest ratio those shares can explain: were everything but Tollgate's code (and, counted against us,
 * any extra garbage collection) the same on both routes, a guarded request costs `(1 - ours on the other route) /
 * (1 - ours on the guarded route)` times the other route's CPU, and guarded/other is the inverse. A measured ratio
 * below it is time spent outside Tollgate's functions.
 */
async function profiledShares(miss: Miss, file: string, stiggUrl: string): Promise<string[]> {
  const { framework, against } = miss;
  const profile = (variant: Variant) =>
    profileServer({
      file,
      args: [framework, variant, stiggUrl],
      path: '/api/analytics',
      seconds: PROFILE_SECONDS,
      cpu: APP_CPU,
    });
  const guarded = await profile('guarded');
  const other = await profile(against);
  const shareOf = (p: RouteProfile, name: string) => (p.parts.get(name) ?? 0) / p.busyUs;
  const part = (p: RouteProfile, name: string) => share(p, p.parts.get(name) ?? 0);
  const [tollgate, gc] = ['Tollgate', '(garbage collector)'];
  const ours = Math.min(
    (1 - shareOf(guarded, tollgate)) / (1 - shareOf(other, tollgate)),
    (1 - shareOf(guarded, tollgate) - shareOf(guarded, gc)) / (1 - shareOf(other, tollgate) - shareOf(other, gc)),
  );
  const busiest = [...guarded.tollgateFunctions]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([fn, t]) => `${fn.replace(/ .*\//, ' ')} ${share(guarded, t)}`);
  const measured =
    miss.measured === undefined
      ? ''
      : `; measured ${fmt(miss.measured, 3)}x${miss.measured < ours ? ": the rest of the gap is time outside Tollgate's functions" : ''}`;
  return [
    `${framework}, CPU profile of the guarded route and the ${against} (${PROFILE_SECONDS} s each, share of busy time, self time):`,
    `  Tollgate's code ${part(guarded, tollgate)} vs ${part(other, tollgate)}; garbage collection ${part(guarded, gc)} vs ${part(other, gc)};`,
    `  Tollgate's busiest: ${busiest.join(', ') || 'none sampled'};`,
    `  Tollgate's code explains guarded/${against} down to ${fmt(ours, 3)}x${measured}`,
  ];
}
