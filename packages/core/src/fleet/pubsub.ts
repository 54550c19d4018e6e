import { readyClient } from '../usage/redis-meter-store.js';

/**
 * Redis pub/sub as the fleet uses it: one channel, messages as strings. A standalone node-redis client subscribes on
 * a duplicate connection of its own (a subscribed connection runs nothing else); a Cluster client uses sharded
 * pub/sub (`SPUBLISH`/`SSUBSCRIBE`: the message travels within the channel's shard, not to every node); a Sentinel
 * client manages its pub/sub connection itself and follows failovers.
 */
export interface PubSub {
  publish(channel: string, message: string): Promise<unknown>;
  /**
   * Subscribes; `listener` gets every message. `lost` is called when the subscription may have missed messages (its
   * connection dropped; it resubscribes by itself). Resolves with a function that unsubscribes and closes.
   */
  subscribe(channel: string, listener: (message: string) => void, lost: () => void): Promise<() => Promise<void>>;
}

/** The node-redis client surface used here (v4/v5: createClient, createCluster, createSentinel). */
interface NodeRedis {
  publish?(channel: string, message: string): Promise<unknown>;
  sPublish?(channel: string, message: string): Promise<unknown>;
  subscribe?(channel: string, listener: (message: string) => void): Promise<unknown>;
  sSubscribe?(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe?(channel: string): Promise<unknown>;
  sUnsubscribe?(channel: string): Promise<unknown>;
  duplicate?(): NodeRedis;
  connect?(): Promise<unknown>;
  destroy?(): unknown;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  masters?: unknown;
  getMasterNode?: unknown;
}

const isCluster = (c: NodeRedis) => typeof c.sSubscribe === 'function' && 'masters' in c;
const isSentinel = (c: NodeRedis) => typeof c.getMasterNode === 'function';

/** Pub/sub over a node-redis client (obtained lazily: `@keyv/redis` connects on first use). */
export function pubSubOf(client: () => Promise<unknown>): PubSub {
  return {
    async publish(channel, message) {
      const c = (await client()) as NodeRedis;
      if (isCluster(c)) return c.sPublish!(channel, message);
      if (typeof c.publish !== 'function') throw new Error('this Redis client cannot publish');
      return c.publish(channel, message);
    },
    async subscribe(channel, listener, lost) {
      const c = (await client()) as NodeRedis;
      if (isCluster(c)) {
        await c.sSubscribe!(channel, listener);
        return async () => void (await c.sUnsubscribe?.(channel));
      }
      if (isSentinel(c)) {
        await c.subscribe!(channel, listener);
        return async () => void (await c.unsubscribe?.(channel));
      }
      if (typeof c.duplicate !== 'function') throw new Error('this Redis client cannot subscribe (no duplicate())');
      const sub = c.duplicate();
      // A dropped connection reconnects and resubscribes by itself; messages sent meanwhile are gone.
      let dropped = false;
      sub.on?.('error', () => {});
      sub.on?.('reconnecting', () => (dropped = true));
      sub.on?.('ready', () => {
        if (!dropped) return;
        dropped = false;
        lost();
      });
      await sub.connect!();
      await sub.subscribe!(channel, listener);
      // Closed at once (a Redis that does not answer must not hold a close up).
      return async () =>
        void (typeof sub.destroy === 'function' ? sub.destroy() : await (sub.close ?? sub.quit)?.call(sub));
    },
  };
}

/** Pub/sub of a node-redis client given directly (not through Keyv), or null when it is not one. */
export function pubSubOfClient(client: unknown): PubSub | null {
  const c = client as NodeRedis | null;
  if (!c || typeof c !== 'object' || (typeof c.publish !== 'function' && typeof c.sPublish !== 'function')) return null;
  return pubSubOf(readyClient(async () => c));
}
