import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The other server runtimes the tests run Tollgate on, installed by npm as the dev dependencies of the same name. */
export type OtherRuntime = 'bun' | 'deno';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** The command that runs a TypeScript entry on `runtime`, the workspace packages from their sources. */
export function runtimeCommand(runtime: OtherRuntime, entry: string): [string, string[]] {
  const bin = join(root, 'node_modules/.bin', runtime);
  if (runtime === 'bun') return [bin, ['--conditions=@tollgate/source', entry]];
  // Deno resolves `./x.js` imports of TypeScript sources only with --sloppy-imports.
  return [bin, ['run', '-A', '--sloppy-imports', '--conditions=@tollgate/source', entry]];
}
