import { startChild } from './lib/child.js';
import { fmt, load, median } from './lib/load.js';
import type { Benchmark } from './lib/types.js';

const READ = JSON.stringify({
  query: `query E($customerId: String!) { entitlements: cachedEntitlements(query: {customerId: $customerId}) {
    isGranted accessDeniedReason customerId usageLimit hasUnlimitedUsage hasSoftLimit currentUsage enumValues
    usagePeriodStart usagePeriodEnd resetPeriod feature { refId featureType meterType displayName } } }`,
  variables: { customerId: 'customer-pro' },
});
const WRITE = JSON.stringify({
  query: `mutation W($input: ReportUsageBulkInput!) { reportUsageBulk(input: $input) { id customerId featureId currentUsage timestamp } }`,
  variables: { input: { usages: [{ customerId: 'customer-enterprise', featureId: 'feature-api-calls', value: 1 }] } },
});
const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' };
const ROUNDS = 3;

const benchmark: Benchmark = {
  name: 'stigg-local',
  description:
    "stigg-local's entitlement reads and usage writes per second vs a trivial GraphQL server (same documents, canned answers)",
  async run(report) {
    const local = await startChild<{ url: string }>(new URL('./servers/stigg-local.ts', import.meta.url).pathname);
    const trivial = await startChild<{ url: string }>(
      new URL('./servers/trivial-graphql.ts', import.meta.url).pathname,
    );
    try {
      const rps = {
        localRead: [] as number[],
        trivialRead: [] as number[],
        localWrite: [] as number[],
        trivialWrite: [] as number[],
      };
      const bad: string[] = [];
      const run = async (key: keyof typeof rps, url: string, body: string) => {
        const r = await load({ url: `${url}/graphql`, method: 'POST', headers: HEADERS, body, durationSeconds: 3 });
        if (r.non2xx || r.errors) bad.push(`${key}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        rps[key].push(r.requestsPerSecond);
      };
      // Warm-up, then alternate so drift on a shared machine hits both sides alike.
      await load({
        url: `${local.info.url}/graphql`,
        method: 'POST',
        headers: HEADERS,
        body: READ,
        durationSeconds: 1,
      });
      await load({
        url: `${trivial.info.url}/graphql`,
        method: 'POST',
        headers: HEADERS,
        body: READ,
        durationSeconds: 1,
      });
      for (let i = 0; i < ROUNDS; i++) {
        await run('localRead', local.info.url, READ);
        await run('trivialRead', trivial.info.url, READ);
        await run('localWrite', local.info.url, WRITE);
        await run('trivialWrite', trivial.info.url, WRITE);
      }
      if (bad.length) throw new Error(`requests failed: ${bad.join('; ')}`);
      const m = Object.fromEntries(Object.entries(rps).map(([k, v]) => [k, median(v)])) as Record<
        keyof typeof rps,
        number
      >;
      report.table([
        {
          operation: 'entitlement read (cachedEntitlements)',
          'stigg-local req/s': fmt(m.localRead),
          'trivial req/s': fmt(m.trivialRead),
          ratio: `${fmt(m.localRead / m.trivialRead, 2)}x`,
        },
        {
          operation: 'usage write (reportUsageBulk, 1 record)',
          'stigg-local req/s': fmt(m.localWrite),
          'trivial req/s': fmt(m.trivialWrite),
          ratio: `${fmt(m.localWrite / m.trivialWrite, 2)}x`,
        },
      ]);
      report.note(`median of ${ROUNDS} alternating 3 s rounds, 20 connections, servers in their own processes`);
    } finally {
      await local.stop();
      await trivial.stop();
    }
  },
};
export default benchmark;
