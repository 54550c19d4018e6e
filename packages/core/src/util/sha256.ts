/**
 * SHA-256 (FIPS 180-4), synchronous and in plain TypeScript: keys are derived from ids on paths that cannot wait
 * for Web Crypto's promise, on every runtime (no `node:crypto`). Text is hashed as UTF-8, as `node:crypto` hashes
 * strings (a lone surrogate becomes U+FFFD in both).
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const INITIAL = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/**
 * The message schedule and the buffer for short padded messages (ids, keys), reused: the function is synchronous,
 * so no two calls share them. A longer message gets a buffer of its own, so a large input is not held.
 */
const W = new Int32Array(64);
const scratch = new Uint8Array(4_096);
const utf8 = new TextEncoder();

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/** `input` (text as UTF-8) in whole 64-byte blocks: the message, a 1 bit, zeros, its length in bits (big-endian). */
function padded(input: string | Uint8Array): { blocks: Uint8Array; length: number } {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; 72 more hold the padding and the length.
  const room = (typeof input === 'string' ? input.length * 3 : input.length) + 72;
  const buf = room <= scratch.length ? scratch : new Uint8Array(room);
  let size: number;
  if (typeof input === 'string') size = utf8.encodeInto(input, buf).written;
  else {
    buf.set(input);
    size = input.length;
  }
  const length = Math.ceil((size + 9) / 64) * 64;
  buf.fill(0, size, length);
  buf[size] = 0x80;
  const high = Math.floor(size / 0x20000000);
  const low = (size << 3) >>> 0;
  for (let i = 0; i < 4; i++) {
    buf[length - 8 + i] = (high >>> (24 - 8 * i)) & 0xff;
    buf[length - 4 + i] = (low >>> (24 - 8 * i)) & 0xff;
  }
  return { blocks: buf, length };
}

export function sha256(input: string | Uint8Array): Uint8Array {
  const { blocks, length } = padded(input);
  let h0 = INITIAL[0]!;
  let h1 = INITIAL[1]!;
  let h2 = INITIAL[2]!;
  let h3 = INITIAL[3]!;
  let h4 = INITIAL[4]!;
  let h5 = INITIAL[5]!;
  let h6 = INITIAL[6]!;
  let h7 = INITIAL[7]!;
  for (let offset = 0; offset < length; offset += 64) {
    for (let i = 0, o = offset; i < 16; i++, o += 4)
      W[i] = (blocks[o]! << 24) | (blocks[o + 1]! << 16) | (blocks[o + 2]! << 8) | blocks[o + 3]!;
    for (let i = 16; i < 64; i++) {
      const w15 = W[i - 15]!;
      const w2 = W[i - 2]!;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let f = h5;
    let g = h6;
    let h = h7;
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  const digest = new Uint8Array(32);
  const words = [h0, h1, h2, h3, h4, h5, h6, h7];
  for (let i = 0; i < 8; i++) {
    const word = words[i]!;
    digest[i * 4] = word >>> 24;
    digest[i * 4 + 1] = (word >>> 16) & 0xff;
    digest[i * 4 + 2] = (word >>> 8) & 0xff;
    digest[i * 4 + 3] = word & 0xff;
  }
  return digest;
}
