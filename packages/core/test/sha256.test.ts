/** The synchronous SHA-256 and byte encodings that replace node:crypto and Buffer: the same output as Node's. */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromBase64, toBase64, toBase64Url, toHex } from '../src/util/byte-encoding.js';
import { sha256 } from '../src/util/sha256.js';
import { idDigest } from '../src/util/ids.js';

const nodeDigest = (input: string | Uint8Array) => createHash('sha256').update(input).digest();

/** Text of many kinds: ASCII, accents, CJK, emoji (surrogate pairs), lone surrogates, controls, and long runs. */
function texts(): string[] {
  const out = [
    '',
    'a',
    'abc',
    'customer-1',
    'tollgate:server-key',
    'é',
    'ü-ñ-ø',
    '日本語の顧客',
    '😀🎉',
    '\u0000\u0001\u007f',
  ];
  out.push('zz-\ud800', '\udc00-lone', 'a\ud83d', '\ud83d\ude00\ud800');
  // Around the block boundaries of SHA-256 (55, 56, 63, 64 bytes of padding room), in 1-, 2-, 3- and 4-byte UTF-8.
  for (const unit of ['x', 'é', '€', '😀'])
    for (const n of [1, 13, 14, 15, 16, 18, 19, 20, 21, 27, 28, 31, 32, 55, 56, 57, 63, 64, 65, 119, 120, 128])
      out.push(unit.repeat(n));
  out.push('long-'.repeat(2_000), '日本'.repeat(5_000), 'x'.repeat(1_000_000));
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 300; i++) {
    let s = '';
    const length = Math.floor(random() * 200);
    for (let j = 0; j < length; j++) s += String.fromCharCode(Math.floor(random() * 0x10000));
    out.push(s);
  }
  return out;
}

describe('sha256', () => {
  it('hashes text (as UTF-8) to the digest node:crypto gives, for ASCII, non-ASCII, lone surrogates and long text', () => {
    const all = texts();
    expect(all.length).toBeGreaterThan(400);
    for (const text of all)
      expect(toHex(sha256(text)), JSON.stringify(text.slice(0, 40))).toBe(nodeDigest(text).toString('hex'));
  });

  it('hashes bytes of every length up to several blocks, and larger inputs, as node:crypto does', () => {
    for (let length = 0; length <= 600; length++) {
      const bytes = randomBytes(length);
      expect(toHex(sha256(bytes))).toBe(nodeDigest(bytes).toString('hex'));
    }
    const big = randomBytes(3 * 1024 * 1024 + 17);
    expect(toHex(sha256(big))).toBe(nodeDigest(big).toString('hex'));
  });

  it('gives the known digests (FIPS 180-4 examples)', () => {
    expect(toHex(sha256('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(toHex(sha256(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('keeps idDigest what it was: base64url of SHA-256, its first 22 characters', () => {
    for (const id of texts()) {
      expect(idDigest(id)).toBe(nodeDigest(id).toString('base64url').slice(0, 22));
      expect(idDigest(id)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
  });

  it('gives the same digest again after a longer input (its buffers are reused)', () => {
    const before = toHex(sha256('customer-1'));
    sha256('y'.repeat(50_000));
    sha256('z'.repeat(1_000));
    expect(toHex(sha256('customer-1'))).toBe(before);
  });
});

describe('byte encodings', () => {
  it('writes hex, base64 and base64url as Buffer does, and reads base64 back', () => {
    for (let length = 0; length <= 200; length++) {
      const bytes = randomBytes(length);
      const buffer = Buffer.from(bytes);
      expect(toHex(bytes)).toBe(buffer.toString('hex'));
      expect(toBase64(bytes)).toBe(buffer.toString('base64'));
      expect(toBase64Url(bytes)).toBe(buffer.toString('base64url'));
      expect(Buffer.from(fromBase64(buffer.toString('base64'))).equals(buffer)).toBe(true);
    }
    expect(() => fromBase64('not base64!')).toThrow();
  });

  it('joins chunks in order', () => {
    const joined = concatBytes([new Uint8Array([1, 2]), new Uint8Array(), new Uint8Array([3])]);
    expect([...joined]).toEqual([1, 2, 3]);
  });
});
