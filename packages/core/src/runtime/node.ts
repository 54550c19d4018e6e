import WebSocket from 'ws';
import { nodeFiles } from './node-files.js';
import type { Runtime, StreamSocketClass } from './types.js';

/**
 * Node: ws's WebSocket on every version (Node 20 has no global one, and ws can drop a dead connection at once,
 * which the stream's dead-peer detection relies on), and the file system.
 */
export const runtime: Runtime = {
  socketClass: WebSocket as unknown as StreamSocketClass,
  noStream: null,
  files: nodeFiles,
  requestScoped: false,
};
