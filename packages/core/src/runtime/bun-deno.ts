import { nodeFiles } from './node-files.js';
import type { Runtime, StreamSocketClass } from './types.js';

/** Bun and Deno: their web-standard WebSocket, and the file system (through their `node:fs`). */
export const runtime: Runtime = {
  socketClass: (globalThis as { WebSocket?: StreamSocketClass }).WebSocket ?? null,
  noStream: (globalThis as { WebSocket?: unknown }).WebSocket ? null : 'this runtime has no WebSocket',
  files: nodeFiles,
  requestScoped: false,
};
