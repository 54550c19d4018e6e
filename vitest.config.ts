import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// `@tollgate/source` resolves workspace packages to their TypeScript sources, so tests need no build step.
export default defineConfig({
  resolve: { conditions: ['@tollgate/source', ...defaultClientConditions] },
  // Without Vite's `module` condition (a bundler-only build some packages ship, e.g. @opentelemetry/api's).
  ssr: { resolve: { conditions: ['@tollgate/source', ...defaultServerConditions.filter((c) => c !== 'module')] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // The chaos soak, the long Stigg-outage run, the other runtimes (Bun, Deno) and the browser go in
    // `npm run test:slow` (vitest.slow.config.ts), with the long versions of test/fleet.
    exclude: [
      '**/node_modules/**',
      'test/chaos/**',
      'test/runtimes/**',
      'test/browser/**',
      'test/core/usage-faults.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
