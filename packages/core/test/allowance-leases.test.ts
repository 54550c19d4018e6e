/** Allowance blocks held by one process (a fake clock), and the group commit that writes their spends together. */
import { describe, expect, it } from 'vitest';
import { AllowanceLeases } from '../src/usage/allowance-leases.js';
import { GroupCommit } from '../src/usage/group-commit.js';

const key = { customerId: 'c', resourceId: null, featureId: 'f' };
const settings = { maxUnits: 100, share: 0.1, ttlMs: 10_000, idleMs: 1_000 };
const block = (id: string, size: number, usageBefore = 0) => ({
  id,
  key,
  limit: 1_000,
  period: null,
  usageBefore,
  size,
});

function leases() {
  let now = 0;
  const l = new AllowanceLeases(settings, () => now);
  return { l, tick: (ms: number) => (now += ms) };
}

describe('allowance leases', () => {
  it('spends a block request by request, each told the usage before it, and asks for a grant when it runs out', () => {
    const { l } = leases();
    expect(l.spend(key, 'r0', 1, 1_000, null)).toBeNull(); // no block yet
    expect(l.granted(block('b1', 3, 500), 'r1', 1)).toBe(500);
    expect(l.spend(key, 'r2', 1, 1_000, null)).toBe(501);
    expect(l.spend(key, 'r3', 1, 1_000, null)).toBe(502);
    expect(l.spend(key, 'r4', 1, 1_000, null)).toBeNull(); // spent: a new grant is needed
    expect(l.inflightUnits(key)).toBe(3);
  });

  it('a released request gives its units back to the block; a committed one waits for its write', () => {
    const { l } = leases();
    l.granted(block('b1', 2), 'r1', 1);
    l.spend(key, 'r2', 1, 1_000, null);
    expect(l.settle('r1', false)).toMatchObject({ units: 1 });
    expect(l.spend(key, 'r3', 1, 1_000, null)).not.toBeNull(); // r1's unit again
    const spend = l.settle('r2', true)!;
    l.settle('r3', true);
    expect(l.settle('r3', true)).toBeNull(); // settled once
    expect(spend.block.unflushed).toBe(2);
    expect(l.due(true)).toEqual([]); // unwritten commits keep it
    l.flushed(spend.block, 2);
    expect(l.due(true).map((b) => b.id)).toEqual(['b1']);
    expect(l.figures()).toEqual({ blocks: 0, unitsHeld: 0, grants: 1 });
  });

  it('a decision under another limit or period retires the block; it goes back once its requests settle', () => {
    const { l } = leases();
    l.granted(block('b1', 10), 'r1', 1);
    expect(l.spend(key, 'r2', 1, 500, null)).toBeNull(); // the limit changed
    expect(l.due()).toEqual([]); // r1 still holds units of it
    l.settle('r1', false);
    expect(l.due().map((b) => b.id)).toEqual(['b1']);
  });

  it('a request that hangs past its reservation TTL does not hold its block: the block goes back without it', () => {
    const { l, tick } = leases();
    l.granted(block('b1', 10), 'r1', 1, 5_000);
    tick(1_000);
    expect(l.due()).toEqual([]); // idle, retired, but r1 still runs
    tick(4_001);
    expect(l.due().map((b) => b.id)).toEqual(['b1']);
    expect(l.settle('r1', true)).toMatchObject({ units: 1 }); // its commit still counts
  });

  it('an idle block goes back; one not renewed stops being spent before Redis would expire it', () => {
    const { l, tick } = leases();
    l.granted(block('b1', 10), 'r1', 1);
    l.settle('r1', false);
    tick(999);
    expect(l.due()).toEqual([]);
    tick(1);
    expect(l.due().map((b) => b.id)).toEqual(['b1']);

    l.granted(block('b2', 10), 'r2', 1);
    tick(8_500);
    expect(l.spend(key, 'r3', 1, 1_000, null)).not.toBeNull(); // still within its lease
    l.renewed(l.held());
    tick(8_500);
    expect(l.spend(key, 'r4', 1, 1_000, null)).not.toBeNull(); // renewed
    tick(500);
    expect(l.spend(key, 'r5', 1, 1_000, null)).toBeNull(); // 9 s since its renewal: too close to its expiry
  });
});

describe('group commit', () => {
  it('writes the calls made while a write runs in the next write, together, and answers each', async () => {
    const batches: number[][] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const group = new GroupCommit<number, string>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items.map((i) => `ok ${i}`);
    });
    const first = [group.add(1), group.add(2)];
    await new Promise((r) => setImmediate(r));
    const later = [group.add(3), group.add(4), group.add(5)];
    expect(group.waiting).toBe(3);
    open();
    expect(await Promise.all([...first, ...later])).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5']);
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('a write that throws rejects its calls and not the next ones', async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>(async (items) => {
      if (calls++ === 0) throw new Error('down');
      return items;
    });
    await expect(group.add(1)).rejects.toThrow('down');
    expect(await group.add(2)).toBe(2);
  });
});
