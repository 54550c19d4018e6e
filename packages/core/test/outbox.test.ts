/** The outbox's delivery rules with a fake Stigg and fake timers: pacing, merging, retries, what is final. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StiggClient } from '../src/client/stigg-client.js';
import { StiggApiError } from '../src/errors.js';
import { deliveryVerdict, FINAL_USAGE_CODES } from '../src/usage/delivery-errors.js';
import { MemoryMeterStore } from '../src/usage/memory-meter-store.js';
import { Outbox, type OutboxConfig } from '../src/usage/outbox.js';
import { SpillFile } from '../src/usage/spill-file.js';

type Usage = { customerId: string; featureId: string; value: number; idempotencyKey?: string };

/** A Stigg that records every call, answers with `answer` (default: applied), and dedups by idempotency key. */
function fakeStigg() {
  const calls: { at: number; usages: Usage[]; ok: boolean }[] = [];
  const applied = new Map<string, number>();
  const seen = new Set<string>();
  const stigg = {
    calls,
    applied,
    answer: null as null | ((usages: Usage[]) => Error | null),
    options: [] as unknown[],
    reportUsageBulk: async (usages: Usage[], options?: unknown) => {
      stigg.options.push(options);
      const err = stigg.answer?.(usages) ?? null;
      calls.push({ at: Date.now(), usages, ok: !err });
      if (err) throw err;
      for (const u of usages) {
        if (u.idempotencyKey && seen.has(u.idempotencyKey)) continue;
        if (u.idempotencyKey) seen.add(u.idempotencyKey);
        applied.set(u.customerId, (applied.get(u.customerId) ?? 0) + u.value);
      }
      return usages.map((u) => ({
        id: 'x',
        customerId: u.customerId,
        resourceId: null,
        featureId: u.featureId,
        currentUsage: null,
        usagePeriodStart: null,
        usagePeriodEnd: null,
        timestamp: '',
      }));
    },
  };
  return stigg;
}

const quiet = { warn: () => {}, error: () => {} };
const config = {
  flushIntervalMs: 1_000,
  maxBatch: 100,
  retryBaseMs: 250,
  retryMaxMs: 30_000,
  customerWritesPerMinute: 20,
  bulkCallsPerMinute: 500,
};

function setup(extra: Partial<OutboxConfig> = {}, stigg = fakeStigg(), logger = quiet) {
  const store = new MemoryMeterStore();
  const dropped: string[] = [];
  const outbox = new Outbox(
    store,
    stigg as unknown as StiggClient,
    { ...config, ...extra },
    { acknowledged: () => {}, flushed: () => {}, dropped: (r) => dropped.push(r.customerId), failed: () => {} },
    logger,
  );
  let n = 0;
  const commit = async (customerId: string, units = 1, featureId = 'f') => {
    const id = `r${n++}`;
    const key = { customerId, resourceId: null, featureId };
    await store.reserve({
      key,
      reservationId: id,
      units,
      limit: null,
      cachedUsage: 0,
      period: null,
      idempotencyKey: null,
      ttlMs: 60_000,
    });
    await store.commit(key, id, units, null, units);
  };
  return { store, stigg, outbox, commit, dropped };
}

const rateLimited = () =>
  new StiggApiError('RATE_LIMITED', 'slow down', { stiggCode: 'RateLimitExceeded', retryable: true, status: 200 });
const http500 = () => new StiggApiError('UNAVAILABLE', 'HTTP 500', { status: 500 });

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('what a failed delivery means', () => {
  it('is decided by one table: rate limits refuse, named-invalid records are final, everything else is retried', () => {
    expect(deliveryVerdict(rateLimited())).toBe('refused');
    expect(deliveryVerdict(http500())).toBe('retry');
    expect(
      deliveryVerdict(new StiggApiError('STIGG_ERROR', 'oops', { stiggCode: 'UnexpectedError', status: 200 })),
    ).toBe('retry');
    expect(deliveryVerdict(new StiggApiError('UNAVAILABLE', 'timeout', { retryable: true }))).toBe('retry');
    expect(deliveryVerdict(new StiggApiError('UNAUTHENTICATED', 'key'))).toBe('retry');
    for (const code of ['CustomerNotFound', 'FeatureNotFound', 'BadUserInput']) {
      expect(FINAL_USAGE_CODES.has(code)).toBe(true);
      expect(deliveryVerdict(new StiggApiError('STIGG_ERROR', code, { stiggCode: code }))).toBe('final');
    }
  });
});

