import { toBase64 } from '../util/byte-encoding.js';
import { sha256 } from '../util/sha256.js';

/** Keys longer than this are remembered by their hash: a client-sized key must not become server-sized memory. */
const LONG_KEY = 64;

/**
 * Request idempotency keys remembered for a time, in process memory: O(1) per add and lookup, bounded in count
 * (the oldest go first) and expiring by time. Every key lives equally long, so insertion order is expiry order
 * and expired keys are dropped from the front as new ones arrive.
 */
export class ExpiringKeys {
  private readonly keys = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    const expires = this.keys.get(compact(key));
    return expires !== undefined && expires > this.now();
  }

  add(key: string): void {
    const now = this.now();
    const k = compact(key);
    this.keys.delete(k); // re-inserted last, so the order stays the expiry order
    this.keys.set(k, now + this.ttlMs);
    for (const [oldest, expires] of this.keys) {
      if (expires > now && this.keys.size <= this.maxKeys) break;
      this.keys.delete(oldest);
    }
  }
}

const compact = (key: string) => (key.length > LONG_KEY ? toBase64(sha256(key)) : key);
