/**
 * Tollgate's OpenTelemetry metrics scraped by Prometheus: an Express API guarded by Tollgate, an embedded
 * stigg-local, and GET /metrics in Prometheus' text format. PORT (default 3000) and STIGG_PORT (default 4100) move it.
 */
import type { Server } from 'node:http';
import { createTollgate, type Tollgate } from '@tollgate/core';
import { instrumentTollgate } from '@tollgate/core/opentelemetry';
import { DEFAULT_API_KEY, startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { createApp } from './app.js';
import { setUpMetrics } from './telemetry.js';

export interface OtelExample {
  url: string;
  stigg: StiggLocal;
  tollgate: Tollgate;
  close(): Promise<void>;
}

export async function startOtelExample(options: { port?: number; stiggPort?: number } = {}): Promise<OtelExample> {
  const stigg = await startStiggLocal({ port: options.stiggPort ?? 4100, log: () => {} });
  const { meterProvider, prometheus } = setUpMetrics('tollgate-otel-example');
  const tollgate = createTollgate({ apiKey: DEFAULT_API_KEY, baseUrl: stigg.url, usage: { flushIntervalMs: 500 } });
  const instrumentation = instrumentTollgate(tollgate, { meterProvider });
  await tollgate.ready();
  const server: Server = await new Promise((resolve, reject) => {
    const s = createApp(tollgate, prometheus).listen(options.port ?? 3000, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stigg,
    tollgate,
    close: async () => {
      await new Promise((r) => server.close(r));
      await tollgate.close(); // delivers usage: the last figures reach the meters before they stop
      instrumentation.stop();
      await meterProvider.shutdown();
      await stigg.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const example = await startOtelExample({
    port: Number(process.env.PORT ?? 3000),
    stiggPort: Number(process.env.STIGG_PORT ?? 4100),
  }).catch((err: NodeJS.ErrnoException) => {
    console.error(err.code === 'EADDRINUSE' ? `A port is in use (${err.message}); set PORT or STIGG_PORT.` : err);
    process.exit(1);
  });
  const { url } = example;
  console.log(
    [
      `Tollgate with OpenTelemetry on ${url} (stigg-local on ${example.stigg.url})`,
      '',
      `  curl -s ${url}/api/analytics -H 'x-api-token: demo-pro'     # allowed`,
      `  curl -s ${url}/api/analytics -H 'x-api-token: demo-free'    # 403`,
      `  curl -s -X POST ${url}/api/reports -H 'x-api-token: demo-free'   # metered: 1 unit reported to Stigg`,
      `  curl -s ${url}/metrics | grep ^tollgate_                    # the Prometheus scrape`,
      '',
      'Ctrl-C stops.',
    ].join('\n'),
  );
  const stop = async () => {
    await example.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
