/**
 * @tollgate/cli: the `tollgate` command.
 */
import { IMPORT_HELP, runImportCommand } from './commands/import.js';
import { LOCAL_HELP, runLocal } from './commands/local.js';
import { EXIT, UsageError, processIo, type CliIo } from './io.js';

export { EXIT, type CliIo } from './io.js';
export { runImport, resolveImportOptions, STIGG_IMPORT_LIMITS, type ImportOptions } from './import/engine.js';
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

const commands: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  import: runImportCommand,
  local: runLocal,
};

/** Runs the command line and returns the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = commands[name];
  if (!command) {
    io.err(`tollgate: unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`tollgate ${name}: ${(err as Error).message}\n\n${name === 'local' ? LOCAL_HELP : name === 'import' ? IMPORT_HELP : HELP}`);
      return EXIT.usage;
    }
    throw err;
  }
}
