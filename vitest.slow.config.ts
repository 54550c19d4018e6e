import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// `npm run test:slow`: the long runs the issues ask for (minutes of load at Stigg's real one-minute limits, the
// chaos soak, usage through every Stigg fault), one file at a time so they do not compete for this machine's cores.
export default defineConfig({
  resolve: { conditions: ['@tollgate/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@tollgate/source', ...defaultServerConditions.filter((c) => c !== 'module')] } },
  test: {
    include: [
      'test/fleet/**/*.test.ts',
      'test/chaos/**/*.test.ts',
      'test/runtimes/**/*.test.ts',
      'test/core/usage-faults.test.ts',
      'test/core/stream-recovery.test.ts',
      'test/import/import-scale.test.ts',
      'test/browser/**/*.test.ts',
    ],
    env: { TOLLGATE_SLOW: '1' },
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
