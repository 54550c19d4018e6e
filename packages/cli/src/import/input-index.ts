import type { StiggCatalog } from '@tollgate/core';
import { checkRecord, identityOf, type Entity, type EntityInput, type Problem } from './records.js';
import type { SourceRecord } from './read/sources.js';

export type Verdict<E extends Entity> = { ok: true; input: EntityInput[E] } | { ok: false; problem: Problem };

/**
 * What validating one record needs to know about the others: the first record of each identity (so later ones
 * are duplicates), the customers the files define, and the customers found neither there nor in Stigg. Built by
 * the validation pass; the sending pass asks the same questions and gets the same answers.
 */
export class InputIndex {
  private readonly fileNumbers = new Map<string, number>();
  /** identity -> where its first valid record is (file number + index * 64). */
  private readonly firsts: Record<Entity, Map<string, number>> = { customers: new Map(), subscriptions: new Map(), usage: new Map() };
  /** Customers referenced by subscriptions or usage and not defined by a valid customer record. */
  readonly referenced = new Set<string>();
  /** Of `referenced`, those Stigg does not have either. */
  missingCustomers = new Set<string>();

  constructor(private readonly catalog: StiggCatalog | null) {}

  private location(rec: SourceRecord): number {
    let n = this.fileNumbers.get(rec.file);
    if (n === undefined) {
      n = this.fileNumbers.size;
      this.fileNumbers.set(rec.file, n);
    }
    return n + rec.index * 64;
  }

  private describe(location: number): string {
    const fileNo = location % 64;
    const file = [...this.fileNumbers].find(([, v]) => v === fileNo)?.[0] ?? '?';
    return `${file} #${Math.floor(location / 64)}`;
  }

  /** The validation pass: checks a record and records what later records are judged against. */
  learn<E extends Entity>(rec: SourceRecord & { entity: E }): Verdict<E> {
    return this.judge(rec, true);
  }

  /** The sending pass: the same verdict, now knowing which customers Stigg lacks. */
  judge<E extends Entity>(rec: SourceRecord & { entity: E }, learning = false): Verdict<E> {
    const checked = checkRecord(rec.entity, rec.record, this.catalog);
    if (!checked.ok) return checked;
    const identity = identityOf(rec.entity, checked.input, this.catalog);
    const firsts = this.firsts[rec.entity];
    const here = this.location(rec);
    const first = firsts.get(identity);
    if (first === undefined && learning) firsts.set(identity, here);
    else if (first !== undefined && first !== here) {
      const what = rec.entity === 'customers' ? 'customerId' : rec.entity === 'subscriptions' ? 'customer, resource and product' : 'customer, resource and feature';
      return { ok: false, problem: { code: 'DUPLICATE', reason: `same ${what} as ${this.describe(first)}` } };
    }
    if (rec.entity !== 'customers') {
      const customerId = checked.input.customerId;
      if (!this.firsts.customers.has(customerId)) {
        if (learning) this.referenced.add(customerId);
        else if (this.missingCustomers.has(customerId)) {
          return { ok: false, problem: { code: 'CUSTOMER_NOT_FOUND', reason: `customer "${customerId}" is in neither the customers file nor Stigg` } };
        }
      }
    }
    return checked;
  }
}
