import { describe, expect, it } from 'vitest';
import { ConfigError, createTollgate, isTollgateError } from '@tollgate/core';
import { resolveConfig } from '../src/options.js';

const quiet = { warn: () => {}, error: () => {} };

describe('options', () => {
  it('requires an API key unless offline', () => {
    expect(() => createTollgate({ logger: quiet })).toThrow(ConfigError);
    expect(() => createTollgate({ apiKey: '  ', logger: quiet })).toThrow(/apiKey is required/);
    expect(() => createTollgate({ offline: true, logger: quiet })).not.toThrow();
  });

  it('rejects bad URLs and policies with what and where', () => {
    expect(() => resolveConfig({ apiKey: 'k', baseUrl: 'nope' })).toThrow(/baseUrl is not a URL/);
    expect(() => resolveConfig({ apiKey: 'k', baseUrl: 'ftp://x' })).toThrow(/must be http/);
    expect(() => resolveConfig({ apiKey: 'k', onUnavailable: 'maybe' as never })).toThrow(/onUnavailable/);
    expect(() => resolveConfig({ apiKey: 'k', fallback: { f: {} as never } })).toThrow(/fallback\["f"\]\.hasAccess/);
    try {
      resolveConfig({});
    } catch (err) {
      expect(isTollgateError(err) && err.code).toBe('CONFIG_INVALID');
    }
  });

  it('warns once for a bad tunable and uses its default', () => {
    const warnings: string[] = [];
    const c = resolveConfig({
      apiKey: 'k',
      cache: { maxEntries: -1 },
      logger: { warn: (m) => warnings.push(m), error: () => {} },
    });
    expect(c.cache.maxEntries).toBe(10_000);
    expect(warnings).toEqual(['tollgate: option cache.maxEntries must be a positive number, got -1; using 10000']);
  });

  it('derives URLs and an environment namespace that does not contain the key', () => {
    const c = resolveConfig({ apiKey: 'server-secret-key', baseUrl: 'http://localhost:4100/' });
    expect(c.graphqlUrl).toBe('http://localhost:4100/graphql');
    expect(c.streamUrl).toBe('ws://localhost:4100/graphql');
    expect(c.environment).toMatch(/^[0-9a-f]{16}$/);
    expect(c.environment).not.toContain('secret');
    expect(resolveConfig({ apiKey: 'server-other' }).environment).not.toBe(c.environment);
  });
});
