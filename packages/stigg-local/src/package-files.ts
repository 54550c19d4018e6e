import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A file shipped with the package (`schema/`, `catalog/`). This module sits one level below the package root
 * both as source (`src/`) and bundled (`dist/`), so one relative path serves both.
 */
export const packageFile = (...segments: string[]): string =>
  join(dirname(fileURLToPath(import.meta.url)), '..', ...segments);
