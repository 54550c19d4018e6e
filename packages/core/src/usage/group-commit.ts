import { nextTurn } from '../util/timers.js';

/**
 * Group commit: calls made while a flush runs (or in the same turn of the event loop) wait for the next flush
 * and go in it together, so a busy process pays one store round trip per batch instead of one per call, and
 * every caller still resolves only once its item is written (or knows it was not).
 */
export class GroupCommit<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  /**
   * @param flush writes one batch; answers one outcome per item, in order. A throw rejects the whole batch.
   * @param maxBatch most items in one flush (the rest wait for the next).
   */
  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 1_000,
  ) {}

  /** Items waiting for a flush. */
  get waiting(): number {
    return this.queue.length;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // The rest of this turn's calls join the first flush.
        nextTurn(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const outcomes = await this.flush(batch.map((b) => b.item));
          for (const [i, b] of batch.entries()) b.resolve(outcomes[i]!);
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
