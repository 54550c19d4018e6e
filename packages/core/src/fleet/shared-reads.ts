import type { Logger } from '../options.js';
import type { RedisLike } from '../usage/redis-meter-store.js';
import { withTimeout } from '../util/with-timeout.js';

/** KEYS: lock. ARGV: token, ttl ms. Takes a free lock (1), else 0. */
const LOCK = `return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0`;
/** KEYS: lock. ARGV: token. Frees the lock if this token holds it. */
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** KEYS: the second's counter. Counts one read; returns the count of this second. */
const COUNT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end return n`;

/** What a lock attempt found: this process holds it now (its token), another one does, or Redis cannot tell. */
export type LockAttempt = { held: string } | 'taken' | 'unknown';

/**
 * "One read per fleet": a short lock per cache key in Redis, so that of N processes asking at once for a customer
 * nobody has cached, one asks Stigg and the others take its answer from the shared level. A lock lives at most
 * `ttlMs` (its holder died or Stigg is slow: the others then read themselves). Redis trouble never blocks a read.
 */
export class ReadLocks {
  constructor(
    private readonly redis: RedisLike,
    private readonly ttlMs: number,
    private readonly timeoutMs: number,
  ) {}

  async take(storeKey: string): Promise<LockAttempt> {
    const token = crypto.randomUUID();
    try {
      const got = await withTimeout(
        this.redis.eval(LOCK, { keys: [`${storeKey}:read-lock`], arguments: [token, String(this.ttlMs)] }),
        this.timeoutMs,
        'read lock',
      );
      return Number(got) === 1 ? { held: token } : 'taken';
    } catch {
      return 'unknown';
    }
  }

  async release(storeKey: string, token: string): Promise<void> {
    await withTimeout(
      this.redis.eval(UNLOCK, { keys: [`${storeKey}:read-lock`], arguments: [token] }),
      this.timeoutMs,
      'read unlock',
    ).catch(() => {});
  }
}

/** Counts reads per second window: in Redis for the whole fleet, or in process. */
export interface ReadCounter {
  /** Counts one read in the window; the window's count so far (this one included). */
  count(window: number): Promise<number>;
}

export class RedisReadCounter implements ReadCounter {
  constructor(
    private readonly redis: RedisLike,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {}

  async count(window: number): Promise<number> {
    return Number(
      await withTimeout(
        this.redis.eval(COUNT, { keys: [`${this.prefix}:${window}`], arguments: [] }),
        this.timeoutMs,
        'read budget',
      ),
    );
  }
}

export class LocalReadCounter implements ReadCounter {
  private window = 0;
  private n = 0;

  async count(window: number): Promise<number> {
    if (window !== this.window) {
      this.window = window;
      this.n = 0;
    }
    return ++this.n;
  }
}

/**
 * The read budget: entitlement reads sent to Stigg, at most `perMinute` in any minute (spread as a per-second
 * allowance, so that a fleet restarting together cannot spend the minute in its first seconds). Stigg counts one
 * budget per API key across all callers and answers 429 past it; staying below it keeps Stigg answering.
 */
export class ReadBudget {
  private readonly perSecond: number;
  /** Reads that had to wait for a later second. */
  waited = 0;
  /** Reads refused: the budget had nothing left within their wait. */
  refused = 0;
  /** Counts when the counter fails (Redis cannot answer), and until when Redis is not asked again. */
  private readonly local = new LocalReadCounter();
  private counterDownUntil = 0;

  constructor(
    perMinute: number,
    private readonly counter: ReadCounter,
    private readonly logger: Logger,
    /** After the counter failed, counted in process for this long (a Redis that is down is not waited on per read). */
    private readonly retryAfterMs = 5_000,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    // Any minute touches 61 one-second windows: each gets a 61st of the minute's budget.
    this.perSecond = Math.max(1, Math.floor(perMinute / 61));
  }

  /** Takes one read, waiting for a later second until `until` (epoch ms); false when none was left by then. */
  async take(until: number): Promise<boolean> {
    let waited = false;
    for (;;) {
      const now = this.now();
      const window = Math.floor(now / 1000);
      let n: number;
      if (now < this.counterDownUntil) n = await this.local.count(window);
      else {
        try {
          n = await this.counter.count(window);
        } catch (err) {
          // Redis cannot count for the fleet now: this process keeps to the allowance on its own for a while.
          this.logger.debug?.(`tollgate: read budget not counted in Redis (${(err as Error).message}); counted here`);
          this.counterDownUntil = this.now() + this.retryAfterMs;
          n = await this.local.count(window);
        }
      }
      if (n <= this.perSecond) {
        if (waited) this.waited += 1;
        return true;
      }
      // The next second, with a little jitter so that waiters do not all count at the same instant.
      const next = (window + 1) * 1000 + Math.floor(Math.random() * 50);
      if (next > until) {
        this.refused += 1;
        return false;
      }
      waited = true;
      await this.sleep(next - now);
    }
  }
}
