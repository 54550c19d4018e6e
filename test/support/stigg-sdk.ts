import { Stigg } from '@stigg/node-server-sdk';
import type { StiggLocal } from '@tollgate/stigg-local';

export type StiggSdk = ReturnType<typeof Stigg.initialize>;

/** The official SDK pointed at a stigg-local, silent (a plain-object logger would be merged into `console`). */
export function officialSdk(server: StiggLocal, options: { enableEdge?: boolean; apiKey?: string } = {}): StiggSdk {
  return Stigg.initialize({
    apiKey: options.apiKey ?? 'server-tollgate-local',
    baseUri: server.url,
    wsUrl: server.wsUrl,
    baseEdgeUri: server.url,
    enableEdge: options.enableEdge ?? false,
    logConfiguration: { logLevel: 'NONE' as never },
  } as never);
}
