import { startChild } from './lib/child.js';
import { fmt, load, median } from './lib/load.js';
import type { Benchmark } from './lib/types.js';

const ROUNDS = 3;
const SECONDS = 3;
const VARIANTS = ['unguarded', 'noop', 'tollgate', 'stigg-sdk'] as const;
const TARGET = { express: 0.97, hono: 0.9 } as const;

const benchmark: Benchmark = {
  name: 'adapters',
  description: 'a guarded route on a cache hit vs the same route unguarded, and vs a middleware around the official SDK (autocannon)',
  async run(report) {
    const stigg = await startChild<{ url: string }>(new URL('./servers/stigg-local.ts', import.meta.url).pathname);
    const file = new URL('./servers/guarded-app.ts', import.meta.url).pathname;
    const children: { stop(): Promise<void> }[] = [stigg];
    try {
      const rows: Record<string, string | number>[] = [];
      for (const framework of ['express', 'hono'] as const) {
        const apps = Object.fromEntries(
          await Promise.all(
            VARIANTS.map(async (v) => {
              const child = await startChild<{ url: string }>(file, [framework, v, stigg.info.url]);
              children.push(child);
              return [v, child.info.url] as const;
            }),
          ),
        ) as Record<(typeof VARIANTS)[number], string>;
        const hit = (v: (typeof VARIANTS)[number], seconds: number) =>
          load({ url: `${apps[v]}/api/analytics`, headers: { 'x-customer-id': 'customer-pro' }, durationSeconds: seconds });
        for (const v of VARIANTS) await hit(v, 1); // warm: JIT, caches, connections
        const rps: Record<string, number[]> = { unguarded: [], noop: [], tollgate: [], 'stigg-sdk': [] };
        for (let round = 0; round < ROUNDS; round++) {
          for (const v of VARIANTS) {
            const r = await hit(v, SECONDS);
            if (r.non2xx || r.errors) throw new Error(`${framework}/${v}: ${r.non2xx} non-2xx, ${r.errors} errors`);
            rps[v]!.push(r.requestsPerSecond);
          }
        }
        const m = { unguarded: median(rps.unguarded!), noop: median(rps.noop!), tollgate: median(rps.tollgate!), sdk: median(rps['stigg-sdk']!) };
        rows.push({
          framework,
          'unguarded req/s': fmt(m.unguarded),
          'tollgate req/s': fmt(m.tollgate),
          'SDK middleware req/s': fmt(m.sdk),
          'tollgate / unguarded': `${fmt(m.tollgate / m.unguarded, 3)}x`,
          target: `>= ${TARGET[framework]}x`,
          'tollgate / 2 no-op middlewares': `${fmt(m.tollgate / m.noop, 3)}x`,
          'tollgate / SDK middleware': `${fmt(m.tollgate / m.sdk, 2)}x`,
        });
      }
      report.table(rows);
      report.note(`median of ${ROUNDS} alternating ${SECONDS} s rounds per variant, 20 connections, each app in its own process`);
    } finally {
      for (const c of children) await c.stop();
    }
  },
};
export default benchmark;
