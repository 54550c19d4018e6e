import { describe, expect, it } from 'vitest';
import { FleetStream, type FleetStreamHandlers } from '../src/fleet/fleet-stream.js';
import type { RedisLease } from '../src/fleet/lease.js';
import type { PubSub } from '../src/fleet/pubsub.js';

const quiet = { warn: () => {}, error: () => {} };

/** A channel shared by the processes of one test, delivering synchronously. */
function channel() {
  const listeners = new Set<(m: string) => void>();
  const sent: Record<string, unknown>[] = [];
  const pubSub: PubSub = {
    publish: async (_c, m) => {
      sent.push(JSON.parse(m) as Record<string, unknown>);
      for (const l of listeners) l(m);
    },
    subscribe: async (_c, listener) => {
      listeners.add(listener);
      return async () => void listeners.delete(listener);
    },
  };
  return { pubSub, sent };
}

/** A lease this test hands out: `holder` says who holds it, with which token. */
function leases() {
  const state = { holder: '' as string, token: 0 };
  const lease = (name: string) =>
    ({
      renew: async () => {},
      get held() {
        return state.holder === name;
      },
      get currentToken() {
        return state.holder === name ? state.token : 0;
      },
      stop: async () => {
        if (state.holder === name) state.holder = '';
      },
    }) as unknown as RedisLease;
  return { state, lease };
}

function member(name: string, pubSub: PubSub, lease: RedisLease, clock: { now: number }) {
  const seen = {
    resets: 0,
    sets: [] as string[],
    usage: [] as string[],
    states: [] as string[],
    opened: 0,
    stopped: 0,
  };
  const handlers: FleetStreamHandlers = {
    openStream: () => {
      seen.opened += 1;
      return { start: () => {}, stop: async () => void (seen.stopped += 1) };
    },
    entitlements: (c) => void seen.sets.push(c),
    usage: (c, _r, f) => void seen.usage.push(`${c}/${f}`),
    reset: () => void (seen.resets += 1),
    state: (s) => void seen.states.push(s),
  };
  const fleet = new FleetStream(lease, pubSub, 'ch', 1_000, 100, handlers, quiet, () => clock.now);
  return { fleet, seen, name };
}

/** Processes sharing one channel and one lease, which `a` holds (token 1) to begin with. */
function fleetOf<const N extends string[]>(...names: N) {
  const clock = { now: 1_000_000 };
  const { pubSub } = channel();
  const { state, lease } = leases();
  state.holder = 'a';
  state.token = 1;
  const members = names.map((n) => member(n, pubSub, lease(n), clock)) as { [K in keyof N]: ReturnType<typeof member> };
  return { clock, pubSub, state, members };
}

describe("the fleet's stream", () => {
  it('the lease holder opens the one stream and speaks for it; followers apply what it sends, and trust it while it beats', async () => {
    const {
      clock,
      members: [a, b],
    } = fleetOf('a', 'b');
    await a.fleet.start();
    await b.fleet.start();
    expect([a.fleet.role, b.fleet.role]).toEqual(['holder', 'follower']);
    expect([a.seen.opened, b.seen.opened]).toEqual([1, 0]);

    a.fleet.holderState('connected'); // its stream is up: it beats so
    expect(b.fleet.live).toBe(true);
    expect(b.seen.states.at(-1)).toBe('connected');
    const entry = { set: { entitlements: {} }, version: 1, validatedAt: clock.now };
    await a.fleet.send({ k: 'set', c: 'customer-1', r: null, e: entry });
    await a.fleet.send({
      k: 'usage',
      c: 'customer-1',
      r: null,
      f: 'feature-api-calls',
      p: { currentUsage: 3, usagePeriodStart: null, usagePeriodEnd: null },
    });
    expect(b.seen.sets).toEqual(['customer-1']);
    expect(b.seen.usage).toEqual(['customer-1/feature-api-calls']);
    expect(a.seen.sets).toEqual([]); // the holder ignores its own messages

    clock.now += 3_001; // no beat for three intervals: the follower no longer trusts its cache for long
    expect(b.fleet.live).toBe(false);
    await b.fleet.step();
    expect(b.seen.states.at(-1)).toBe('disconnected');
  });

  it('a new holder: the old one closes its stream; followers revalidate (messages may have been missed)', async () => {
    const {
      clock,
      pubSub,
      state,
      members: [a, b, c],
    } = fleetOf('a', 'b', 'c');
    for (const p of [a, b, c]) await p.fleet.start();
    await a.fleet.send({ k: 'beat', live: true });
    const resetsBefore = c.seen.resets;

    state.holder = 'b'; // a's lease lapsed (it stalled); b took it with a newer token
    state.token = 2;
    await a.fleet.step();
    await b.fleet.step();
    expect([a.fleet.role, b.fleet.role, c.fleet.role]).toEqual(['follower', 'holder', 'follower']);
    expect(a.seen.stopped).toBe(1);
    expect(b.seen.opened).toBe(1);
    expect(c.seen.resets).toBeGreaterThan(resetsBefore); // the new token was seen
    expect(a.seen.resets).toBeGreaterThan(0);

    // A former holder's late message (its older token) is not taken.
    const setsBefore = c.seen.sets.length;
    await pubSub.publish('ch', JSON.stringify({ k: 'set', t: 1, at: clock.now, c: 'late', r: null, e: {} }));
    expect(c.seen.sets.length).toBe(setsBefore);
  });

  it('stop gives the lease up and closes the stream', async () => {
    const {
      state,
      members: [a],
    } = fleetOf('a');
    await a.fleet.start();
    await a.fleet.stop();
    expect(a.seen.stopped).toBe(1);
    expect(state.holder).toBe('');
  });
});
