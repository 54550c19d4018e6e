/** The demo API on Hono (Node), with an embedded stigg-local. Same walkthrough as examples/express. */
import { serve } from '@hono/node-server';
import { createTollgate } from '@tollgate/core';
import { DEFAULT_API_KEY, startStiggLocal } from '@tollgate/stigg-local';
import { createApp } from './app.js';

const external = process.env.STIGG_SERVER_API_KEY;
const stigg = external ? null : await startStiggLocal({ port: Number(process.env.STIGG_PORT ?? 4100) });
const tollgate = createTollgate({
  apiKey: external ?? DEFAULT_API_KEY,
  baseUrl: external ? process.env.STIGG_BASE_URL : stigg!.url,
});
await tollgate.ready();
const port = Number(process.env.PORT ?? 3000);
const server = serve({ fetch: createApp(tollgate).fetch, port, hostname: '127.0.0.1' }, () => {
  console.log(`Tollgate demo API (Hono) on http://127.0.0.1:${port}${stigg ? `, stigg-local on ${stigg.url}` : ''}`);
  console.log(`Try: curl -s http://127.0.0.1:${port}/api/analytics -H 'x-api-token: demo-pro'`);
});
const stop = async () => {
  server.close();
  await tollgate.close();
  await stigg?.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
