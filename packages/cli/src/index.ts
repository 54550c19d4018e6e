/**
 * @tollgate/cli: the `tollgate` command.
 */
import { LOCAL_HELP, runLocal } from './commands/local.js';
import { EXIT, UsageError, processIo, type CliIo } from './io.js';

export { EXIT, type CliIo } from './io.js';

const HELP = `tollgate: Stigg entitlements tooling

Commands:
  tollgate local [options]    run stigg-local, a Stigg-compatible server (tollgate local --help)

Exit codes: 0 done, 1 failed to start, 2 bad arguments or input`;

const commands: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
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
      io.err(`tollgate ${name}: ${(err as Error).message}\n\n${name === 'local' ? LOCAL_HELP : HELP}`);
      return EXIT.usage;
    }
    throw err;
  }
}
