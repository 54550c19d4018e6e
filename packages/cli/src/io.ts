/** Where a command writes; tests pass their own. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  untilStopped(): Promise<string>;
  /** Progress output (stderr): raw text, and whether it is a terminal (a bar is drawn in place) or not (plain lines). */
  status?: { write(text: string): void; isTTY: boolean };
  /** Environment variables (`STIGG_SERVER_API_KEY`). Default `process.env`. */
  env?: Record<string, string | undefined>;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  // The first signal stops the run; both handlers then go, so a second signal ends the process at once.
  untilStopped: () =>
    new Promise((resolve) => {
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      const stop = (signal: string) => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        resolve(signal);
      };
      process.once('SIGINT', onInt);
      process.once('SIGTERM', onTerm);
    }),
  status: { write: (text) => process.stderr.write(text), isTTY: !!process.stderr.isTTY },
  env: process.env,
};

/** Documented exit codes of the `tollgate` command. */
export const EXIT = {
  ok: 0,
  /** `local`: could not start (port in use, ...). `import`: some records failed or were invalid (see the error report). */
  failed: 1,
  /** Bad arguments, or an invalid catalog file for `local`. */
  usage: 2,
  /** `import`: an input file cannot be read, is not a regular file, not UTF-8 or not valid JSON (nothing was sent); a dry run found invalid records. */
  invalidInput: 3,
  /** `import`: Stigg refused the API key. */
  unauthenticated: 4,
  /** `import`: the checkpoint cannot be used (`--resume` without one, input files changed, an interrupted run in the way). */
  checkpoint: 5,
  /** `import`: Stigg could not be reached within the retries; the checkpoint is kept for `--resume`. */
  unreachable: 6,
  /** `import`: stopped by SIGINT/SIGTERM (requests in flight get 1 s to be confirmed); continue with `--resume`. */
  interrupted: 130,
} as const;

export class UsageError extends Error {}
