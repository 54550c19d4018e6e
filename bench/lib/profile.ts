import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from './child.js';
import { load } from './load.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a server's busy time went: by owner of the running code (self time), and Tollgate's functions. */
export interface RouteProfile {
  requestsPerSecond: number;
  /** Sampled CPU time that was not idle, and idle time, in µs. */
  busyUs: number;
  idleUs: number;
  /** Self time by owner ("Tollgate", "the framework", "(garbage collector)", ...), in µs. */
  parts: Map<string, number>;
  /** Self time by Tollgate function (`name file:line`), in µs. */
  tollgateFunctions: Map<string, number>;
  /** The raw profile (for Chrome DevTools or speedscope). */
  raw: string;
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

function summarise(profile: CpuProfile): Omit<RouteProfile, 'requestsPerSecond' | 'raw'> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  let busyUs = 0;
  let idleUs = 0;
  const parts = new Map<string, number>();
  const tollgateFunctions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const part = partOf(frame);
    parts.set(part, (parts.get(part) ?? 0) + us);
    if (part === 'Tollgate') {
      const file = frame.url.replace(/.*\/packages\//, '');
      const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
      tollgateFunctions.set(name, (tollgateFunctions.get(name) ?? 0) + us);
    }
  }
  return { busyUs, idleUs, parts, tollgateFunctions };
}

/**
 * Runs one benchmark server (a file of bench/servers) on core `cpu` under Node's CPU profiler, warms it up for 2 s
 * and loads `path` for `seconds` with 50 connections; answers where its busy time went. Startup is in the profile
 * too (a small share: the summary is by self time over the whole life of the process).
 */
export async function profileServer(options: {
  file: string;
  args: string[];
  path: string;
  seconds: number;
  cpu: number;
}): Promise<RouteProfile> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-profile-'));
  try {
    const child = await startChild<{ url: string }>(options.file, options.args, {
      cpu: options.cpu,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    let requestsPerSecond: number;
    try {
      await load({ url: child.info.url + options.path, durationSeconds: 2, connections: 50 }); // warm up
      requestsPerSecond = (
        await load({ url: child.info.url + options.path, durationSeconds: options.seconds, connections: 50 })
      ).requestsPerSecond;
    } finally {
      await child.stop();
    }
    const [name] = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
    if (!name) throw new Error(`${options.file} wrote no CPU profile`);
    const raw = await readFile(join(dir, name), 'utf8');
    return { requestsPerSecond, raw, ...summarise(JSON.parse(raw) as CpuProfile) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A share of the busy time, as a percentage. */
export const share = (profile: RouteProfile, us: number) => `${((100 * us) / profile.busyUs).toFixed(1)}%`;
