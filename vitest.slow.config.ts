import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:slow`: the long runs the issues ask for (minutes of load at Stigg's real one-minute limits, the
// chaos soak), one file at a time so they do not compete for this machine's cores.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/fleet/**/*.test.ts', 'test/chaos/**/*.test.ts'],
      exclude: [],
      env: { TOLLGATE_SLOW: '1' },
      fileParallelism: false,
      testTimeout: 900_000,
      hookTimeout: 120_000,
    },
  }),
);
