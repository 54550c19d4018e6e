import { backoff, isTollgateError } from '@tollgate/core';

/** The run was asked to stop (Ctrl-C, SIGTERM, an abort signal): what was not confirmed is left for `--resume`. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor() {
    super('interrupted');
  }
}

/** Waits `ms`, or until `signal` aborts (then throws `Interrupted`). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new Interrupted());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `promise`, or `Interrupted` as soon as `signal` aborts: a wait that a stop does not sit out. What `promise` does
 * after that is observed (never an unhandled rejection) and ignored.
 */
export function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(new Interrupted());
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Requests of one operation spaced evenly to stay under a per-minute rate (0: no pacing). A rate-limit answer
 * pauses every request of the operation, not only the one that got it.
 */
export class Pacer {
  private next = 0;
  private pausedUntil = 0;
  constructor(private readonly perMinute: number) {}

  async take(signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const interval = this.perMinute > 0 ? 60_000 / this.perMinute : 0;
    const at = Math.max(now, this.next, this.pausedUntil);
    this.next = at + interval;
    await pause(at - now, signal);
  }

  holdOff(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }
}

/**
 * What is safe to send again: rate limits, 5xx, timeouts and network errors, and an import that waits for the one
 * before it. Every import write is idempotent (customers and subscriptions are upserts, usage is SET), so a
 * request whose answer was lost may be replayed. Validation errors never are.
 */
export function isReplayable(err: unknown): boolean {
  if (!isTollgateError(err)) return false;
  return err.code === 'RATE_LIMITED' || err.code === 'UNAVAILABLE' || err.stiggCode === 'ImportAlreadyInProgress';
}

export interface RetryPolicy {
  maxRetries: number;
  baseMs: number;
  maxMs: number;
}

/**
 * Runs `send` paced, replaying what is safe with capped full-jitter backoff; `onRetry` sees each replay. `signal`
 * stops the waits and the replays; `cancel` (default: `signal`) stops waiting for the answer of the request in
 * flight. Either ends it with `Interrupted`.
 */
export async function withRetries<T>(
  send: () => Promise<T>,
  policy: RetryPolicy,
  pacer: Pacer,
  signal: AbortSignal | undefined,
  onRetry: (err: Error, delayMs: number) => void,
  cancel: AbortSignal | undefined = signal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    await pacer.take(signal);
    try {
      return await untilAborted(send(), cancel);
    } catch (err) {
      if (err instanceof Interrupted || !isReplayable(err) || attempt >= policy.maxRetries) throw err;
      const delay = Math.max(policy.baseMs / 2, backoff(attempt, policy.baseMs, policy.maxMs));
      if (isTollgateError(err) && err.code === 'RATE_LIMITED') pacer.holdOff(delay);
      onRetry(err as Error, delay);
      await pause(delay, signal);
    }
  }
}
