import { type Attempt, Ledger } from '../test/support/fleet/ledger-load.js';

/**
 * The load's ledger, plus when things were answered: every 5xx (with its customer and status) and every success
 * of the customers with a real limit, so the invariants can tell which faults were active at the time.
 */
export class TimedLedger extends Ledger {
  /** Answers with a 5xx status: when, for whom, from which app, and the problem's reason (or the body's start). */
  readonly serverErrors: { at: number; customer: string; status: number; app: string; reason: string }[] = [];
  /**
   * Requests that took more than one attempt or did not end in a 2xx, by customer, with their attempts: when
   * Stigg and the ledger differ for a customer, these are the requests that can explain it.
   */
  readonly irregular = new Map<string, { key: string; attempts: (Attempt & { app: string })[] }[]>();
  /** Success times (epoch ms) of the watched customers, in answer order. */
  readonly successTimes = new Map<string, number[]>();

  constructor(private readonly watched: ReadonlySet<string>) {
    super();
  }

  override record(customer: string, status: number): void {
    super.record(customer, status);
    if (status >= 200 && status < 300 && this.watched.has(customer)) {
      let list = this.successTimes.get(customer);
      if (!list) this.successTimes.set(customer, (list = []));
      list.push(Date.now());
    }
  }

  /** The load's `onRequest` (`app` names who answered each attempt). */
  traced(r: { customer: string; key: string; attempts: Attempt[] }, app: (url: string) => string): void {
    const last = r.attempts.at(-1)?.status ?? null;
    if (r.attempts.length === 1 && last !== null && last >= 200 && last < 300) return;
    let list = this.irregular.get(r.customer);
    if (!list) this.irregular.set(r.customer, (list = []));
    list.push({ key: r.key, attempts: r.attempts.map((a) => ({ ...a, app: app(a.url) })) });
  }

  /** The load's `onAnswer`: keeps the details of 5xx answers (`app` names who answered). */
  answered(a: { customer: string; status: number; body: string }, app: string): void {
    if (a.status < 500) return;
    let reason = a.body.slice(0, 120);
    try {
      const problem = JSON.parse(a.body) as { reason?: string; code?: string; title?: string };
      reason = problem.reason ?? problem.code ?? problem.title ?? reason;
    } catch {
      // not JSON: keep the text
    }
    this.serverErrors.push({ at: Date.now(), customer: a.customer, status: a.status, app, reason });
  }
}
