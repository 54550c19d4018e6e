/** The meter's lifecycle with a fake store and decision: what close() waits for. */
import { describe, expect, it } from 'vitest';
import { decide } from '../src/decision/decide.js';
import { MemoryMeterStore } from '../src/usage/memory-meter-store.js';
import { UsageMeter } from '../src/usage/usage-meter.js';

const granted = decide({ entitlements: {} }, { customerId: 'c', featureId: 'f' }, 0);

describe('usage meter', () => {
  it('counts a request from the moment it enters: idle() waits for one still deciding, and for its settle', async () => {
    let answer!: () => void;
    const meter = new UsageMeter({
      store: new MemoryMeterStore(),
      reservationTtlMs: 60_000,
      decide: () => new Promise((r) => (answer = () => r({ ...granted, hasAccess: true, reason: null }))),
      committed: () => {},
    });
    const entering = meter.enter({ customerId: 'c', featureId: 'f' });
    expect(meter.inflight).toBe(1);
    let idle = false;
    const waiting = meter.idle(Date.now() + 5_000).then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(idle).toBe(false);
    answer();
    const metered = await entering;
    expect(metered.allowed).toBe(true);
    expect(idle).toBe(false); // reserved: still in flight until it settles
    await metered.settle({ success: true });
    await waiting;
    expect(meter.inflight).toBe(0);
  });

  it('a request denied before reserving leaves nothing in flight', async () => {
    const meter = new UsageMeter({
      store: new MemoryMeterStore(),
      reservationTtlMs: 60_000,
      decide: () => granted,
      committed: () => {},
    });
    const metered = await meter.enter({ customerId: 'c', featureId: 'f' });
    expect(metered.allowed).toBe(false);
    expect(meter.inflight).toBe(0);
  });
  it('a request denied before it reserves (limit reached since, Stigg out of reach) still finds its key: replayed, or 409 while it runs', async () => {
    let allow = true;
    const meter = new UsageMeter({
      store: new MemoryMeterStore(),
      reservationTtlMs: 60_000,
      decide: () => ({ ...granted, hasAccess: allow, reason: allow ? null : 'Unknown', isFallback: !allow }),
      committed: () => {},
    });
    const request = { customerId: 'c', featureId: 'f', idempotencyKey: 'k-1' };
    const first = await meter.enter(request);
    const running = await meter.enter({ ...request, idempotencyKey: 'k-2' });
    await first.settle({ success: true, response: { status: 201, headers: {}, body: 'e30=' } });
    allow = false; // now every new request is denied
    const retry = await meter.enter(request);
    expect(retry).toMatchObject({ allowed: true, duplicate: true, replay: { status: 201 } });
    expect(await meter.enter({ ...request, idempotencyKey: 'k-2' })).toMatchObject({ allowed: false, inFlight: true });
    await running.settle({ success: false });
    expect(await meter.enter({ ...request, idempotencyKey: 'k-3' })).toMatchObject({
      allowed: false,
      inFlight: false,
      duplicate: false,
    });
  });

  it("a keyed request denied while the fleet's store cannot tell its key is answered as unavailable, not denied for good", async () => {
    const store = new MemoryMeterStore();
    store.seen = async () => ({ status: 'unknown' }); // the shared store did not answer
    const limitReached = { ...granted, hasAccess: false, reason: 'RequestedUsageExceedingLimit' as const };
    const meter = new UsageMeter({ store, reservationTtlMs: 60_000, decide: () => limitReached, committed: () => {} });
    const keyed = await meter.enter({ customerId: 'c', featureId: 'f', idempotencyKey: 'k-1' });
    expect(keyed).toMatchObject({ allowed: false, decision: { isFallback: true, reason: 'Unknown' } });
    const plain = await meter.enter({ customerId: 'c', featureId: 'f' });
    expect(plain.decision).toMatchObject({ isFallback: false, reason: 'RequestedUsageExceedingLimit' });
  });
});
