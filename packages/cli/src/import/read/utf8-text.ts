import { Interrupted, untilAborted } from '../send/retry.js';
import { openRegularFile } from './regular-file.js';

/** Bytes that are not UTF-8, `offset` bytes from the start of the file. */
export class InvalidUtf8 extends Error {
  override readonly name = 'InvalidUtf8';
  constructor(
    readonly offset: number,
    readonly detail = 'invalid UTF-8',
  ) {
    super(`${detail} at byte ${offset}`);
  }
}

/**
 * A streaming UTF-8 check (the well-formed sequences of Unicode 3.9, table 3-7: no overlongs, surrogates or code
 * points above U+10FFFF) that says where the first bad sequence begins, across chunk boundaries.
 */
export class Utf8Check {
  /** Bytes checked before the current chunk. */
  private seen = 0;
  /** Continuation bytes still expected, and the range allowed for the next one. */
  private need = 0;
  private lo = 0x80;
  private hi = 0xbf;
  /** Where the sequence being read began (file offset). */
  private start = 0;

  /** File offset of the first byte of the first bad sequence that `bytes` completes, or -1. */
  scan(bytes: Uint8Array): number {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.need > 0) {
        if (b < this.lo || b > this.hi) return this.start;
        this.lo = 0x80;
        this.hi = 0xbf;
        this.need--;
      } else if (b >= 0x80 && !this.lead(b, this.seen + i)) return this.seen + i;
    }
    this.seen += bytes.length;
    return -1;
  }

  /** At the end of the file: the offset of a sequence cut short, or -1. */
  end(): number {
    return this.need > 0 ? this.start : -1;
  }

  /** The offset where the chunk being scanned began. */
  get chunkStart(): number {
    return this.seen;
  }

  private lead(b: number, at: number): boolean {
    this.start = at;
    if (b >= 0xc2 && b <= 0xdf) this.need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      this.need = 2;
      if (b === 0xe0) this.lo = 0xa0;
      if (b === 0xed) this.hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.need = 3;
      if (b === 0xf0) this.lo = 0x90;
      if (b === 0xf4) this.hi = 0x8f;
    } else return false;
    return true;
  }
}

/**
 * The text of a regular file, decoded chunk by chunk. Bytes that are not UTF-8 end it with `InvalidUtf8` once the
 * text before them was yielded (never replaced with U+FFFD); `signal` ends it with `Interrupted`, even while a read
 * is pending. A leading byte order mark is dropped.
 */
export async function* utf8Chunks(file: string, chunkBytes = 1 << 14, signal?: AbortSignal): AsyncGenerator<string> {
  const handle = await openRegularFile(file);
  const stream = handle.createReadStream({ highWaterMark: chunkBytes });
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const check = new Utf8Check();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for (;;) {
      if (signal?.aborted) throw new Interrupted();
      const next = await untilAborted(chunks.next(), signal);
      if (next.done) break;
      const bytes = next.value;
      const bad = check.scan(bytes);
      if (bad < 0) {
        yield decoder.decode(bytes, { stream: true });
        continue;
      }
      yield decoder.decode(bytes.subarray(0, Math.max(0, bad - check.chunkStart)), { stream: true });
      throw new InvalidUtf8(bad);
    }
    const cut = check.end();
    if (cut >= 0) throw new InvalidUtf8(cut, 'the file ends inside a UTF-8 sequence');
  } finally {
    stream.destroy();
  }
}
