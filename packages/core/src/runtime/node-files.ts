import type { FileStorage } from './types.js';

/** `node:fs` (Node, Bun, Deno), loaded on first use: only a configured spill file uses it. */
const fs = () => import('node:fs/promises');

export const nodeFiles: FileStorage = {
  async read(path) {
    try {
      return await (await fs()).readFile(path, 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return null;
      throw err;
    }
  },
  async writeAtomically(path, text) {
    const { rename, writeFile } = await fs();
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, path);
  },
  async remove(path) {
    await (await fs()).rm(path, { force: true });
  },
};
