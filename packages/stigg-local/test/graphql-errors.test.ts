/**
 * Requests whose variables do not fit Stigg's schema are answered as Stigg answers them: `BadUserInput` with the
 * validation message, never `UnexpectedError`. Over real HTTP, and through the official SDK.
 */
import { Stigg } from '@stigg/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { API_KEY, gql, start } from './helpers.js';

const REPORT = `mutation R($input: ReportUsageInput!) { reportUsage(input: $input) { id currentUsage } }`;
const valid = { customerId: 'customer-free', featureId: 'feature-api-calls', value: 1 };

let server: StiggLocal;
const logged: string[] = [];
beforeAll(async () => {
  server = await start({ log: (m) => logged.push(m) });
});
afterAll(() => server.close());

describe('variables that do not fit the schema', () => {
  it.each([
    [
      'a string for a Float',
      { ...valid, value: 'seven' },
      /got invalid value "seven" at "input\.value"; Float cannot represent/,
    ],
    [
      'a required field missing',
      { customerId: 'customer-free', value: 1 },
      /Field "featureId" of required type "String!" was not provided/,
    ],
    [
      'an unknown enum value',
      { ...valid, updateBehavior: 'ADD' },
      /Value "ADD" does not exist in "UsageUpdateBehavior" enum/,
    ],
    [
      'a field the input type lacks',
      { ...valid, amount: 3 },
      /Field "amount" is not defined by type "ReportUsageInput"/,
    ],
    [
      'null for a required field',
      { ...valid, customerId: null },
      /Expected non-nullable type "String!" not to be null/,
    ],
  ])('%s answers BadUserInput with the validation message', async (_name, input, message) => {
    const r = await gql(server, REPORT, { input });
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0]!.extensions.code).toBe('BadUserInput');
    expect(r.errors![0]!.message).toMatch(/^Variable "\$input" got invalid value/);
    expect(r.errors![0]!.message).toMatch(message);
    expect(r.errors![0]!.extensions.traceId).toEqual(expect.any(String));
    expect(r.data ?? null).toBeNull();
  });

  it('applies nothing and logs nothing as unexpected', async () => {
    const before = server.admin.stats().usage.applied;
    await gql(server, REPORT, { input: { ...valid, value: 'x' } });
    expect(server.admin.stats().usage.applied).toBe(before);
    expect(logged.filter((m) => m.includes('unexpected error'))).toEqual([]);
  });

  it('reaches the official SDK as errorCode BadUserInput', async () => {
    const client = Stigg.initialize({
      apiKey: API_KEY,
      baseUri: server.url,
      wsUrl: server.wsUrl,
      baseEdgeUri: server.url,
      enableEdge: false,
      realtimeUpdatesEnabled: false,
      logConfiguration: { logLevel: 'NONE' as never },
    } as never);
    try {
      await client.waitForInitialization();
      const err = await client
        .reportUsage({ customerId: 'customer-free', featureId: 'feature-api-calls', value: 'seven' as never })
        .then(
          () => null,
          (e: Error & { errorCode?: string }) => e,
        );
      expect(err?.errorCode).toBe('BadUserInput');
      expect(err?.message).toMatch(/Float cannot represent non numeric value/);
    } finally {
      client.close();
    }
  });
});
