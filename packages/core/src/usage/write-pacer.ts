/**
 * Paces writes to Stigg under its published limits, by design rather than by refusal: each customer is written at
 * most `customerWritesPerMinute` times a minute (one write = one `reportUsageBulk` call naming the customer, however
 * many of its records it carries; a customer+resource is a subset of its customer, so it is paced too) and the
 * calls themselves stay under `bulkCallsPerMinute`. Writes are spaced evenly (60 s / limit apart), so no window
 * of a minute, sliding or fixed, holds more than the limit.
 *
 * A rate-limit answer slows down adaptively: the key's call spacing and the spacing of every customer in the
 * refused call grow by half (up to 4x: the answer does not say which limit bit); each accepted call brings them
 * back a quarter of the way. Time comes from an
 * injected clock so the rules are unit-tested without waiting.
 */
export interface PacerLimits {
  customerWritesPerMinute: number;
  bulkCallsPerMinute: number;
}

const MINUTE_MS = 60_000;
const MAX_SLOWDOWN = 4;
/** Customers remembered at most; past it the longest-idle are forgotten (they are past their spacing anyway). */
const MAX_TRACKED = 100_000;

interface CustomerPace {
  lastWriteAt: number;
  slowdown: number;
}

export class WritePacer {
  private readonly customerSpacingMs: number;
  private readonly callSpacingMs: number;
  private readonly customers = new Map<string, CustomerPace>();
  private lastCallAt = -Infinity;
  private callSlowdown = 1;

  constructor(
    limits: PacerLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.customerSpacingMs = MINUTE_MS / limits.customerWritesPerMinute;
    this.callSpacingMs = MINUTE_MS / limits.bulkCallsPerMinute;
  }

  /** Epoch ms from which this customer may be written again. */
  customerReadyAt(customerId: string): number {
    const pace = this.customers.get(customerId);
    return pace ? pace.lastWriteAt + this.customerSpacingMs * pace.slowdown : -Infinity;
  }

  /** Epoch ms from which the next bulk call may go out. */
  callReadyAt(): number {
    return this.lastCallAt + this.callSpacingMs * this.callSlowdown;
  }

  /** The smallest spacing between two writes to one customer now (shared with the store, which enforces it fleet-wide). */
  get minCustomerSpacingMs(): number {
    return this.customerSpacingMs;
  }

  /** A call naming these customers is going out now. */
  sent(customerIds: Iterable<string>): void {
    const at = this.now();
    this.lastCallAt = at;
    for (const id of customerIds) {
      const pace = this.customers.get(id);
      this.customers.delete(id); // re-inserted last: the map stays ordered by last write
      this.customers.set(id, { lastWriteAt: at, slowdown: pace?.slowdown ?? 1 });
    }
    this.forgetIdle(at);
  }

  /** The call was accepted: its customers and the key recover part of any slowdown. */
  accepted(customerIds: Iterable<string>): void {
    this.callSlowdown = recover(this.callSlowdown);
    for (const id of customerIds) {
      const pace = this.customers.get(id);
      if (pace) pace.slowdown = recover(pace.slowdown);
    }
  }

  /** The call was refused for a rate limit: the key and its customers slow down. */
  refused(customerIds: Iterable<string>): void {
    this.callSlowdown = Math.min(MAX_SLOWDOWN, this.callSlowdown * 1.5);
    for (const id of customerIds) {
      const pace = this.customers.get(id);
      if (pace) pace.slowdown = Math.min(MAX_SLOWDOWN, pace.slowdown * 1.5);
    }
  }

  private forgetIdle(now: number): void {
    for (const [id, pace] of this.customers) {
      const idle = now - pace.lastWriteAt >= this.customerSpacingMs * MAX_SLOWDOWN;
      if (!idle && this.customers.size <= MAX_TRACKED) break;
      this.customers.delete(id);
    }
  }
}

const recover = (slowdown: number) => Math.max(1, 1 + (slowdown - 1) * 0.75);
