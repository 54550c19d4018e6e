import { pinSelf, startChild } from './lib/child.js';
import { fmt, load, median } from './lib/load.js';
import { alternatingRounds, pairedRatios, spreadOf } from './lib/rounds.js';
import type { Benchmark } from './lib/types.js';

/** Many short rounds (see `alternatingRounds`): about 4 minutes for the five frameworks and Bun. */
const ROUNDS = 15;
const SECONDS = 0.8;
const FRAMEWORKS = ['express', 'hono', 'fastify', 'nest-express', 'nest-fastify'] as const;
const VARIANTS = ['bare', 'floor', 'guarded', 'stigg-sdk'] as const;
type Variant = (typeof VARIANTS)[number];
/** Targets of guarded / bare (guarded / floor: 0.97 for every framework). */
const TARGET: Record<(typeof FRAMEWORKS)[number], number> = {
  express: 0.97,
  hono: 0.9,
  fastify: 0.95,
  'nest-express': 0.95,
  'nest-fastify': 0.95,
};
const FLOOR_TARGET = 0.97;

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
    const children: { stop(): Promise<void> }[] = [stigg];
    try {
      const rows: Record<string, string | number>[] = [];
      let spreads: string[] = [];
      /** Starts the variants' apps, then measures them in rotating rounds; ratios and spreads per round. */
      const measure = async (name: string, variants: readonly Variant[], start: (v: Variant) => Promise<string>) => {
        const apps = {} as Record<Variant, string>;
        for (const v of variants) apps[v] = await start(v);
        const cpu = async (v: Variant) => {
          const u = (await (await fetch(`${apps[v]}/__cpu`)).json()) as { user: number; system: number };
          return u.user + u.system;
        };
        const hit = async (v: Variant, seconds: number) => {
          const before = await cpu(v);
          const r = await load({ url: `${apps[v]}/api/analytics`, durationSeconds: seconds, connections: 50 });
          return { ...r, cpuPerRequest: ((await cpu(v)) - before) / Math.max(1, r.requests) };
        };
        for (const v of variants) await hit(v, 1); // warm: JIT, caches, connections
        const runs = await alternatingRounds(variants, ROUNDS, async (v) => {
          const r = await hit(v, SECONDS);
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
        return { rps, cpuUs, ratio, cpuRatio };
      };
      for (const framework of FRAMEWORKS) {
        const { rps, cpuUs, ratio, cpuRatio } = await measure(framework, VARIANTS, async (v) => {
          const child = await startChild<{ url: string }>(file, [framework, v, stigg.info.url], { cpu: APP_CPU });
          children.push(child);
          return child.info.url;
        });
        rows.push({
          framework,
          'bare req/s': fmt(median(rps.bare)),
          'floor req/s': fmt(median(rps.floor)),
          'guarded req/s': fmt(median(rps.guarded)),
          'guarded/floor': `${fmt(ratio('guarded', 'floor'), 3)}x`,
          'in CPU/req': `${fmt(cpuRatio('guarded', 'floor'), 3)}x`,
          'target ': `>= ${FLOOR_TARGET}x`,
          'guarded/bare': `${fmt(ratio('guarded', 'bare'), 3)}x`,
          'in CPU/req ': `${fmt(cpuRatio('guarded', 'bare'), 3)}x`,
          target: `>= ${TARGET[framework]}x`,
          'guarded/SDK guard': `${fmt(ratio('guarded', 'stigg-sdk'), 2)}x`,
          'CPU µs/req (bare, floor, guarded)': `${fmt(median(cpuUs.bare), 1)}, ${fmt(median(cpuUs.floor), 1)}, ${fmt(median(cpuUs.guarded), 1)}`,
        });
      }
      // Hono on Bun, served by Bun's own server: bare, floor and guarded.
      const bunFile = new URL('./servers/hono-runtime-app.ts', import.meta.url).pathname;
      const onBun = await measure('hono on bun', ['bare', 'floor', 'guarded'], async (v) => {
        const child = await startChild<{ url: string }>(bunFile, [v, stigg.info.url], { cpu: APP_CPU, runtime: 'bun' });
        children.push(child);
        return child.info.url;
      });
      rows.push({
        framework: 'hono on bun',
        'bare req/s': fmt(median(onBun.rps.bare)),
        'floor req/s': fmt(median(onBun.rps.floor)),
        'guarded req/s': fmt(median(onBun.rps.guarded)),
        'guarded/floor': `${fmt(onBun.ratio('guarded', 'floor'), 3)}x`,
        'in CPU/req': `${fmt(onBun.cpuRatio('guarded', 'floor'), 3)}x`,
        'target ': `>= ${FLOOR_TARGET}x`,
        'guarded/bare': `${fmt(onBun.ratio('guarded', 'bare'), 3)}x`,
        'in CPU/req ': `${fmt(onBun.cpuRatio('guarded', 'bare'), 3)}x`,
        target: 'printed',
        'guarded/SDK guard': '',
        'CPU µs/req (bare, floor, guarded)': `${fmt(median(onBun.cpuUs.bare), 1)}, ${fmt(median(onBun.cpuUs.floor), 1)}, ${fmt(median(onBun.cpuUs.guarded), 1)}`,
      });
      report.table(rows);
      report.note(
        "bare: the route alone; floor: the route behind one no-op middleware of the framework's kind (Nest: a guard);",
      );
      report.note(
        'guarded: the route behind the guard, settings bound once (tollgateExpress / tollgateHono / app.requireFeature / @Entitled), on a cache hit;',
      );
      report.note(
        "SDK guard: a middleware around @stigg/node-server-sdk. The customer comes from the guard's resolver.",
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
      spreads = [];
    } finally {
      for (const c of children) await c.stop();
    }
  },
};
export default benchmark;
