import { constants, statSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { InputFileError } from './input-file-error.js';

/** What a path is, when it is not a regular file. */
function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

function openError(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new InputFileError(file, 0, 0, 'no such file');
  if (code === 'EACCES' || code === 'EPERM') return new InputFileError(file, 0, 0, 'permission denied');
  if (code === 'EISDIR') return new InputFileError(file, 0, 0, 'not a regular file (a directory)');
  return err;
}

const notRegular = (file: string, stat: Stats) =>
  new InputFileError(file, 0, 0, `not a regular file (${kindOf(stat)})`);

/**
 * Refuses, before anything is read, a path that is missing or is not a regular file: a FIFO or a device would be
 * read forever (or block the opening), a directory cannot be.
 */
export function assertRegularFiles(files: readonly string[]): void {
  for (const file of files) {
    let stat: Stats;
    try {
      stat = statSync(file);
    } catch (err) {
      throw openError(file, err);
    }
    if (!stat.isFile()) throw notRegular(file, stat);
  }
}

/**
 * Opens a regular file for reading. Non-blocking, then checked on the open descriptor: a path swapped for a FIFO
 * after `assertRegularFiles` neither blocks the open nor gets read.
 */
export async function openRegularFile(file: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw openError(file, err);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notRegular(file, stat);
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}
