/**
 * A map from 53-bit hashes to 32-bit numbers in two typed arrays (open addressing, linear probing). Its memory is
 * off the JavaScript heap and has no object per entry: a million entries cost 24 MB and no garbage-collector work,
 * where a `Map` would hold a million boxed keys the collector scans again and again.
 */
export class HashIndex {
  private keys = new Float64Array(1 << 12);
  private values = new Uint32Array(1 << 12);
  private count = 0;

  get size(): number {
    return this.count;
  }

  private slot(key: number): number {
    const mask = this.keys.length - 1;
    let i = (key ^ (key / 4294967296)) & mask;
    while (this.keys[i] !== 0 && this.keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  /** `key` must be a whole number from 1 to 2^53. */
  get(key: number): number | undefined {
    const i = this.slot(key);
    return this.keys[i] === 0 ? undefined : this.values[i];
  }

  has(key: number): boolean {
    return this.keys[this.slot(key)] !== 0;
  }

  /** `value` must be a whole number from 0 to 2^32 - 1. */
  set(key: number, value: number): void {
    let i = this.slot(key);
    if (this.keys[i] === 0) {
      if ((this.count + 1) * 2 > this.keys.length) {
        this.grow();
        i = this.slot(key);
      }
      this.count++;
      this.keys[i] = key;
    }
    this.values[i] = value;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.values = new Uint32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++)
      if (keys[i] !== 0) {
        const j = this.slot(keys[i]!);
        this.keys[j] = keys[i]!;
        this.values[j] = values[i]!;
      }
  }
}
