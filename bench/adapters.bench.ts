import { startChild } from './lib/child.js';
import { fmt, load, median } from './lib/load.js';
import type { Benchmark } from './lib/types.js';

const ROUNDS = 5;
const SECONDS = 2.5;
const VARIANTS = ['bare', 'auth', 'tollgate', 'stigg-sdk'] as const;
const TARGET = { express: 0.97, hono: 0.9, nest: null } as const;

const benchmark: Benchmark = {
  name: 'adapters',
  description: 'a guarded route on a cache hit vs the same route unguarded, and vs a guard around the official SDK, for Express, Hono and Nest (autocannon)',
  async run(report) {
    const stigg = await startChild<{ url: string }>(new URL('./servers/stigg-local.ts', import.meta.url).pathname);
    const file = new URL('./servers/guarded-app.ts', import.meta.url).pathname;
    const children: { stop(): Promise<void> }[] = [stigg];
    try {
      const rows: Record<string, string | number>[] = [];
      for (const framework of ['express', 'hono', 'nest'] as const) {
        const apps = Object.fromEntries(
          await Promise.all(
            VARIANTS.map(async (v) => {
              const child = await startChild<{ url: string }>(file, [framework, v, stigg.info.url]);
              children.push(child);
              return [v, child.info.url] as const;
            }),
          ),
        ) as Record<(typeof VARIANTS)[number], string>;
        const cpu = async (v: (typeof VARIANTS)[number]) => {
          const u = (await (await fetch(`${apps[v]}/__cpu`)).json()) as { user: number; system: number };
          return u.user + u.system;
        };
        const hit = async (v: (typeof VARIANTS)[number], seconds: number) => {
          const before = await cpu(v);
          const r = await load({ url: `${apps[v]}/api/analytics`, durationSeconds: seconds });
          return { ...r, cpuPerRequest: ((await cpu(v)) - before) / Math.max(1, r.requests) };
        };
        for (const v of VARIANTS) await hit(v, 1); // warm: JIT, caches, connections
        const rps: Record<string, number[]> = { bare: [], auth: [], tollgate: [], 'stigg-sdk': [] };
        const cpuUs: Record<string, number[]> = { bare: [], auth: [], tollgate: [], 'stigg-sdk': [] };
        for (let round = 0; round < ROUNDS; round++) {
          // Each round in another order, so that drift on a shared machine does not favour one variant.
          const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
          for (const v of order) {
            const r = await hit(v, SECONDS);
            if (r.non2xx || r.errors) throw new Error(`${framework}/${v}: ${r.non2xx} non-2xx, ${r.errors} errors`);
            rps[v]!.push(r.requestsPerSecond);
            cpuUs[v]!.push(r.cpuPerRequest);
          }
        }
        // Ratios are taken within each round (measured minutes apart they would compare different machine loads).
        const ratio = (a: string, b: string) => median(rps[a]!.map((x, i) => x / rps[b]![i]!));
        // The same comparison in server CPU per request: steadier than throughput when the machine is shared.
        const cpuRatio = (a: string, b: string) => median(cpuUs[b]!.map((x, i) => x / cpuUs[a]![i]!));
        const m = { bare: median(rps.bare!), auth: median(rps.auth!), tollgate: median(rps.tollgate!), sdk: median(rps['stigg-sdk']!) };
        rows.push({
          framework,
          'unguarded req/s': fmt(m.auth),
          'guarded req/s': fmt(m.tollgate),
          'guarded / unguarded': `${fmt(ratio('tollgate', 'auth'), 3)}x`,
          'same in CPU/req': `${fmt(cpuRatio('tollgate', 'auth'), 3)}x`,
          target: TARGET[framework] === null ? 'ratio printed' : `>= ${TARGET[framework]}x`,
          'guarded / bare': `${fmt(ratio('tollgate', 'bare'), 3)}x`,
          'same in CPU/req ': `${fmt(cpuRatio('tollgate', 'bare'), 3)}x`,
          'guarded / SDK guard': `${fmt(ratio('tollgate', 'stigg-sdk'), 2)}x`,
          'CPU µs/req (unguarded, guarded)': `${fmt(median(cpuUs.auth!), 1)}, ${fmt(median(cpuUs.tollgate!), 1)}`,
        });
      }
      report.table(rows);
      report.note('unguarded: the route behind the app\'s own authentication middleware (which identifies the customer);');
      report.note('guarded: the same plus entitlements() and requireFeature() on a cache hit; SDK: the same plus a middleware');
      report.note('around @stigg/node-server-sdk; bare: the route with no middleware at all (Hono answers it on a synchronous fast path).');
      report.note(`req/s: median of ${ROUNDS} rounds of ${SECONDS} s per variant; ratios: median of the per-round ratios;`);
      report.note('CPU/req: the server process\'s CPU time per request over the same runs (ratio = unguarded CPU / guarded CPU)');
      report.note('20 connections; each app in its own process; variants in a rotating order each round');
    } finally {
      for (const c of children) await c.stop();
    }
  },
};
export default benchmark;
