import type { KeyvLike, Logger } from '../options.js';
import { withTimeout } from '../util/with-timeout.js';

/**
 * The second level as the cache sees it: every call bounded by a timeout, and after a failure the store is
 * skipped for a while, so a dead Redis costs one timeout, not one per request. Failures never throw.
 */
export class StoreGuard {
  private downUntil = 0;
  /** Calls that failed or timed out (a metric). */
  errors = 0;

  constructor(
    private readonly store: KeyvLike,
    private readonly timeoutMs: number,
    private readonly retryAfterMs: number,
    private readonly logger: Logger,
  ) {
    // Keyv emits its store's errors; without a listener an EventEmitter would throw them.
    store.on?.('error', (err) => this.fail('error event', err));
  }

  get available(): boolean {
    return Date.now() >= this.downUntil;
  }

  private fail(what: string, err: unknown): undefined {
    this.errors += 1;
    if (this.available)
      this.logger.warn(
        `tollgate: cache store ${what} failed (${(err as Error)?.message ?? String(err)}); using the in-process cache and Stigg for ${this.retryAfterMs} ms`,
      );
    this.downUntil = Date.now() + this.retryAfterMs;
    return undefined;
  }

  private async bounded<T>(what: string, op: () => Promise<T>): Promise<T | undefined> {
    if (!this.available) return undefined;
    try {
      return await withTimeout(op(), this.timeoutMs, what);
    } catch (err) {
      return this.fail(what, err);
    }
  }

  get(key: string): Promise<unknown> {
    return this.bounded('get', () => this.store.get(key));
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.bounded('set', () => this.store.set(key, value, ttlMs));
  }

  async delete(key: string): Promise<void> {
    await this.bounded('delete', () => this.store.delete(key));
  }
}
