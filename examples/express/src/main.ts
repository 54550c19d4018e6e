/**
 * The demo: this API on Express, with an embedded stigg-local (no Stigg account, no Redis).
 * PORT (default 3000) and STIGG_PORT (stigg-local's, default 4100) move it; set STIGG_SERVER_API_KEY (and
 * STIGG_BASE_URL) to run it against Stigg instead.
 */
import type { Server } from 'node:http';
import { createTollgate, type Tollgate } from '@tollgate/core';
import { DEFAULT_API_KEY, startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { createApp } from './app.js';

export interface Demo {
  url: string;
  stigg: StiggLocal | null;
  tollgate: Tollgate;
  close(): Promise<void>;
}

export async function startDemo(options: { port?: number; stiggPort?: number } = {}): Promise<Demo> {
  const external = process.env.STIGG_SERVER_API_KEY;
  const stigg = external
    ? null
    : await startStiggLocal({ port: options.stiggPort ?? Number(process.env.STIGG_PORT ?? 4100) });
  const tollgate = createTollgate({
    apiKey: external ?? DEFAULT_API_KEY,
    baseUrl: external ? process.env.STIGG_BASE_URL : stigg!.url,
    usage: { flushIntervalMs: 500 },
  });
  await tollgate.ready();
  const server: Server = await new Promise((resolve, reject) => {
    const s = createApp(tollgate).listen(options.port ?? 3000, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stigg,
    tollgate,
    close: async () => {
      await new Promise((r) => server.close(r));
      await tollgate.close();
      await stigg?.close();
    },
  };
}

export function walkthrough(url: string, stiggUrl: string | null): string {
  const c = (token: string, rest: string) =>
    `curl -s ${rest.startsWith('-X') ? rest.replace(/^(-X \w+) /, `$1 ${url}`) : `${url}${rest}`} -H 'x-api-token: ${token}'`;
  return [
    `Tollgate demo API on ${url}${stiggUrl ? ` (Stigg: stigg-local on ${stiggUrl})` : ''}`,
    ...(stiggUrl ? [`Dashboard: ${stiggUrl}/_dashboard/ (customers, plans and usage, live; faults and limits)`] : []),
    '',
    '1. Allowed: Pro includes analytics',
    `   ${c('demo-pro', '/api/analytics')}`,
    '2. 403: Free does not (RFC 9457 problem+json: feature, reason, upgrade figures)',
    `   ${c('demo-free', '/api/analytics')}`,
    '3. Usage counting: each successful report costs 1 API call, reported to Stigg after the handler succeeded',
    `   ${c('demo-free', '-X POST /api/reports')}`,
    `   ${c('demo-free', '/api/usage')}`,
    '4. 402 once the limit is reached (Free has 100 calls a month; Retry-After says when it resets)',
    ...(stiggUrl
      ? [
          `   curl -s -X PUT ${stiggUrl}/_admin/customers/customer-free/usage -H 'content-type: application/json' -d '{"featureId":"feature-api-calls","value":100}'`,
        ]
      : ['   (call /api/reports until the limit is reached)']),
    `   curl -si -X POST ${url}/api/reports -H 'x-api-token: demo-free'`,
    '',
    'Tokens: demo-free, demo-pro, demo-enterprise, demo-nosub. Ctrl-C stops.',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const demo = await startDemo({ port: Number(process.env.PORT ?? 3000) }).catch((err: NodeJS.ErrnoException) => {
    console.error(
      err.code === 'EADDRINUSE' ? `The demo's port is in use (${err.message}); set PORT or STIGG_PORT.` : err,
    );
    process.exit(1);
  });
  console.log(walkthrough(demo.url, demo.stigg?.url ?? null));
  const stop = async () => {
    await demo.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
