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
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startStiggLocal } from '@tollgate/stigg-local';
import { RedisServer } from '../test/support/redis.js';
import { pinSelf } from './lib/child.js';
import { fmt } from './lib/load.js';
import { profileServer, share } from './lib/profile.js';

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

pinSelf(0);
const stigg = await startStiggLocal({ log: () => {} });
const redis = server === 'metered' ? await RedisServer.start() : null;
try {
  const file = fileURLToPath(
    new URL(`./servers/${server === 'guarded' ? 'guarded-app' : 'metered-app'}.ts`, import.meta.url),
  );
  const profile = await profileServer({
    file,
    args: [...serverArgs, stigg.url, ...(redis ? [redis.url] : [])],
    path: server === 'guarded' ? '/api/analytics' : '/api/work',
    seconds,
    cpu: 1,
  });
  if (keep) await writeFile(keep, profile.raw);
  const pct = (us: number) => share(profile, us).padStart(6);
  console.log(
    `\n${server} ${serverArgs.join(' ')}: ${fmt(profile.requestsPerSecond)} req/s over ${seconds} s (50 connections)`,
  );
  console.log(`CPU time sampled (not idle): ${fmt(profile.busyUs / 1000)} ms; idle ${fmt(profile.idleUs / 1000)} ms\n`);
  console.log('share of the busy time, by owner of the running code (self time):');
  for (const [part, us] of [...profile.parts].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us)}  ${part}`);
  console.log("\nTollgate's busiest functions (self time):");
  for (const [fn, us] of [...profile.tollgateFunctions].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${pct(us)}  ${fn}`);
} finally {
  await redis?.stop();
  await stigg.close();
}
