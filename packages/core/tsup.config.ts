import { packageBuild } from '../../tsup.base.js';

// What differs between runtimes (`#runtime`, package.json `imports`) stays an import in the output: each runtime
// resolves it by its export conditions to one of the runtime/*.js entries built here.
export default packageBuild(
  [
    'src/index.ts',
    'src/testing.ts',
    'src/telemetry/open-telemetry.ts',
    'src/stigg/index.ts',
    'src/runtime/node.ts',
    'src/runtime/bun-deno.ts',
    'src/runtime/edge.ts',
    'src/runtime/web.ts',
  ],
  { external: ['#runtime'] },
);
