import type { FallbackEntitlement, Logger as TollgateLogger, Options } from '../options.js';
import type { ClientConfiguration, EntitlementsFallback, LogConfiguration } from './sdk-shapes.js';

/** The SDK's logger behind Tollgate's, with the SDK's levels (`NONE` nothing, `ERROR` errors, `LOG`/`ALL` all). */
function toLogger({ logger, logLevel }: LogConfiguration): { logger: TollgateLogger; debug: boolean } {
  // Called as methods of the user's object, never copied onto `console` (the SDK merges a plain-object logger into it).
  const chatty = logLevel === 'LOG' || logLevel === 'ALL';
  const quiet = () => {};
  return {
    logger: {
      error: logLevel === 'NONE' ? quiet : (m) => logger.error(m),
      warn: chatty ? (m) => logger.log(m) : quiet,
      info: chatty ? (m) => logger.log(m) : quiet,
      debug: chatty ? (m) => logger.debug(m) : quiet,
    },
    debug: chatty,
  };
}

/** The SDK's fallbacks in Tollgate's terms: a numeric fallback's `value` is Tollgate's `usageLimit`. */
export function toTollgateFallback(fallbacks: EntitlementsFallback | undefined): Record<string, FallbackEntitlement> {
  const out: Record<string, FallbackEntitlement> = {};
  for (const [featureId, f] of Object.entries(fallbacks ?? {})) {
    const given = f as { hasAccess: boolean; value?: number; usageLimit?: number; isUnlimited?: boolean };
    const limit = given.usageLimit ?? given.value;
    out[featureId] = {
      hasAccess: f.hasAccess,
      ...(limit !== undefined ? { usageLimit: limit } : {}),
      ...(given.isUnlimited !== undefined ? { isUnlimited: given.isUnlimited } : {}),
      ...('enumValues' in f && f.enumValues !== undefined ? { enumValues: f.enumValues } : {}),
    };
  }
  return out;
}

/** Settings of the SDK that have no Tollgate meaning: given, they are warned about once, at `initialize`. */
const UNUSED: Partial<Record<keyof ClientConfiguration, string>> = {
  baseEdgeUri: 'Tollgate reads through the GraphQL API at baseUri',
  enableEdge: 'Tollgate reads through the GraphQL API at baseUri',
  redis: "give Tollgate's shared cache level as tollgate.cache.store (a Keyv store, e.g. new Keyv(new KeyvRedis(url)))",
  entitlementsTimeout: 'entitlement reads have the one timeout (timeout)',
};

/** The SDK's configuration -> Tollgate's options, and what was given that Tollgate does not use. */
export function toTollgateOptions(config: ClientConfiguration): { options: Options; unused: string[] } {
  const t = config.tollgate ?? {};
  const unused: string[] = [];
  for (const [key, why] of Object.entries(UNUSED)) {
    const value = config[key as keyof ClientConfiguration];
    // `enableEdge: false` asks for what Tollgate does anyway.
    if (value !== undefined && !(key === 'enableEdge' && value === false)) unused.push(`${key} (${why})`);
  }
  if (config.wsUrl !== undefined) {
    const base = new URL(config.baseUri ?? 'https://api.stigg.io').href.replace(/\/+$/, '').replace(/^http/, 'ws');
    const given = config.wsUrl.replace(/\/+$/, '');
    if (given !== base && given !== `${base}/graphql`) unused.push(`wsUrl (Tollgate's stream is at ${base}/graphql)`);
  }
  const logging = config.logConfiguration ? toLogger(config.logConfiguration) : null;
  const options: Options = {
    ...(config.offline !== undefined ? { offline: config.offline } : {}),
    ...(config.timeout !== undefined ? { timeoutMs: config.timeout } : {}),
    ...(config.realtimeUpdatesEnabled === false ? { stream: false as const } : {}),
    ...(logging ? { logger: logging.logger, debug: logging.debug } : {}),
    ...t,
    apiKey: config.apiKey,
    ...(config.baseUri !== undefined ? { baseUrl: config.baseUri } : {}),
    cache: {
      ...(config.memoryCacheMaxSizeBytes !== undefined ? { maxBytes: config.memoryCacheMaxSizeBytes } : {}),
      ...t.cache,
    },
    fallback: { ...toTollgateFallback(config.entitlementsFallback), ...t.fallback },
  };
  return { options, unused };
}
