import type { Runtime, StreamSocketClass } from './types.js';

/** Other web runtimes (browsers, web workers, anything unknown): the global WebSocket where there is one. */
export const runtime: Runtime = {
  socketClass: (globalThis as { WebSocket?: StreamSocketClass }).WebSocket ?? null,
  noStream: (globalThis as { WebSocket?: unknown }).WebSocket ? null : 'this runtime has no WebSocket',
  files: null,
  requestScoped: false,
};
