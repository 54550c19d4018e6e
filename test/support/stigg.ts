import { afterAll, beforeAll } from 'vitest';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { RedisServer } from './redis.js';
import { createTollgate, type Options, type Tollgate } from '@tollgate/core';

export const quiet = { warn: () => {}, error: () => {} };

/** A feature's current usage as Stigg (stigg-local) reports it, over its GraphQL API. */
export async function stiggUsage(
  server: StiggLocal,
  customerId: string,
  featureId = 'feature-api-calls',
): Promise<number> {
  const res = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' },
    body: JSON.stringify({
      query: `{ cachedEntitlements(query: {customerId: "${customerId}"}) { feature { refId } currentUsage } }`,
    }),
  });
  const body = (await res.json()) as {
    data: { cachedEntitlements: { feature: { refId: string }; currentUsage: number | null }[] };
  };
  return body.data.cachedEntitlements.find((e) => e.feature.refId === featureId)?.currentUsage ?? 0;
}

/** Tollgate clients for one test file: `make()` creates and readies one; `closeAll()` in afterEach. */
export function clientFactory(server: () => StiggLocal) {
  const made: Tollgate[] = [];
  return {
    async make(options: Partial<Options> = {}): Promise<Tollgate> {
      const t = createTollgate({ apiKey: 'server-tollgate-local', baseUrl: server().url, logger: quiet, ...options });
      made.push(t);
      await t.ready();
      return t;
    },
    track(t: Tollgate): Tollgate {
      made.push(t);
      return t;
    },
    async closeAll(): Promise<void> {
      for (const t of made.splice(0)) await t.close();
    },
  };
}

/** A stigg-local and a real redis-server for one test file (started before its tests, stopped after). */
export function stiggAndRedis(): { server: StiggLocal; redis: RedisServer } {
  const env = {} as { server: StiggLocal; redis: RedisServer };
  beforeAll(async () => {
    env.server = await startStiggLocal({ log: () => {} });
    env.redis = await RedisServer.start();
  });
  afterAll(async () => {
    await env.redis?.stop();
    await env.server?.close();
  });
  return env;
}
