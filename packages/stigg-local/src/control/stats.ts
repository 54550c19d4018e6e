import type { UsageCounters } from '../model/usage.js';
import type { RateLimitRefusal } from './rate-limits.js';
import { WriteStats, type WritePeaks } from './write-stats.js';

/** Calls the rate-limit emulation refused, each counted once, under the limit that refused it. */
export interface RateLimitedCounts {
  /** Refused by the per-operation limit, by the root field whose limit was exceeded. */
  calls: Record<string, number>;
  /** Refused by the per-customer write limit, in total. */
  customerWrites: number;
  /** Refused by the per-customer write limit, by the customer whose limit was exceeded. */
  byCustomer: Record<string, number>;
}

/** What `GET /_admin/stats` returns: calls per GraphQL root field (Edge reads count as the field they mirror). */
export interface StatsSnapshot {
  calls: Record<string, number>;
  usage: UsageCounters;
  /** Edge reads, by route name, also counted in `calls` under the root field they mirror. */
  edge: Record<string, number>;
  /** Open realtime (WebSocket) connections. */
  streams: number;
  /** Calls refused by the rate-limit emulation (also counted in `calls`). */
  rateLimited: RateLimitedCounts;
  /**
   * Peaks of accepted mutation calls (not refused by the emulation; answered by an injected fault or not) in any
   * sliding window of the emulation's `windowMs`, counted whether the emulation is on or off.
   */
  writes: WritePeaks;
}

/** Timestamps kept per root field (the most recent), so tests can see retry and backoff spacing. */
const TIMES_KEPT = 1000;

export class Stats {
  calls: Record<string, number> = {};
  private times = new Map<string, number[]>();
  edge: Record<string, number> = {};
  usage: UsageCounters = { applied: 0, duplicates: 0 };
  streams = 0;
  private rateLimited: RateLimitedCounts = { calls: {}, customerWrites: 0, byCustomer: {} };
  private writes = new WriteStats();
  /** Called after each counted call (the dashboard's change reports watch it). */
  onCount: (() => void) | null = null;

  count(field: string): void {
    this.calls[field] = (this.calls[field] ?? 0) + 1;
    let list = this.times.get(field);
    if (!list) this.times.set(field, (list = []));
    list.push(Date.now());
    if (list.length > TIMES_KEPT) list.shift();
    this.onCount?.();
  }

  /** When the most recent calls of a root field arrived (epoch ms, oldest first). */
  callTimes(field: string): number[] {
    return [...(this.times.get(field) ?? [])];
  }

  /** Calls per root field that arrived within the last `windowMs` (counted from the kept times, so at most 1,000). */
  recentCalls(windowMs: number, now = Date.now()): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [field, times] of this.times) {
      let n = 0;
      for (let i = times.length - 1; i >= 0 && times[i]! > now - windowMs; i--) n += 1;
      if (n > 0) out[field] = n;
    }
    return out;
  }

  countEdge(route: string): void {
    this.edge[route] = (this.edge[route] ?? 0) + 1;
    this.onCount?.();
  }

  /** Counts a call the rate-limit emulation refused, under the limit that refused it. */
  countRefusal(refusal: RateLimitRefusal): void {
    const r = this.rateLimited;
    if (refusal.limit === 'operation') r.calls[refusal.field] = (r.calls[refusal.field] ?? 0) + 1;
    else {
      r.customerWrites += 1;
      r.byCustomer[refusal.customerId] = (r.byCustomer[refusal.customerId] ?? 0) + 1;
    }
  }

  /** Counts an accepted mutation call: its root fields and the customers it names. */
  countWrite(fields: readonly string[], customers: Iterable<string>): void {
    this.writes.record(fields, customers);
  }

  /** The sliding window of the write peaks: the emulation's `windowMs`. A change restarts the peaks. */
  setWriteWindow(windowMs: number): void {
    this.writes.setWindow(windowMs);
  }

  snapshot(): StatsSnapshot {
    const r = this.rateLimited;
    return {
      calls: { ...this.calls },
      usage: { ...this.usage },
      edge: { ...this.edge },
      streams: this.streams,
      rateLimited: { calls: { ...r.calls }, customerWrites: r.customerWrites, byCustomer: { ...r.byCustomer } },
      writes: this.writes.snapshot(),
    };
  }

  reset(): void {
    this.calls = {};
    this.times.clear();
    this.edge = {};
    this.usage.applied = 0;
    this.usage.duplicates = 0;
    this.rateLimited = { calls: {}, customerWrites: 0, byCustomer: {} };
    this.writes.reset();
  }
}
