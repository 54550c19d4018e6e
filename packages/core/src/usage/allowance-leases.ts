import { keyString, type UsageKey } from './types.js';

/** How blocks of allowance are sized and held (`usage.allowanceLeases`). */
export interface LeaseSettings {
  /** Most units in one block. */
  maxUnits: number;
  /**
   * Share of the counter's remaining allowance one block may take: blocks shrink as the allowance shrinks, down to
   * the request's own units near the limit (where metering is per request, as without leases).
   */
  share: number;
  /** A block not renewed for this long is freed by Redis (its process died); renewed every third of it. */
  ttlMs: number;
  /** A block nobody spent from for this long goes back to Redis (other processes may need its units). */
  idleMs: number;
}

/**
 * A block of a counter's allowance, reserved in Redis as one reservation (its id) and spent here. Its units in
 * Redis are the units not yet committed through it; spending and releasing move only `left`, here.
 */
export interface Block {
  id: string;
  key: UsageKey;
  /** The limit and period it was granted under: a decision under others retires it. */
  limit: number | null;
  period: number | null;
  /** The counter's usage before the block, as Redis counted it at the grant. */
  usageBefore: number;
  size: number;
  /** Units not spent yet. */
  left: number;
  /** Requests holding units of it (entered, not settled), and their units. */
  inflight: number;
  inflightUnits: number;
  /** Units committed through it and not yet written to Redis. */
  unflushed: number;
  lastSpend: number;
  /**
   * Its requests' reservation TTL past the last spend: a request that has not settled by then hung, and the block
   * goes back (and stops being renewed) without waiting for it, as a reservation would expire.
   */
  holdUntil: number;
  /** When Redis last confirmed it (grant or renewal). */
  renewedAt: number;
  /** No new spends: it goes back to Redis once nothing of it is in flight or unwritten. */
  retired: boolean;
}

/** A request's units taken from a block. */
export interface Spend {
  block: Block;
  units: number;
}

/** Spending stops this long before a block would expire in Redis, so a late spend is never past its lease. */
const SAFETY_MS = 1_000;

/**
 * The blocks of allowance this process holds, one current block per counter (plus retired ones being settled),
 * and which request spent what. Pure bookkeeping with an injected clock: Redis calls are the store's.
 */
export class AllowanceLeases {
  private readonly current = new Map<string, Block>();
  private readonly retiring = new Set<Block>();
  private readonly spends = new Map<string, Spend>();
  /** Blocks granted so far (a figure for `metrics()`). */
  grants = 0;

  constructor(
    readonly settings: LeaseSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes `units` for a request from the counter's current block. Returns the counter's usage before the request
   * as this process knows it, or null when there is no block it may spend from (none, another limit or period,
   * too few units left, or too close to its expiry): then a grant is needed.
   */
  spend(
    key: UsageKey,
    reservationId: string,
    units: number,
    limit: number | null,
    period: number | null,
    ttlMs = 60_000,
  ) {
    const id = keyString(key);
    const block = this.current.get(id);
    if (!block) return null;
    if (block.limit !== limit || block.period !== period || !this.fresh(block) || block.left < units) {
      this.retire(block);
      return null;
    }
    return this.take(block, reservationId, units, ttlMs);
  }

  /** A block Redis granted for a request: it becomes the counter's current block, `units` taken from it. */
  granted(
    block: Omit<
      Block,
      'left' | 'inflight' | 'inflightUnits' | 'unflushed' | 'lastSpend' | 'holdUntil' | 'renewedAt' | 'retired'
    >,
    reservationId: string,
    units: number,
    ttlMs = 60_000,
  ): number {
    const now = this.now();
    const full: Block = {
      ...block,
      left: block.size,
      inflight: 0,
      inflightUnits: 0,
      unflushed: 0,
      lastSpend: now,
      holdUntil: now,
      renewedAt: now,
      retired: false,
    };
    const id = keyString(block.key);
    const before = this.current.get(id);
    if (before) this.retire(before);
    this.current.set(id, full);
    this.grants += 1;
    return this.take(full, reservationId, units, ttlMs);
  }

  private take(block: Block, reservationId: string, units: number, ttlMs: number): number {
    const usage = block.usageBefore + (block.size - block.left);
    block.left -= units;
    block.inflight += 1;
    block.inflightUnits += units;
    block.lastSpend = this.now();
    block.holdUntil = Math.max(block.holdUntil, block.lastSpend + ttlMs);
    this.spends.set(reservationId, { block, units });
    return usage;
  }

  /** Whether the reservation is a spend from a block. */
  has(reservationId: string): boolean {
    return this.spends.has(reservationId);
  }

  /**
   * The request settled: committed, its units leave the block (unwritten until `flushed`); released, they go back
   * to it for the next request (unless it is retired: then they go back to Redis with the block).
   */
  settle(reservationId: string, committed: boolean): Spend | null {
    const spend = this.spends.get(reservationId);
    if (!spend) return null;
    this.spends.delete(reservationId);
    const { block, units } = spend;
    block.inflight -= 1;
    block.inflightUnits -= units;
    if (committed) block.unflushed += units;
    else block.left += units;
    return spend;
  }

  /** A commit through the block was written to Redis (or taken over by the process' own meter). */
  flushed(block: Block, units: number): void {
    block.unflushed -= units;
  }

  /** Redis confirmed these blocks are still held. */
  renewed(blocks: Block[], at = this.now()): void {
    for (const b of blocks) b.renewedAt = at;
  }

  private fresh(block: Block): boolean {
    return this.now() - block.renewedAt < this.settings.ttlMs - SAFETY_MS;
  }

  private retire(block: Block): void {
    block.retired = true;
    const id = keyString(block.key);
    if (this.current.get(id) === block) this.current.delete(id);
    this.retiring.add(block);
  }

  /**
   * Blocks to give back to Redis now, taken out of the bookkeeping: retired ones, idle ones, or every one (`all`,
   * at close), once none of their requests is in flight or unwritten (or those hung past their reservation TTL).
   * A request of a block given back still commits (its units are counted; the block holds them no more).
   */
  due(all = false): Block[] {
    const now = this.now();
    for (const block of this.current.values())
      if (all || now - block.lastSpend >= this.settings.idleMs || !this.fresh(block)) this.retire(block);
    const out: Block[] = [];
    for (const block of this.retiring)
      if ((block.inflight === 0 && block.unflushed === 0) || now > block.holdUntil) {
        this.retiring.delete(block);
        out.push(block);
      }
    return out;
  }

  /** Blocks held (current and retiring), to renew. */
  held(): Block[] {
    return [...this.current.values(), ...this.retiring];
  }

  /** Units of this counter held by requests in flight (the synchronous overlay `check()` adds). */
  inflightUnits(key: UsageKey): number {
    if (this.spends.size === 0) return 0;
    const id = keyString(key);
    let n = this.current.get(id)?.inflightUnits ?? 0;
    for (const b of this.retiring) if (keyString(b.key) === id) n += b.inflightUnits;
    return n;
  }

  /** Figures: blocks held, and their units not spent yet. */
  figures(): { blocks: number; unitsHeld: number; grants: number } {
    let unitsHeld = 0;
    const held = this.held();
    for (const b of held) unitsHeld += b.left;
    return { blocks: held.length, unitsHeld, grants: this.grants };
  }
}
