import type { UsageCounters } from '../model/usage.js';

/** What `GET /_admin/stats` returns: calls per GraphQL root field (Edge reads count as the field they mirror). */
export interface StatsSnapshot {
  calls: Record<string, number>;
  usage: UsageCounters;
  /** Edge reads, by route name, also counted in `calls` under the root field they mirror. */
  edge: Record<string, number>;
  /** Open realtime (WebSocket) connections. */
  streams: number;
}

/** Timestamps kept per root field (the most recent), so tests can see retry and backoff spacing. */
const TIMES_KEPT = 1000;

export class Stats {
  calls: Record<string, number> = {};
  private times = new Map<string, number[]>();
  edge: Record<string, number> = {};
  usage: UsageCounters = { applied: 0, duplicates: 0 };
  streams = 0;

  count(field: string): void {
    this.calls[field] = (this.calls[field] ?? 0) + 1;
    let list = this.times.get(field);
    if (!list) this.times.set(field, (list = []));
    list.push(Date.now());
    if (list.length > TIMES_KEPT) list.shift();
  }

  /** When the most recent calls of a root field arrived (epoch ms, oldest first). */
  callTimes(field: string): number[] {
    return [...(this.times.get(field) ?? [])];
  }

  countEdge(route: string): void {
    this.edge[route] = (this.edge[route] ?? 0) + 1;
  }

  snapshot(): StatsSnapshot {
    return { calls: { ...this.calls }, usage: { ...this.usage }, edge: { ...this.edge }, streams: this.streams };
  }

  reset(): void {
    this.calls = {};
    this.times.clear();
    this.edge = {};
    this.usage.applied = 0;
    this.usage.duplicates = 0;
  }
}
