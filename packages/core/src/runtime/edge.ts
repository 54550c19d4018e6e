import type { Runtime } from './types.js';

/**
 * Cloudflare Workers and other edge runtimes: a connection and a timer live only as long as the request that
 * started them (or until its `waitUntil` work ends), so Stigg's stream cannot be held between requests and usage
 * is delivered through `waitUntil`; no file system.
 */
export const runtime: Runtime = {
  socketClass: null,
  noStream: 'on this runtime a connection lasts only as long as the request that opened it',
  files: null,
  requestScoped: true,
};
