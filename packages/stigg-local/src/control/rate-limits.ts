/**
 * Emulation of Stigg's rate limits (off by default): requests per minute per operation and writes per minute
 * per customer, counted in fixed windows. Limits from Stigg's published figures; the window is configurable so
 * tests need not wait a minute.
 */
export interface RateLimitSettings {
  enabled: boolean;
  /** Window length; Stigg's limits are per minute. Default 60000. */
  windowMs?: number;
  /** Requests per window by root field; `mutation` applies to mutations not listed. */
  perOperation?: Record<string, number>;
  /** Writes per window touching one customer. Default 30. */
  perCustomerWrites?: number;
}

/** Why the emulation refused a request: the one limit it exceeded, and the message the client is sent. */
export type RateLimitRefusal =
  | { limit: 'operation'; field: string; message: string }
  | { limit: 'customer'; customerId: string; message: string };

export const STIGG_LIMITS: Record<string, number> = {
  importCustomersBulk: 250,
  importSubscriptionsBulk: 250,
  reportUsageBulk: 600,
  mutation: 250,
};

export class RateLimiter {
  private settings: Required<RateLimitSettings> = {
    enabled: false,
    windowMs: 60_000,
    perOperation: STIGG_LIMITS,
    perCustomerWrites: 30,
  };
  private windowStart = 0;
  private counts = new Map<string, number>();

  configure(settings: RateLimitSettings): Required<RateLimitSettings> {
    this.settings = {
      enabled: settings.enabled,
      windowMs: settings.windowMs ?? 60_000,
      perOperation: { ...STIGG_LIMITS, ...settings.perOperation },
      perCustomerWrites: settings.perCustomerWrites ?? 30,
    };
    this.counts.clear();
    return this.settings;
  }

  current(): Required<RateLimitSettings> {
    return this.settings;
  }

  /**
   * Counts a request; returns the limit that refuses it, or null. `customers` lists the customer ids a write
   * touches (asked for only while the emulation is on). The operation limits are checked first, then each
   * customer's; a refused request has already used up its quota on the counters bumped before the one that
   * refused it (as it would with Stigg, which counts what it receives), and is reported under that one alone.
   */
  admit(
    kind: 'query' | 'mutation',
    fields: readonly string[],
    customers: () => Iterable<string>,
  ): RateLimitRefusal | null {
    if (!this.settings.enabled || kind !== 'mutation') return null;
    const now = Date.now();
    if (now - this.windowStart >= this.settings.windowMs) {
      this.windowStart = now;
      this.counts.clear();
    }
    const bump = (key: string, limit: number) => {
      const n = (this.counts.get(key) ?? 0) + 1;
      this.counts.set(key, n);
      return n > limit;
    };
    const per = `per ${this.settings.windowMs / 1000} s`;
    for (const field of fields) {
      const limit = this.settings.perOperation[field] ?? this.settings.perOperation.mutation ?? Infinity;
      if (bump(`op:${field}`, limit))
        return { limit: 'operation', field, message: `Too many ${field} requests: at most ${limit} ${per}` };
    }
    for (const customerId of new Set(customers())) {
      if (bump(`customer:${customerId}`, this.settings.perCustomerWrites)) {
        return {
          limit: 'customer',
          customerId,
          message: `Too many writes for customer ${customerId}: at most ${this.settings.perCustomerWrites} ${per}`,
        };
      }
    }
    return null;
  }
}

/** Customer ids named anywhere in a write's variables (`customerId` keys, at any depth). */
export function customersIn(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 4 || value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    for (const v of value) customersIn(v, out, depth + 1);
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k === 'customerId' && typeof v === 'string') out.push(v);
    else customersIn(v, out, depth + 1);
  }
  return out;
}
