/** The soak's invariants and figures, from what the run recorded. */
import type { StatsSnapshot } from '@tollgate/stigg-local';
import { REDIS_GRACE_MS, REDIS_KINDS, STIGG_KINDS, type FaultInjector, type FaultRecord } from './faults.js';
import type { Fleet } from './fleet.js';
import type { TimedLedger } from './ledger.js';

/** A 503 this long after a Stigg fault ended still counts as caused by it. */
export const STIGG_GRACE_MS = 5_000;

export interface SoakFacts {
  seed: number;
  t0: number;
  loadEndedAt: number;
  endedAt: number;
  ledger: TimedLedger;
  unlimited: string[];
  limited: string[];
  /** Usage set on the limited customers before the load. */
  preset: number;
  limit: number;
  usage: Map<string, number>;
  faults: FaultInjector;
  fleet: Fleet;
  redisExits: string[];
  redisStarts: number;
  /** Units still persisted (in Redis or a slot's spill file) after every app stopped. */
  persistedLeft: number;
  /** ms from the load's end until Stigg's usage matched the ledger (null: it did not before the apps were stopped). */
  convergedMs: number | null;
  rssLimitBytes: number;
  stats: StatsSnapshot;
}

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

const at = (f: SoakFacts, ms: number) => `t+${((ms - f.t0) / 1000).toFixed(1)}s`;
const describe = (f: SoakFacts, list: FaultRecord[]) =>
  list.length === 0
    ? 'no fault active'
    : list
        .map((r) => `${r.kind}${r.slot !== undefined ? `#${r.slot}` : ''} ${at(f, r.start)}..${at(f, r.end)}`)
        .join(', ');
/** A customer's irregular requests, each as its attempts (`app status@t`, `-` for no answer) and the faults active then. */
const irregularOf = (f: SoakFacts, customer: string) =>
  (f.ledger.irregular.get(customer) ?? [])
    .slice(0, 12)
    .map((r) => {
      const first = r.attempts[0]?.at ?? 0;
      const last = r.attempts.at(-1)?.at ?? first;
      const tries = r.attempts.map((a) => `${a.app} ${a.status ?? '-'}@${at(f, a.at)}`).join(' > ');
      return `{${tries} [${describe(f, f.faults.activeAt(first - 2_000, last + 2_000))}]}`;
    })
    .join(' ') || 'none';
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export function checkInvariants(f: SoakFacts): Invariant[] {
  const out: Invariant[] = [];

  // (1) Stigg's usage = the ledger's successes (+ the preset for the limited customers).
  const mismatched: string[] = [];
  for (const c of [...f.unlimited, ...f.limited]) {
    const expected = (f.ledger.successes.get(c) ?? 0) + (f.limited.includes(c) ? f.preset : 0);
    const stigg = f.usage.get(c) ?? 0;
    if (stigg !== expected)
      mismatched.push(
        `${c}: ledger ${expected}, Stigg ${stigg} (${stigg > expected ? 'applied twice' : 'lost'} ${Math.abs(stigg - expected)}); ` +
          `its requests with more than one attempt or no 2xx: ${irregularOf(f, c)}`,
      );
  }
  const lossy = f.fleet.drains.filter((d) => (d.report?.dropped ?? 0) > 0 || d.report === null);
  out.push({
    name: '1. Stigg usage = ledger, every customer',
    ok: mismatched.length === 0,
    detail:
      mismatched.length === 0
        ? `${f.unlimited.length + f.limited.length} customers exact`
        : `${mismatched.length} customers differ: ${mismatched.slice(0, 20).join('; ')}` +
          (lossy.length
            ? `; drains that dropped or gave no report: ${lossy.map((d) => `${d.framework} ${d.why} at ${at(f, d.at)} ${JSON.stringify(d.report)} during [${describe(f, f.faults.activeAt(d.at - 15_000, d.at))}]`).join('; ')}`
            : '') +
          `; persisted after all stopped: ${f.persistedLeft}; unanswered requests: ${f.ledger.unanswered}`,
  });

  // (2) No limited customer past its limit while Redis was up (successes past the limit during a Redis outage are shown, not failed).
  const allowed = f.limit - f.preset;
  const past: string[] = [];
  const tolerated: string[] = [];
  for (const c of f.limited) {
    for (const t of (f.ledger.successTimes.get(c) ?? []).slice(allowed)) {
      const redis = f.faults.activeAt(t, t, REDIS_GRACE_MS, REDIS_KINDS);
      (redis.length ? tolerated : past).push(
        `${c} at ${at(f, t)} [${describe(f, f.faults.activeAt(t, t, STIGG_GRACE_MS))}]`,
      );
    }
  }
  const over = f.limited.filter((c) => (f.usage.get(c) ?? 0) > f.limit).map((c) => `${c} ${f.usage.get(c)}`);
  out.push({
    name: `2. no limited customer past ${f.limit} while Redis was up`,
    ok: past.length === 0,
    detail:
      `Stigg usage of the limited: ${f.limited.map((c) => f.usage.get(c) ?? 0).join(', ')}` +
      (over.length ? `; over the limit: ${over.join(', ')}` : '') +
      (past.length ? `; admitted past the limit with Redis up: ${past.slice(0, 20).join('; ')}` : '') +
      (tolerated.length
        ? `; admitted past the limit during a Redis outage (tolerated): ${tolerated.length}: ${tolerated.slice(0, 10).join('; ')}`
        : ''),
  });

  // (3) No 500/502/504 from the guards; 503 only while Stigg or Redis was faulted.
  const hard = f.ledger.serverErrors.filter((e) => e.status !== 503);
  const unavailable = f.ledger.serverErrors.filter((e) => e.status === 503);
  // A keyed request denied while its app's Redis does not answer is answered 503 too (whether an attempt with its
  // key succeeded elsewhere cannot be told then).
  const unexplained = unavailable.filter(
    (e) =>
      f.faults.activeAt(e.at, e.at, STIGG_GRACE_MS, STIGG_KINDS).length === 0 &&
      f.faults.activeAt(e.at, e.at, REDIS_GRACE_MS, REDIS_KINDS).length === 0,
  );
  const show = (list: typeof hard) =>
    list
      .slice(0, 10)
      .map(
        (e) =>
          `${e.status} ${e.reason} from ${e.app} for ${e.customer} at ${at(f, e.at)} [${describe(f, f.faults.activeAt(e.at, e.at, STIGG_GRACE_MS))}]`,
      )
      .join('; ');
  out.push({
    name: '3. no 5xx from the guards (503 only while Stigg or Redis was faulted)',
    ok: hard.length === 0 && unexplained.length === 0,
    detail:
      `500/502/504 etc.: ${hard.length}; 503 while Stigg or Redis faulted: ${unavailable.length - unexplained.length}; 503 with both healthy: ${unexplained.length}` +
      (hard.length ? `; ${show(hard)}` : '') +
      (unexplained.length ? `; ${show(unexplained)}` : ''),
  });

  // (4) No process exit we did not cause.
  const exits = [...f.fleet.unexpectedExits, ...f.redisExits];
  out.push({
    name: '4. no unexpected process exit',
    ok: exits.length === 0,
    detail: exits.length ? exits.join('; ') : 'none',
  });

  // (5) Bounded memory.
  const peaks = Object.entries(f.fleet.peakRss);
  out.push({
    name: `5. peak RSS per app <= ${mb(f.rssLimitBytes)}`,
    ok: peaks.length > 0 && peaks.every(([, v]) => v! <= f.rssLimitBytes),
    detail: peaks.map(([k, v]) => `${k} ${mb(v!)}`).join(', ') || 'no sample',
  });

  // (6) Every request got an answer (a request with none would leave the ledger unsure of what was applied).
  out.push({
    name: '6. every request answered',
    ok: f.ledger.unanswered === 0,
    detail: `${f.ledger.unanswered} unanswered after all attempts; ${f.ledger.retried} attempts repeated (no answer), ${f.ledger.inProgress} after a 409 in progress, ${f.ledger.unavailable} after a 503 with Retry-After`,
  });
  return out;
}

export function figures(f: SoakFacts): string[] {
  const seconds = (f.loadEndedAt - f.t0) / 1000;
  const byKind = new Map<string, number>();
  for (const r of f.faults.records) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
  const statuses = [...f.ledger.statuses].sort(([a], [b]) => a - b);
  const denials = statuses.filter(([s]) => s < 200 || s >= 300);
  let stiggUnits = 0;
  for (const c of [...f.unlimited, ...f.limited]) stiggUnits += f.usage.get(c) ?? 0;
  stiggUnits -= f.limited.length * f.preset;
  const lim = f.ledger.successes;
  const limitedSucc = f.limited.reduce((n, c) => n + (lim.get(c) ?? 0), 0);
  const s = f.stats;
  // 503s grouped by who answered, why, and which kinds of fault were active (with the Stigg grace).
  const groups = new Map<string, number>();
  for (const e of f.ledger.serverErrors) {
    const kinds =
      [...new Set(f.faults.activeAt(e.at, e.at, STIGG_GRACE_MS).map((r) => r.kind))].sort().join('+') || 'none';
    const key = `${e.status} ${e.reason} from ${e.app} during ${kinds}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const top = [...groups].sort(([, a], [, b]) => b - a).slice(0, 12);
  return [
    `seed ${f.seed}; load ${seconds.toFixed(1)} s; whole run ${((f.endedAt - f.t0) / 1000).toFixed(1)} s`,
    `requests ${f.ledger.requests} (${(f.ledger.requests / seconds).toFixed(0)}/s); succeeded ${f.ledger.total()} (limited customers ${limitedSucc}); attempts repeated ${f.ledger.retried} (no answer) + ${f.ledger.inProgress} (409 in progress) + ${f.ledger.unavailable} (503 with Retry-After); unanswered ${f.ledger.unanswered}`,
    `statuses ${statuses.map(([k, v]) => `${k}: ${v}`).join(', ')}; denials ${denials.map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`,
    `5xx by app, reason and active faults: ${top.map(([k, v]) => `${v}x ${k}`).join('; ') || 'none'}`,
    `faults injected ${f.faults.records.length}: ${[...byKind].map(([k, v]) => `${k} ${v}`).join(', ')}${
      f.faults.records.some((r) => r.error)
        ? `; fault errors: ${f.faults.records
            .filter((r) => r.error)
            .map((r) => `${r.kind}: ${r.error}`)
            .join('; ')}`
        : ''
    }`,
    `units in Stigg (without the presets) ${stiggUnits} vs ledger ${f.ledger.total()}; persisted after all stopped ${f.persistedLeft}; Stigg matched the ledger ${f.convergedMs === null ? 'only after the final drains (or never)' : `${(f.convergedMs / 1000).toFixed(1)} s after the load ended`}`,
    `restarts: SIGKILL ${f.fleet.restarts.SIGKILL}, SIGTERM ${f.fleet.restarts.SIGTERM}, redis-server starts ${f.redisStarts}${f.fleet.startFailures.length ? `; app start failures ${f.fleet.startFailures.length}: ${f.fleet.startFailures.join(' | ')}` : ''}`,
    `peak RSS ${Object.entries(f.fleet.peakRss)
      .map(([k, v]) => `${k} ${mb(v!)}`)
      .join(', ')}; errors logged by the apps' Tollgate ${f.fleet.loggedErrors()}`,
    `drains ${f.fleet.drains.map((d) => `${d.framework}/${d.why}@${at(f, d.at)} ${JSON.stringify(d.report)}`).join(', ')}`,
    `Stigg: reportUsageBulk ${s.calls.reportUsageBulk ?? 0} calls; usage applied ${s.usage.applied}, duplicates refused ${s.usage.duplicates}; rate-limited ${JSON.stringify(s.rateLimited)}; busiest customer ${s.writes.perCustomerMaxPerWindow} writes per minute, busiest minute ${s.writes.callsMaxPerWindow.reportUsageBulk ?? 0} bulk calls`,
  ];
}
