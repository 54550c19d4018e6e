/**
 * Where a route's CPU time goes: runs one benchmark server under load with Node's CPU profiler and prints the
 * share of its time in Tollgate's code, the framework's, Node's own and the rest, and Tollgate's busiest
 * functions. For a target a benchmark does not reach, this says which part of the time is ours.
 *
 *   npm run build && node --import tsx bench/profile-route.ts guarded express guarded
 *   node --import tsx bench/profile-route.ts metered in-memory      (the metered route, meter in process memory)
 *
 * argv: server (guarded | metered) and its arguments (guarded: framework variant; metered: variant), then
 * `--seconds N` (default 10), `--keep FILE` to keep the raw .cpuprofile. Packages run from their builds (dist), as in
 * production.
 */
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStiggLocal } from '@tollgate/stigg-local';
import { RedisServer } from '../test/support/redis.js';
import { pinSelf, startChild } from './lib/child.js';
import { fmt, load } from './lib/load.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const secondsAt = args.indexOf('--seconds');
const seconds = secondsAt >= 0 ? Number(args.splice(secondsAt, 2)[1]) : 10;
const keepAt = args.indexOf('--keep');
/** Where to copy the raw profile (for Chrome DevTools or speedscope), if asked. */
const keep = keepAt >= 0 ? args.splice(keepAt, 2)[1] : undefined;
const [server, ...serverArgs] = args as ['guarded' | 'metered', ...string[]];
if (server !== 'guarded' && server !== 'metered') {
  console.error('usage: profile-route.ts guarded <framework> <variant> | metered <variant> [--seconds N]');
  process.exit(2);
}

/** Which part of the app a frame belongs to. */
function partOf(frame: ProfileNode['callFrame']): string {
  const url = frame.url;
  if (!url)
    return /^\((garbage collector|program|idle)\)$/.test(frame.functionName) ? frame.functionName : 'V8 and native';
  if (/\/packages\/[^/]+\/(dist|src)\/|@tollgate\//.test(url)) return 'Tollgate';
  if (url.startsWith('node:')) return 'Node (http, net, streams, timers)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (
    pkg &&
    /^(express|router|body-parser|hono|@hono\/|fastify|find-my-way|light-my-request|@fastify\/|@nestjs\/|rxjs|reflect-metadata|finalhandler|send|serve-static|content-type|qs|path-to-regexp|on-finished|parseurl|type-is|mime|accepts|negotiator|vary|etag|fresh|range-parser|cookie|statuses|depd|debug|encodeurl|escape-html|merge-descriptors|methods|utils-merge)/.test(
      pkg,
    )
  )
    return 'the framework';
  if (/bench\/servers\//.test(url)) return 'the benchmark app';
  return pkg ? `other packages (${pkg})` : 'other';
}

function summarise(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  let total = 0;
  let idle = 0;
  const parts = new Map<string, number>();
  const tollgateFns = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const part = partOf(frame);
    parts.set(part, (parts.get(part) ?? 0) + us);
    if (part === 'Tollgate') {
      const file = frame.url.replace(/.*\/packages\//, '');
      const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
      tollgateFns.set(name, (tollgateFns.get(name) ?? 0) + us);
    }
  }
  return { total, idle, parts, tollgateFns };
}

pinSelf(0);
const stigg = await startStiggLocal({ log: () => {} });
const redis = server === 'metered' ? await RedisServer.start() : null;
const dir = await mkdtemp(join(tmpdir(), 'tollgate-profile-'));
try {
  const file = fileURLToPath(
    new URL(`./servers/${server === 'guarded' ? 'guarded-app' : 'metered-app'}.ts`, import.meta.url),
  );
  const child = await startChild<{ url: string }>(file, [...serverArgs, stigg.url, ...(redis ? [redis.url] : [])], {
    cpu: 1,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  const path = server === 'guarded' ? '/api/analytics' : '/api/work';
  await load({ url: child.info.url + path, durationSeconds: 2, connections: 50 }); // warm up
  const result = await load({ url: child.info.url + path, durationSeconds: seconds, connections: 50 });
  await child.stop();
  const [name] = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (!name) throw new Error('the server wrote no CPU profile');
  if (keep) await copyFile(join(dir, name), keep);
  const { total, idle, parts, tollgateFns } = summarise(
    JSON.parse(await readFile(join(dir, name), 'utf8')) as CpuProfile,
  );
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`;
  console.log(
    `\n${server} ${serverArgs.join(' ')}: ${fmt(result.requestsPerSecond)} req/s over ${seconds} s (50 connections)`,
  );
  console.log(`CPU time sampled (not idle): ${fmt(total / 1000)} ms; idle ${fmt(idle / 1000)} ms\n`);
  console.log('share of the busy time, by owner of the running code (self time):');
  for (const [part, us] of [...parts].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us).padStart(6)}  ${part}`);
  console.log("\nTollgate's busiest functions (self time):");
  for (const [fn, us] of [...tollgateFns].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${pct(us).padStart(6)}  ${fn}`);
} finally {
  await rm(dir, { recursive: true, force: true });
  await redis?.stop();
  await stigg.close();
}
