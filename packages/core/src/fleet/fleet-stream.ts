import type { CacheEntry, UsagePatch } from '../cache/entitlement-cache.js';
import type { StreamState } from '../events.js';
import type { Logger } from '../options.js';
import { LagTracker } from '../usage/lag.js';
import { withTimeout } from '../util/with-timeout.js';
import type { RedisLease } from './lease.js';
import type { PubSub } from './pubsub.js';
import { unrefTimer } from '../util/timers.js';

/** What the stream's holder tells the fleet. `t`: its lease token; `at`: when it sent the message (epoch ms). */
export type FleetMessage =
  | { k: 'beat'; t: number; at: number; live: boolean }
  | { k: 'set'; t: number; at: number; c: string; r: string | null; e: CacheEntry }
  | { k: 'usage'; t: number; at: number; c: string; r: string | null; f: string; p: UsagePatch }
  | { k: 'reset'; t: number; at: number };

/** A message as the holder writes it (the token and time are added when it is sent). */
export type FleetMessageBody = FleetMessage extends infer M
  ? M extends FleetMessage
    ? Omit<M, 't' | 'at'>
    : never
  : never;

/** A Stigg stream as the fleet's holder runs it. */
export interface HeldStream {
  start(): void;
  stop(): Promise<void>;
}

/** What the fleet's stream does in this process. */
export interface FleetStreamHandlers {
  /** Opens Stigg's stream (this process just took the lease); it reports through `Tollgate`'s stream handlers. */
  openStream(): HeldStream;
  /** An entry the holder pushed and wrote to the shared level: apply it in process. */
  entitlements(customerId: string, resourceId: string | null, entry: CacheEntry): void;
  usage(customerId: string, resourceId: string | null, featureId: string, patch: UsagePatch): void;
  /** Messages may have been missed (a new holder, pub/sub lost, the holder reconnected): revalidate lazily. */
  reset(): void;
  /** Whether the fleet's stream keeps this process's cache fresh now, as a stream state. */
  state(state: StreamState): void;
}

/** Without a beat for this many beat intervals, followers count the fleet's stream as down. */
const MISSED_BEATS = 3;

export type FleetRole = 'holder' | 'follower';

/**
 * One Stigg stream per fleet. The holder of a lease in Redis (the same mechanism as usage delivery: `RedisLease`)
 * opens Stigg's stream, writes what it pushes to the shared level and publishes it on a Redis channel; every other
 * process applies it in process and opens no connection to Stigg. The holder also beats every `beatMs`, saying
 * whether its stream is connected: followers trust their cache for the long `freshForMs` only while beats say so.
 * When the holder dies, another process takes the lease within about its TTL and opens the stream; a new holder,
 * a lost subscription or a holder's reconnect make every process revalidate lazily (messages may have been missed).
 */
export class FleetStream {
  role: FleetRole = 'follower';
  /** Times this process took or lost the stream's lease. */
  leaseChanges = 0;
  /** Messages received from the holder. */
  messages = 0;
  /** Time from the holder's publish to this process applying it. */
  readonly lag = new LagTracker();
  private stream: HeldStream | null = null;
  private streamConnected = false;
  private holderToken = 0;
  private liveUntil = 0;
  private lastState: StreamState | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private stopped = false;
  private tick: Promise<void> | null = null;

  constructor(
    private readonly lease: RedisLease,
    private readonly pubSub: PubSub,
    private readonly channel: string,
    private readonly beatMs: number,
    /** Longest wait for Redis on one call. */
    private readonly timeoutMs: number,
    private readonly handlers: FleetStreamHandlers,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the fleet's stream keeps this process's cache fresh now. */
  get live(): boolean {
    return this.role === 'holder' ? this.streamConnected : this.now() < this.liveUntil;
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.step(), this.beatMs);
    unrefTimer(this.timer);
    await this.step();
  }

  /** Subscribes to the holder's messages (again, after a failure): what was sent before is unknown. */
  private async subscribe(): Promise<void> {
    const subscribing = this.pubSub.subscribe(
      this.channel,
      (m) => this.receive(m),
      () => this.handlers.reset(),
    );
    try {
      this.unsubscribe = await withTimeout(subscribing, this.timeoutMs, 'fleet channel subscription');
      this.handlers.reset();
    } catch (err) {
      // One that completes late is closed: the next beat subscribes anew.
      subscribing.then(
        (close) => close().catch(() => {}),
        () => {},
      );
      this.logger.warn(
        `tollgate: the fleet's stream channel could not be subscribed (${(err as Error).message}); trying again`,
      );
    }
  }

