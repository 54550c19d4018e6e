/**
 * The in-process level, bounded by entries and by bytes (each entry's size is given by the caller). Recency is
 * kept the CLOCK way: `get` only marks the entry as used (a Map lookup and a flag, the hot path); eviction walks
 * from the oldest and gives a used entry a second chance by moving it to the back.
 */
export class BoundedLru<V> {
  private readonly map = new Map<string, { value: V; size: number; used: boolean }>();
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
    slot.used = true;
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
    this.map.set(key, { value, size, used: false });
    this.bytes += size;
    while ((this.map.size > this.maxEntries || this.bytes > this.maxBytes) && this.map.size > 1) {
      const [k, slot] = this.map.entries().next().value as [string, { value: V; size: number; used: boolean }];
      this.map.delete(k);
      if (slot.used || k === key) {
        slot.used = false; // second chance (and the entry just written is never the one evicted): to the back
        this.map.set(k, slot);
        continue;
      }
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
