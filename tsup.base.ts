import { defineConfig, type Options } from 'tsup';

/**
 * Every package builds the same way: ESM and CommonJS with types, for Node 20. Code shared by several entries
 * goes into chunks in both formats (`splitting`), so that every entry sees one copy of each class: `instanceof`
 * and `isTollgateError` hold across `@tollgate/core` and `@tollgate/core/testing` in CommonJS as in ESM.
 * No sourcemaps: the output is readable, unminified JavaScript, and maps would double the tarballs.
 */
export const packageBuild = (entry: string[], extra: Options = {}) =>
  defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: false,
    splitting: true,
    target: 'node20',
    shims: true,
    ...extra,
  });
