/** Payloads a slow subscriber may have waiting before the oldest are dropped. */
const MAX_BUFFERED = 10_000;

/** A broadcast channel: each subscriber gets its own bounded queue, read as an async iterator. */
export class Topic<T> {
  private readonly queues = new Set<{ buffer: T[]; wake: (() => void) | null }>();

  get subscriberCount(): number {
    return this.queues.size;
  }

  publish(value: T): void {
    for (const q of this.queues) {
      if (q.buffer.length >= MAX_BUFFERED) q.buffer.shift();
      q.buffer.push(value);
      q.wake?.();
    }
  }

  subscribe(): AsyncIterableIterator<T> {
    const q = { buffer: [] as T[], wake: null as (() => void) | null };
    this.queues.add(q);
    let done = false;
    const finish = (): Promise<IteratorResult<T>> => {
      done = true;
      this.queues.delete(q);
      q.wake?.();
      return Promise.resolve({ value: undefined, done: true });
    };
    const iterator: AsyncIterableIterator<T> = {
      next: async () => {
        while (!done) {
          if (q.buffer.length > 0) return { value: q.buffer.shift() as T, done: false };
          await new Promise<void>((resolve) => (q.wake = resolve));
          q.wake = null;
        }
        return { value: undefined, done: true };
      },
      return: finish,
      throw: finish,
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