  /** One beat: take or renew the lease, open or close the stream accordingly, tell the fleet. */
  step(): Promise<void> {
    this.tick ??= this.stepOnce().finally(() => (this.tick = null));
    return this.tick;
  }

  private async stepOnce(): Promise<void> {
    if (this.stopped) return;
    if (!this.unsubscribe) await this.subscribe();
    if (this.stopped) return;
    await this.lease.renew();
    if (this.stopped) return;
    const holds = this.lease.held;
    if (holds && this.role !== 'holder') {
      this.role = 'holder';
      this.leaseChanges += 1;
      this.holderToken = this.lease.currentToken;
      this.streamConnected = false;
      this.logger.info?.(`tollgate: this process holds the fleet's Stigg stream (token ${this.holderToken})`);
      this.handlers.reset(); // as a follower it may have missed messages
      this.stream = this.handlers.openStream();
      this.stream.start();
    } else if (holds && this.lease.currentToken !== this.holderToken) {
      // Lost and taken again between two beats: a new token, and the fleet may have missed messages meanwhile.
      this.holderToken = this.lease.currentToken;
      this.handlers.reset();
      await this.send({ k: 'reset' });
    } else if (!holds && this.role === 'holder') {
      this.role = 'follower';
      this.leaseChanges += 1;
      this.logger.info?.("tollgate: this process no longer holds the fleet's Stigg stream");
      const stream = this.stream;
      this.stream = null;
      this.streamConnected = false;
      await stream?.stop();
    }
    if (this.role === 'holder') await this.send({ k: 'beat', live: this.streamConnected });
    this.report();
  }

  /** The holder's stream changed state (called by the stream's handlers). */
  holderState(state: StreamState): void {
    const connected = state === 'connected';
    if (connected === this.streamConnected) return;
    this.streamConnected = connected;
    this.report();
    void this.send({ k: 'beat', live: connected });
  }

  /** Tells the fleet (the holder only). */
  async send(message: FleetMessageBody): Promise<void> {
    if (this.role !== 'holder') return;
    const full = { ...message, t: this.holderToken, at: this.now() } as FleetMessage;
    try {
      await withTimeout(this.pubSub.publish(this.channel, JSON.stringify(full)), this.timeoutMs, 'fleet message');
    } catch (err) {
      this.logger.debug?.(`tollgate: fleet message not published (${(err as Error).message})`);
    }
  }

  private receive(raw: string): void {
    let m: FleetMessage;
    try {
      m = JSON.parse(raw) as FleetMessage;
    } catch {
      return;
    }
    if (typeof m?.t !== 'number' || typeof m.at !== 'number') return;
    // Its own, or another process that believes it holds the lease: the holder goes by its lease alone.
    if (this.role === 'holder') return;
    this.messages += 1;
    const now = this.now();
    this.lag.add(Math.max(0, now - m.at));
    if (m.t !== this.holderToken) {
      // A new holder: what happened between the old one's last message and this one's connect is unknown.
      if (m.t < this.holderToken) return; // a former holder that has not noticed yet
      const first = this.holderToken === 0;
      this.holderToken = m.t;
      if (!first) this.handlers.reset();
    }
    switch (m.k) {
      case 'beat':
        this.liveUntil = m.live ? now + this.beatMs * MISSED_BEATS : 0;
        break;
      case 'set':
        this.handlers.entitlements(m.c, m.r, m.e);
        break;
      case 'usage':
        this.handlers.usage(m.c, m.r, m.f, m.p);
        break;
      case 'reset':
        this.handlers.reset();
        break;
    }
    this.report();
  }

  /** Reports the stream state this process sees when it changes (the holder's own, or the beats' word). */
  private report(): void {
    const state: StreamState = this.live ? 'connected' : this.role === 'holder' ? 'connecting' : 'disconnected';
    if (state === this.lastState) return;
    this.lastState = state;
    this.handlers.state(state);
  }

  /** Resolves once the fleet's stream keeps this process fresh, or after `timeoutMs`. */
  async waitForLive(timeoutMs: number): Promise<boolean> {
    const end = this.now() + timeoutMs;
    while (!this.live) {
      if (this.now() >= end || this.stopped) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  }

  /** Stops beating, closes the stream if held, gives the lease up (another process takes it at once), unsubscribes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.tick;
    const stream = this.stream;
    this.stream = null;
    this.role = 'follower';
    await stream?.stop();
    await this.lease.stop();
    const close = this.unsubscribe;
    this.unsubscribe = null;
    if (close) await withTimeout(close(), this.timeoutMs, 'fleet channel close').catch(() => {});
  }
}
