import { packageBuild } from '../../tsup.base.js';

export default packageBuild(['src/index.ts', 'src/testing.ts', 'src/telemetry/open-telemetry.ts']);
