import { createHash, randomUUID } from 'node:crypto';

/** A UUID that is the same for the same name on every run (catalog objects keep their ids across restarts). */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export const newId = (): string => randomUUID();
