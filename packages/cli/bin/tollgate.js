#!/usr/bin/env node
import('../dist/bin.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('tollgate: the CLI is not built yet; run `npm run build` at the repository root first.');
    process.exit(1);
  }
  throw err;
});
