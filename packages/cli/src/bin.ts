import { runCli } from './index.js';

// A closed pipe (`tollgate local | head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`tollgate: ${(err as Error)?.message ?? String(err)}`);
    process.exit(1);
  },
);
