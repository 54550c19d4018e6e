import type { StiggCatalog } from '@tollgate/core';
import { checkRecord, identityOf, type Checked, type Entity, type Problem } from './records.js';
import { HashIndex } from './hash-index.js';
import type { SourceRecord } from './read/sources.js';

/**
 * What validating one record needs to know about the others: the first record of each identity (so later ones
 * are duplicates), the customers the files define, and the customers found neither there nor in Stigg. Built by
 * the validation pass; the sending pass asks the same questions and gets the same answers.
 */
/** cyrb53: a fast, well-mixed 53-bit string hash. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0) || 1; // 0 marks an empty slot of the index
}

/**
 * What validating one record needs to know about the others: the first record of each identity (so later ones
 * are duplicates), the customers the files define, and the customers found neither there nor in Stigg. Built by
 * the validation pass; the sending pass asks the same questions and gets the same answers.
 *
 * Identities are kept as 53-bit hashes (a million usage records cost tens of megabytes, not hundreds). A second
 * record with a known hash marks the first as a suspect; the sending pass keeps the identities of suspects only
 * and calls a record a duplicate when its identity equals its suspect's, so a hash collision never drops a record.
 */
export class InputIndex {
  private readonly fileNumbers = new Map<string, number>();
  /** hash of identity -> where its first valid record is (file number + index * 64, below 2^32). */
  private readonly firsts: Record<Entity, HashIndex> = {
    customers: new HashIndex(),
    subscriptions: new HashIndex(),
    usage: new HashIndex(),
  };
  /** First records whose identity hash was seen again, and (sending pass) their identities. */
  private readonly suspects = new Map<number, string | null>();
  /** Customers referenced by subscriptions and not defined by a valid customer record. */
  readonly referenced = new Set<string>();
  /** Of `referenced`, those Stigg does not have either. */
  missingCustomers = new Set<string>();

  constructor(private readonly catalog: StiggCatalog | null) {}

  private location(rec: SourceRecord): number {
    let n = this.fileNumbers.get(rec.file);
    if (n === undefined) {
      n = this.fileNumbers.size;
      if (n >= 64) throw new RangeError('at most 64 input files per import');
      this.fileNumbers.set(rec.file, n);
    }
    if (rec.index >= 2 ** 26)
      throw new RangeError(`${rec.file}: at most ${(2 ** 26).toLocaleString('en-US')} records per file; split it`);
    return n + rec.index * 64;
  }

  private describe(location: number): string {
    const fileNo = location % 64;
    const file = [...this.fileNumbers].find(([, v]) => v === fileNo)?.[0] ?? '?';
    return `${file} #${Math.floor(location / 64)}`;
  }

  /** The validation pass: checks a record and records what later records are judged against. */
  learn<E extends Entity>(rec: SourceRecord & { entity: E }): Checked<E> {
    return this.judge(rec, true);
  }

  /** The sending pass: the same verdict, now knowing which customers Stigg lacks. */
  judge<E extends Entity>(rec: SourceRecord & { entity: E }, learning = false): Checked<E> {
    if (rec.problem) return { ok: false, problem: rec.problem };
    const checked = checkRecord(rec.entity, rec.record, this.catalog);
    if (!checked.ok) return checked;
    const identity = identityOf(rec.entity, checked.input, this.catalog);
    const key = hash53(identity);
    const firsts = this.firsts[rec.entity];
    const here = this.location(rec);
    const first = firsts.get(key);
    if (first === undefined) {
      if (learning) firsts.set(key, here);
    } else if (first === here) {
      if (this.suspects.has(here)) this.suspects.set(here, identity);
    } else if (learning) {
      this.suspects.set(first, null);
      return this.duplicate(rec.entity, first);
    } else if (this.suspects.get(first) === identity) return this.duplicate(rec.entity, first);

    // Subscriptions are checked against Stigg's customers before sending; usage is not (one lookup per customer of
    // a usage file would cost more than the import): Stigg refuses usage of an unknown customer, and that is reported.
    if (rec.entity === 'subscriptions') {
      const customerId = checked.input.customerId;
      if (!this.firsts.customers.has(hash53(customerId))) {
        if (learning) this.referenced.add(customerId);
        else if (this.missingCustomers.has(customerId)) {
          return {
            ok: false,
            problem: {
              code: 'CUSTOMER_NOT_FOUND',
              reason: `customer "${customerId}" is in neither the customers file nor Stigg`,
            },
          };
        }
      }
    }
    return checked;
  }

  private duplicate(entity: Entity, first: number): { ok: false; problem: Problem } {
    const what =
      entity === 'customers'
        ? 'customerId'
        : entity === 'subscriptions'
          ? 'customer, resource and product'
          : 'customer, resource and feature';
    return { ok: false, problem: { code: 'DUPLICATE', reason: `same ${what} as ${this.describe(first)}` } };
  }
}
