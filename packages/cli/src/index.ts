/**
 * @tollgate/cli: the `tollgate` command.
 */
import { EXIT, UsageError, processIo, type CliIo } from './io.js';

export { EXIT, type CliIo } from './io.js';
export { runImport } from './import/engine.js';
export { resolveImportOptions, STIGG_IMPORT_LIMITS, type ImportOptions } from './import/options.js';
export type { ImportSummary, EntitySummary } from './import/summary.js';
export type { ImportEvent } from './import/progress.js';
export type { ImportFiles } from './import/read/sources.js';
export { InputFileError } from './import/read/json-records.js';
export { CheckpointError } from './import/checkpoint.js';

const HELP = `tollgate: Stigg entitlements tooling

Commands:
  tollgate import [options]   move customers, subscriptions and usage into Stigg (tollgate import --help)
  tollgate local [options]    run stigg-local, a Stigg-compatible server (tollgate local --help)

Exit codes: 0 done, 2 bad arguments; each command's --help lists its own`;

interface Command {
  run(argv: string[], io: CliIo): Promise<number>;
  help: string;
}

/** Each command is loaded when it runs: `tollgate import` does not load stigg-local's server, and the reverse. */
const commands: Record<string, () => Promise<Command>> = {
  import: async () => {
    const m = await import('./commands/import.js');
    return { run: m.runImportCommand, help: m.IMPORT_HELP };
  },
  local: async () => {
    const m = await import('./commands/local.js');
    return { run: m.runLocal, help: m.LOCAL_HELP };
  },
};

/** Runs the command line and returns the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name ? EXIT.ok : EXIT.usage;
  }
  const load = commands[name];
  if (!load) {
    io.err(`tollgate: unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  const command = await load();
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`tollgate ${name}: ${(err as Error).message}\n\n${command.help}`);
      return EXIT.usage;
    }
    throw err;
  }
}
