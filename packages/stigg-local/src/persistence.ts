import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Snapshot } from './model/records.js';
import type { Store } from './model/store.js';

/** Reads a data file written by `persistTo`; `null` when there is none yet. */
export function readDataFile(path: string): Snapshot | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`Cannot read data file ${path}: ${(err as Error).message}`);
  }
  let parsed: Snapshot;
  try {
    parsed = JSON.parse(text) as Snapshot;
  } catch (err) {
    throw new Error(`Data file ${path} is not valid JSON (${(err as Error).message}); move it away to start empty`);
  }
  if (parsed?.version !== 1) throw new Error(`Data file ${path} has an unknown version ${String(parsed?.version)}`);
  return parsed;
}

/** Writes the whole state to `path` atomically (temp file + rename). */
export function writeDataFile(path: string, store: Store): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(store.snapshot()));
  renameSync(tmp, path);
}

/**
 * Keeps `path` in step with the store: a write shortly after each change (bursts coalesce into one),
 * and `flush()` for shutdown.
 */
export function persistTo(path: string, store: Store, delayMs = 50): { flush(): void; stop(): void } {
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    writeDataFile(path, store);
  };
  const stopListening = store.listen({
    stateChanged() {
      if (timer) return;
      timer = setTimeout(flush, delayMs);
      timer.unref();
    },
  });
  return {
    flush: () => {
      if (timer) flush();
    },
    stop: () => {
      stopListening();
      if (timer) flush();
    },
  };
}
