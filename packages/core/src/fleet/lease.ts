import type { Logger } from '../options.js';
import { LEASE_ACQUIRE, LEASE_RELEASE } from '../usage/redis-scripts.js';
import { usableRedis, type RedisLike } from '../usage/redis-meter-store.js';
import { withTimeout } from '../util/with-timeout.js';
import { unrefTimer } from '../util/timers.js';

export interface LeaseConfig {
  /** The lease lapses this long after its holder's last renewal (the holder died or stalled). */
  ttlMs: number;
  /** How often the holder renews and the others try to take it. */
  renewMs: number;
  /** Longest wait for Redis on one attempt. */
  timeoutMs: number;
}

/**
 * "One process of the fleet does this": a lease in Redis, renewed by its holder, taken by another process within
 * `ttlMs + renewMs` when the holder dies, given up at once on `stop()`. Each acquisition gets a new fencing token
 * (a counter in Redis): stores that a holder writes remember the newest token they saw and refuse older ones, so a
 * paused former holder cannot write after losing the lease. The holder counts itself as holding only until
 * `ttlMs` after its last successful renewal, minus a margin, whatever Redis later says.
 */
export class RedisLease {
  readonly holderId = crypto.randomUUID();
  private token = 0;
  private heldUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private attempt: Promise<void> | null = null;

  private readonly redis: RedisLike;

  constructor(
    redis: RedisLike,
    private readonly keys: { lease: string; fence: string },
    private readonly name: string,
    private readonly config: LeaseConfig,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    // Both keys share a hash tag (one slot): the lease script runs on Redis Cluster too.
    this.redis = usableRedis(redis);
  }

  /** The fencing token while this process holds the lease; 0 when it does not. */
  get currentToken(): number {
    return this.held ? this.token : 0;
  }

  get held(): boolean {
    return this.token > 0 && this.now() < this.heldUntil;
  }

  start(): void {
    if (this.timer) return;
    void this.renew();
    this.timer = setInterval(() => void this.renew(), this.config.renewMs);
    unrefTimer(this.timer);
  }

  /** One attempt to take or renew the lease (concurrent calls share it). */
  renew(): Promise<void> {
    this.attempt ??= this.tryRenew().finally(() => (this.attempt = null));
    return this.attempt;
  }

  private async tryRenew(): Promise<void> {
    const started = this.now();
    const wasHeld = this.held;
    try {
      const token = Number(
        await withTimeout(
          this.redis.eval(LEASE_ACQUIRE, {
            keys: [this.keys.lease, this.keys.fence],
            arguments: [this.holderId, String(this.config.ttlMs)],
          }),
          this.config.timeoutMs,
          `${this.name} lease`,
        ),
      );
      this.token = token;
      // Counted from when the attempt started, with a margin for clock drift between here and Redis.
      this.heldUntil = token > 0 ? started + this.config.ttlMs * 0.8 : 0;
    } catch (err) {
      this.logger.debug?.(`tollgate: ${this.name} lease not renewed (${(err as Error).message})`);
    }
    if (this.held !== wasHeld)
      this.logger.debug?.(`tollgate: ${this.name} lease ${this.held ? `taken (token ${this.token})` : 'lost'}`);
  }

  /** Stops renewing and gives the lease up, so another process takes it at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.attempt;
    if (this.token === 0) return;
    this.token = 0;
    this.heldUntil = 0;
    await withTimeout(
      this.redis.eval(LEASE_RELEASE, { keys: [this.keys.lease], arguments: [this.holderId] }),
      this.config.timeoutMs,
      `${this.name} lease release`,
    ).catch(() => {});
  }
}