describe('outbox', () => {
  it('writes a busy customer at most 20 times a minute, one record per write, and never holds the others back', async () => {
    const { stigg, outbox, commit } = setup();
    outbox.start();
    let committed = 0;
    for (let ms = 0; ms < 180_000; ms += 50) {
      await commit('busy', 1);
      committed += 1;
      if (ms % 1_000 === 0) await commit(`other-${(ms / 1_000) % 20}`, 1);
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(5_000);
    const busyWrites = stigg.calls.filter((c) => c.usages.some((u) => u.customerId === 'busy')).map((c) => c.at);
    const worstMinute = Math.max(...busyWrites.map((t) => busyWrites.filter((u) => u >= t && u < t + 60_000).length));
    expect(worstMinute).toBeLessThanOrEqual(20);
    expect(stigg.applied.get('busy')).toBe(committed);
    for (const call of stigg.calls)
      expect(call.usages.filter((u) => u.customerId === 'busy').length).toBeLessThanOrEqual(1);
    for (let i = 0; i < 20; i++) expect(stigg.applied.get(`other-${i}`)).toBe(9);
    const callsPerMinute = Math.max(
      ...stigg.calls.map((c) => stigg.calls.filter((d) => d.at >= c.at && d.at < c.at + 60_000).length),
    );
    expect(callsPerMinute).toBeLessThanOrEqual(500);
  });

  it('merges the units of a refused call into the next record and slows down; nothing is lost or counted twice', async () => {
    const { stigg, store, outbox, commit } = setup();
    await commit('c', 2);
    stigg.answer = () => rateLimited();
    await outbox.flush();
    expect(stigg.calls).toHaveLength(1);
    await commit('c', 3);
    stigg.answer = null;
    await vi.advanceTimersByTimeAsync(4_000);
    await outbox.flush();
    expect(stigg.calls).toHaveLength(1); // the customer is paced at 1.5 times its spacing now (4.5 s)
    await vi.advanceTimersByTimeAsync(1_000);
    await outbox.flush();
    expect(stigg.calls).toHaveLength(2);
    expect(stigg.calls[1]!.usages).toEqual([expect.objectContaining({ customerId: 'c', value: 5 })]);
    expect(stigg.applied.get('c')).toBe(5);
    expect((await store.pendingUnits(false)).local).toBe(0);
  });

  it('retries a record after a 500 under the same idempotency key; new units wait, merged, until its outcome is known', async () => {
    const { stigg, outbox, commit } = setup();
    await commit('c', 4);
    stigg.answer = () => http500();
    await outbox.flush();
    await commit('c', 1);
    await vi.advanceTimersByTimeAsync(1_000);
    await outbox.flush(); // still failing: the same record again, nothing new sealed beside it
    await commit('c', 2);
    stigg.answer = null;
    await vi.advanceTimersByTimeAsync(60_000);
    await outbox.flush();
    await vi.advanceTimersByTimeAsync(3_000);
    await outbox.flush();
    const ok = stigg.calls.filter((c) => c.ok);
    expect(stigg.calls.every((c) => c.usages.length === 1)).toBe(true);
    expect(new Set(stigg.calls.filter((c) => !c.ok).map((c) => c.usages[0]!.idempotencyKey)).size).toBe(1);
    expect(ok[0]!.usages[0]).toMatchObject({ value: 4, idempotencyKey: stigg.calls[0]!.usages[0]!.idempotencyKey });
    expect(ok[1]!.usages[0]).toMatchObject({ value: 3 });
    expect(stigg.applied.get('c')).toBe(7);
  });

  it('sends each call once: the outbox, not the client, decides when to try again', async () => {
    const { stigg, outbox, commit } = setup();
    await commit('c', 1);
    await outbox.flush();
    expect(stigg.options).toEqual([expect.objectContaining({ attempts: 1 })]);
  });

  it('discards only the record Stigg names invalid for good; the customers batched with it are delivered', async () => {
    const { stigg, outbox, commit, dropped } = setup();
    await commit('good-1', 1);
    await commit('ghost', 7);
    await commit('good-2', 2);
    stigg.answer = (usages) =>
      usages.some((u) => u.customerId === 'ghost')
        ? new StiggApiError('STIGG_ERROR', 'no such customer', { stiggCode: 'CustomerNotFound' })
        : null;
    await outbox.flush();
    expect(stigg.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3_000); // each customer's next write slot
    const pass = outbox.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    await pass;
    expect(stigg.calls).toHaveLength(4); // then each customer alone
    expect(stigg.applied.get('good-1')).toBe(1);
    expect(stigg.applied.get('good-2')).toBe(2);
    expect(dropped).toEqual(['ghost']);
  });

  it("finds the bad record among one customer's records by sending them one per write; the good ones arrive", async () => {
    const { stigg, outbox, commit, dropped } = setup();
    await commit('c', 1, 'good');
    await commit('c', 2, 'bad');
    await commit('c', 3, 'also-good');
    stigg.answer = (usages) =>
      usages.some((u) => u.featureId === 'bad')
        ? new StiggApiError('STIGG_ERROR', 'no such feature', { stiggCode: 'FeatureNotFound' })
        : null;
    for (let i = 0; i < 6; i++) {
      const pass = outbox.flush();
      await vi.advanceTimersByTimeAsync(3_000);
      await pass;
    }
    expect(stigg.applied.get('c')).toBe(4);
    expect(dropped).toEqual(['c']);
    expect(stigg.calls.every((c) => c.usages.length <= 3)).toBe(true);
  });

  it('drains everything held in memory within the deadline, as one record per counter', async () => {
    const { stigg, outbox, commit } = setup();
    for (let i = 0; i < 250; i++) await commit(`c-${i % 150}`, 1);
    const pass = outbox.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    await pass;
    expect(stigg.calls.map((c) => c.usages.length)).toEqual([100, 50]);
    for (let i = 0; i < 150; i++) await commit(`c-${i}`, 1);
    const drained = outbox.drain(Date.now() + 10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await drained).toEqual({ delivered: expect.any(Number), persisted: 0, dropped: 0 });
    const total = [...stigg.applied.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(400);
  });
});

describe('the spill file', () => {
  const spillIn = async () => join(await mkdtemp(join(tmpdir(), 'tollgate-spill-')), 'usage.json');

  it('keeps what close could not deliver; the next process delivers it once, sent records under their keys', async () => {
    const path = await spillIn();
    const stigg = fakeStigg();
    const first = setup({ spill: new SpillFile(path, 'env-a') }, stigg);
    await first.commit('c-1', 5);
    await first.commit('c-2', 3);
    // Stigg applies the first call but its answer is lost, then fails every call until the deadline.
    const apply = stigg.reportUsageBulk;
    let calls = 0;
    stigg.reportUsageBulk = async (usages, options) => {
      if (++calls === 1) await apply(usages, options);
      throw http500();
    };
    const pass = first.outbox.flush();
    await vi.advanceTimersByTimeAsync(10);
    await pass;
    await first.commit('c-1', 2); // waits, unsent, behind c-1's record whose outcome is unknown
    const drained = first.outbox.drain(Date.now() + 3_000);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await drained).toEqual({ delivered: 0, persisted: 10, dropped: 0 });
    const kept = JSON.parse(await readFile(path, 'utf8'));
    expect(kept).toMatchObject({
      version: 1,
      environment: 'env-a',
      sealed: [
        { customerId: 'c-1', units: 5 },
        { customerId: 'c-2', units: 3 },
      ],
      open: [{ units: 2 }],
    });

    stigg.reportUsageBulk = apply; // Stigg is back; the next process starts with the same file
    const next = setup({ spill: new SpillFile(path, 'env-a') }, stigg);
    next.outbox.start();
    await next.outbox.flush();
    expect(existsSync(path)).toBe(false);
    expect(Object.fromEntries(stigg.applied)).toEqual({ 'c-1': 5, 'c-2': 3 }); // the sent records again, applied once
    await vi.advanceTimersByTimeAsync(3_000); // c-1's next write slot: its merged unsent units
    expect(Object.fromEntries(stigg.applied)).toEqual({ 'c-1': 7, 'c-2': 3 });
    next.outbox.drain(Date.now());
  });

  it("reports what it cannot deliver (file, entry, reason) and delivers the rest; never another environment's usage", async () => {
    const path = await spillIn();
    const good = { id: 'rec-1', customerId: 'c-1', resourceId: null, featureId: 'f', units: 4, since: 1 };
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        environment: 'env-a',
        sealed: [good, { ...good, id: 'rec-2', units: -1 }],
        open: [{ key: { customerId: '' }, units: 1, since: 1 }],
      }),
    );
    const errors: string[] = [];
    const report = (m: string) => void errors.push(m);
    expect(await new SpillFile(path, 'env-b').take(report)).toBeNull();
    expect(errors).toEqual([
      `tollgate: ${path} holds usage of another Stigg environment; left in place, not delivered here`,
    ]);
    expect(existsSync(path)).toBe(true);
    errors.length = 0;
    expect(await new SpillFile(path, 'env-a').take(report)).toEqual({ sealed: [good], open: [] });
    expect(errors).toEqual([
      `tollgate: ${path}: sealed[1] skipped: units must be a positive number, got -1`,
      `tollgate: ${path}: open[0] skipped: no key {customerId, resourceId, featureId}`,
    ]);
    expect(existsSync(path)).toBe(false);
  });

  it('keeps the idempotency keys of open units; unusable ones are reported and left out, their units kept', async () => {
    const path = await spillIn();
    const k = { customerId: 'c-1', resourceId: null, featureId: 'f' };
    const keyed = { key: k, units: 3, since: 1, requests: [{ idempotencyKey: 'req-1', units: 1, response: null }] };
    const onlyKeys = {
      key: k,
      units: 0,
      since: 1,
      requests: [{ idempotencyKey: 'req-2', units: 0, response: { status: 200, headers: {}, body: '{}' } }],
    };
    const tooMany = { key: k, units: 1, since: 1, requests: [{ idempotencyKey: 'req-3', units: 2, response: null }] };
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        environment: 'env-a',
        sealed: [],
        open: [keyed, onlyKeys, tooMany, { key: k, units: 0, since: 1, requests: [{ units: 0 }] }],
      }),
    );
    const errors: string[] = [];
    expect(await new SpillFile(path, 'env-a').take((m) => void errors.push(m))).toEqual({
      sealed: [],
      open: [keyed, onlyKeys, { key: k, units: 1, since: 1 }],
    });
    expect(errors).toEqual([
      `tollgate: ${path}: open[2].requests left out (the units are kept): requests hold 2 units, more than the entry's 1`,
      `tollgate: ${path}: open[3].requests left out (the units are kept): requests must be [{idempotencyKey, units, response}]`,
    ]);
  });
});
