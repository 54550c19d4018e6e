/**
 * Timers on every runtime. Node's and Bun's timers are objects a process need not wait for (`unref`); Deno's and
 * Workers' are numbers, and Workers have no `setImmediate`.
 */

/** Lets the process exit while `timer` is pending, where the runtime has that notion; returns the timer. */
export function unrefTimer<T>(timer: T): T {
  (timer as { unref?(): void }).unref?.();
  return timer;
}

type Immediate = (run: () => void) => unknown;
const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;

/** Runs `run` after the current turn of the event loop, once pending I/O callbacks had their turn where possible. */
export const nextTurn: Immediate = immediate ? (run) => immediate(run) : (run) => setTimeout(run, 0);
