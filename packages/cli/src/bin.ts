import { runCli } from './index.js';

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`tollgate: ${(err as Error)?.message ?? String(err)}`);
    process.exit(1);
  },
);
