import { nextTurn, unrefTimer } from './timers.js';

/** Resolves like `promise`, or rejects if it has not settled within `ms` (the timer never holds the process open). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        // The rejection waits for the I/O already received: when the event loop was busy past the deadline, an
        // answer sitting in a socket is read first (the poll phase runs before setImmediate's), not called lost.
        timer = setTimeout(() => nextTurn(() => reject(new Error(`${what}: no answer within ${ms} ms`))), ms);
        unrefTimer(timer);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
