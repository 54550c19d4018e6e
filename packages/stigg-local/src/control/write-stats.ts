import { SlidingWindow } from './sliding-window.js';

/** Peak write rates seen, in `StatsSnapshot.writes`: what a client's pacing actually sent, limits on or off. */
export interface WritePeaks {
  /** Most accepted mutation calls naming one customer within any sliding window (one per call, however many records name it). */
  perCustomerMaxPerWindow: number;
  /** The customer that first reached `perCustomerMaxPerWindow`; null before any write. */
  busiestCustomer: string | null;
  /** Most accepted calls of each mutation root field within any sliding window. */
  callsMaxPerWindow: Record<string, number>;
}

/**
 * Sliding-window peaks of accepted writes, per customer and per mutation root field. Sliding rather than the
 * emulation's fixed windows because a client can send twice the limit across a fixed-window boundary, and that is
 * what Stigg's own limiter would hold against it. Only arrivals still inside the window are kept.
 */
export class WriteStats {
  private windowMs = 60_000;
  private customers = new Map<string, SlidingWindow>();
  private fields = new Map<string, SlidingWindow>();
  private customerMax = 0;
  private busiest: string | null = null;
  private fieldMax: Record<string, number> = {};
  private lastSweep = 0;

  /** Sets the window length (the emulation's `windowMs`); a new length restarts the peaks, which would not compare. */
  setWindow(windowMs: number): void {
    if (windowMs === this.windowMs) return;
    this.reset();
    this.windowMs = windowMs;
  }

  /** Counts one accepted mutation call at `now` (non-decreasing). */
  record(fields: Iterable<string>, customers: Iterable<string>, now = Date.now()): void {
    const windowMs = this.windowMs;
    for (const field of new Set(fields)) {
      const n = windowOf(this.fields, field).add(now, windowMs);
      if (n > (this.fieldMax[field] ?? 0)) this.fieldMax[field] = n;
    }
    for (const customerId of new Set(customers)) {
      const n = windowOf(this.customers, customerId).add(now, windowMs);
      if (n > this.customerMax) {
        this.customerMax = n;
        this.busiest = customerId;
      }
    }
    this.sweep(now);
  }

  snapshot(): WritePeaks {
    return {
      perCustomerMaxPerWindow: this.customerMax,
      busiestCustomer: this.busiest,
      callsMaxPerWindow: { ...this.fieldMax },
    };
  }

  reset(): void {
    this.customers.clear();
    this.fields.clear();
    this.customerMax = 0;
    this.busiest = null;
    this.fieldMax = {};
  }

  /** Number of customers with writes still inside the window (what memory holds). */
  get trackedCustomers(): number {
    return this.customers.size;
  }

  /** Once per window, forgets customers (and fields) not written to within it, which `add` alone never visits. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const map of [this.customers, this.fields]) {
      for (const [key, window] of map) {
        window.drop(now, this.windowMs);
        if (window.size === 0) map.delete(key);
      }
    }
  }
}

function windowOf(map: Map<string, SlidingWindow>, key: string): SlidingWindow {
  let window = map.get(key);
  if (!window) map.set(key, (window = new SlidingWindow()));
  return window;
}
