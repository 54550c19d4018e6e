import { Agent, request } from 'node:http';

/**
 * What a load run saw, per customer: the ledger the invariants are checked against. A request counts as a
 * success when some attempt answered 2xx; an attempt that got no answer (connection refused or dropped: an app
 * was killed) is repeated with the same idempotency key against another app, so a request the dead app had
 * already counted is answered as a duplicate and counted once.
 */
export class Ledger {
  readonly successes = new Map<string, number>();
  readonly statuses = new Map<number, number>();
  requests = 0;
  /** Requests that never got an answer after all their attempts. */
  unanswered = 0;
  /** Attempts that got no answer and were repeated. */
  retried = 0;
  /**
   * Attempts answered 409 "in progress" (the same key's earlier attempt still runs somewhere: it got no answer here,
   * a timeout) and repeated after the Retry-After, as a client does: the request's outcome is its final answer.
   */
  inProgress = 0;
  /** Attempts answered 503 with a Retry-After (Stigg out of reach, nothing cached; an app closing), repeated likewise. */
  unavailable = 0;

  record(customer: string, status: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (status >= 200 && status < 300) this.successes.set(customer, (this.successes.get(customer) ?? 0) + 1);
  }

  total(): number {
    let n = 0;
    for (const v of this.successes.values()) n += v;
    return n;
  }

  count(predicate: (status: number) => boolean): number {
    let n = 0;
    for (const [status, v] of this.statuses) if (predicate(status)) n += v;
    return n;
  }
}

export interface LoadOptions {
  /** Base URLs of the apps taking requests now (asked per request: apps come and go). */
  targets: () => string[];
  /** Requests per second, spread evenly; `customer()` picks each request's customer. */
  rate: number;
  durationMs: number;
  customer: () => string;
  ledger: Ledger;
  /** Most requests in flight. Default 64. */
  concurrency?: number;
  /**
   * Attempts per request while there is no answer or a 503/409 to repeat. Default 20 (an app restart can take
   * seconds); the waits between them grow from 100 ms to 2 s.
   */
  attempts?: number;
  /** Called with every answer (the body only when not 2xx), for runs that want more than the ledger keeps. */
  onAnswer?: (answer: { customer: string; url: string; status: number; startedAt: number; body: string }) => void;
  /** Called once per request with all its attempts (status null: no answer), for runs that trace requests. */
  onRequest?: (request: { customer: string; key: string; attempts: Attempt[] }) => void;
}

/** One attempt of a request: where it went, when, and its status (null: no answer, the attempt is repeated). */
export interface Attempt {
  url: string;
  at: number;
  status: number | null;
}

let sequence = 0;

/** Drives POST /api/reports at a steady rate for a time; resolves when every request has its answer. */
export async function driveLoad(options: LoadOptions): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 64 });
  const inflight = new Set<Promise<void>>();
  const limit = options.concurrency ?? 64;
  const interval = 1_000 / options.rate;
  const start = Date.now();
  try {
    for (let i = 0; Date.now() - start < options.durationMs; i++) {
      const due = start + i * interval;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      if (inflight.size >= limit) await Promise.race(inflight);
      const p = one(options, agent).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
  } finally {
    agent.destroy();
  }
}

async function one(options: LoadOptions, agent: Agent): Promise<void> {
  const customer = options.customer();
  const key = `load-${process.pid}-${++sequence}`;
  options.ledger.requests += 1;
  const attempts = options.attempts ?? 20;
  const trace: Attempt[] = [];
  const done = () => options.onRequest?.({ customer, key, attempts: trace });
  for (let attempt = 0; attempt < attempts; attempt++) {
    const targets = options.targets();
    const url = targets[(sequence + attempt) % Math.max(1, targets.length)];
    if (url) {
      const startedAt = Date.now();
      try {
        const answer = await post(
          `${url}/api/reports`,
          { 'x-customer': customer, 'idempotency-key': key },
          agent,
          options.onAnswer !== undefined,
        );
        trace.push({ url, at: startedAt, status: answer.status });
        // 409 in progress and 503 unavailable say when to ask again: a client repeats them with the same key (the
        // request may have succeeded: its answer is then replayed), while attempts last.
        const again = (answer.status === 409 || answer.status === 503) && answer.retryAfterS !== null;
        if (again && attempt < attempts - 1) {
          if (answer.status === 409) options.ledger.inProgress += 1;
          else {
            options.ledger.unavailable += 1;
            options.onAnswer?.({ customer, url, status: answer.status, startedAt, body: answer.body });
          }
          await new Promise((r) => setTimeout(r, Math.min(answer.retryAfterS!, 5) * 1_000));
          continue;
        }
        options.ledger.record(customer, answer.status);
        options.onAnswer?.({ customer, url, status: answer.status, startedAt, body: answer.body });
        done();
        return;
      } catch {
        trace.push({ url, at: startedAt, status: null });
        options.ledger.retried += 1;
      }
    }
    await new Promise((r) => setTimeout(r, Math.min(2_000, 100 + attempt * 100)));
  }
  options.ledger.unanswered += 1;
  done();
}

/** One POST; resolves with the status (and a non-2xx body when asked) once the whole answer is read, rejects when there is no answer. */
function post(
  url: string,
  headers: Record<string, string>,
  agent: Agent,
  withBody = false,
): Promise<{ status: number; body: string; retryAfterS: number | null }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': '0' }, agent, timeout: 15_000 },
      (res) => {
        const status = res.statusCode ?? 0;
        let body = '';
        if (withBody && (status < 200 || status >= 300)) res.on('data', (d: Buffer) => void (body += d.toString()));
        else res.resume();
        const retryAfter = Number(res.headers['retry-after']);
        res.once('end', () =>
          resolve({ status, body, retryAfterS: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null }),
        );
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error('no answer in time')));
    req.once('error', reject);
    req.end();
  });
}
