import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// `@tollgate/source` resolves workspace packages to their TypeScript sources, so tests need no build step.
export default defineConfig({
  resolve: { conditions: ['@tollgate/source', ...defaultClientConditions] },
  // Without Vite's `module` condition (a bundler-only build some packages ship, e.g. @opentelemetry/api's).
  ssr: { resolve: { conditions: ['@tollgate/source', ...defaultServerConditions.filter((c) => c !== 'module')] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // The long runs go in `npm run test:slow` (vitest.slow.config.ts): the chaos soak, Stigg's outages and write
    // limits over minutes and Redis Cluster and Sentinel (test/fleet), a stream cut for a minute, the 100,000-record
    // import, the other runtimes (Bun, Deno, workerd) and the browser.
    exclude: [
      '**/node_modules/**',
      'test/chaos/**',
      'test/runtimes/**',
      'test/browser/**',
      'test/core/usage-faults.test.ts',
      'test/core/stream-recovery.test.ts',
      'test/fleet/**',
      'test/import/import-scale.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
