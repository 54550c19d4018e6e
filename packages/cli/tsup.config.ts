import { rm } from 'node:fs/promises';
import { packageBuild } from '../../tsup.base.js';

// `src/bin.ts` is the command (ESM only, run through bin/tollgate.js); `src/index.ts` the programmatic API.
export default packageBuild(['src/index.ts', 'src/bin.ts'], {
  dts: { entry: 'src/index.ts' },
  onSuccess: async () => {
    await rm('dist/bin.cjs', { force: true });
  },
});
