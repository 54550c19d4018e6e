import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { packageFile } from '../package-files.js';
import type { Catalog } from './types.js';
import { CatalogError, validateCatalog } from './validate.js';

/** Path of the demo catalog shipped with the package (products, plans and customers the docs and examples use). */
export const demoCatalogPath = packageFile('catalog', 'demo.json');

/** Reads and validates a catalog file: JSON, or YAML when the name ends in .yaml/.yml. */
export function loadCatalogFile(path: string): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CatalogError(path, [`cannot be read: ${(err as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new CatalogError(path, [
      `is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message}`,
    ]);
  }
  return validateCatalog(parsed, path);
}

export function loadDemoCatalog(): Catalog {
  return loadCatalogFile(demoCatalogPath);
}
