import { defineConfig } from 'tsup';

/** Every package builds the same way: ESM and CommonJS with types, for Node 20. */
export const packageBuild = (entry: string[]) =>
  defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    shims: true,
  });
