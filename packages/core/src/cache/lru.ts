/**
 * The in-process level: a Map in recency order, bounded by entries and by bytes (each entry's size is given by
 * the caller). `get` is a Map lookup plus a move to the back.
 */
export class BoundedLru<V> {
  private readonly map = new Map<string, { value: V; size: number }>();
  private bytes = 0;
  /** Entries pushed out to stay within bounds (a metric). */
  evictions = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(key: string): V | undefined {
    const slot = this.map.get(key);
    if (!slot) return undefined;
    this.map.delete(key);
    this.map.set(key, slot);
    return slot.value;
  }

  /** Reads without refreshing recency. */
  peek(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  set(key: string, value: V, size: number): void {
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.size;
      this.map.delete(key);
    }
    if (size > this.maxBytes) return; // larger than the whole budget: not cached
    this.map.set(key, { value, size });
    this.bytes += size;
    for (const [k, slot] of this.map) {
      if (this.map.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= slot.size;
      this.evictions += 1;
    }
  }

  delete(key: string): void {
    const old = this.map.get(key);
    if (!old) return;
    this.bytes -= old.size;
    this.map.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}
