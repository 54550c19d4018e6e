/** Delivery lag samples kept (the most recent): enough for a stable p99, bounded memory. */
const KEPT = 2048;

/** Time from a commit to Stigg's acknowledgement, as p50/p99 over the most recent deliveries. */
export class LagTracker {
  private readonly samples: number[] = [];
  private next = 0;

  add(ms: number): void {
    if (this.samples.length < KEPT) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % KEPT;
  }

  /** p50 and p99 in ms (null before the first delivery) and the number of samples they come from. */
  snapshot(): { p50: number | null; p99: number | null; samples: number } {
    if (this.samples.length === 0) return { p50: null, p99: null, samples: 0 };
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { p50: at(0.5), p99: at(0.99), samples: sorted.length };
  }
}
