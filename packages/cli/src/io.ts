/** Where a command writes; tests pass their own. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  untilStopped(): Promise<string>;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  untilStopped: () =>
    new Promise((resolve) => {
      const stop = (signal: string) => resolve(signal);
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    }),
};

/** Documented exit codes of the `tollgate` command. */
export const EXIT = {
  ok: 0,
  /** Bad arguments or an invalid input file (catalog, data file). */
  usage: 2,
  /** Could not start (port in use, ...). */
  failed: 1,
} as const;

export class UsageError extends Error {}
