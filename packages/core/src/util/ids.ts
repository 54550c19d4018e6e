import { toBase64Url } from './byte-encoding.js';
import { sha256 } from './sha256.js';

/**
 * Customer and resource ids, as Tollgate accepts them and names them in keys.
 *
 * An id is a non-empty, well-formed string (no lone surrogates: they would be replaced on their way to Redis or
 * Stigg, so two ids could become one), without NUL (the in-process cache separates customer and resource with
 * it), of at most MAX_ID_LENGTH characters. Shared keys never hold the id itself: its digest, so that any id maps
 * to a short key and distinct ids to distinct keys.
 */
export const MAX_ID_LENGTH = 1_024;

type WellFormed = { isWellFormed?(): boolean };

/** Why `value` is not an id, or null when it is one. */
export function idProblem(value: unknown): string | null {
  if (typeof value !== 'string')
    return `must be a string, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  if (value === '') return 'must not be empty';
  if (value.length > MAX_ID_LENGTH) return `must be at most ${MAX_ID_LENGTH} characters, got ${value.length}`;
  if (value.includes('\u0000')) return 'must not contain NUL';
  if ((value as WellFormed).isWellFormed?.() === false)
    return 'must be well-formed Unicode (it holds a lone surrogate)';
  return null;
}

/**
 * What a resolver returned, as an id: strings as they are, numbers and bigints (an id from a database) as their
 * decimal string; null when there is none (`undefined`, `null`, `''`); undefined when the value is not an id.
 */
export function idFrom(value: unknown): string | null | undefined {
  if (value === undefined || value === null || value === '') return null;
  const id =
    typeof value === 'number'
      ? Number.isFinite(value)
        ? String(value)
        : undefined
      : typeof value === 'bigint'
        ? String(value)
        : value;
  return idProblem(id) === null ? (id as string) : undefined;
}

/** A short, fixed-size name for an id in a shared key: any id maps to 22 characters of [A-Za-z0-9_-]. */
export const idDigest = (value: string) => toBase64Url(sha256(value)).slice(0, 22);
