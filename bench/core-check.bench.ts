import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createTollgate } from '@tollgate/core';
import { instrumentTollgate } from '@tollgate/core/opentelemetry';
import { startStiggLocal } from '@tollgate/stigg-local';
import { officialSdk } from '../test/support/stigg-sdk.js';
import { fmt, median } from './lib/load.js';
import { opsPerSecond, opsPerSecondAsync } from './lib/timing.js';
import type { Benchmark } from './lib/types.js';

const ROUNDS = 7;
const N = 200_000;
const SDK_N = 50_000;

const benchmark: Benchmark = {
  name: 'core-check',
  description:
    'tollgate.check on a cache hit vs a plain Map.get of the same entry, vs the official SDK on a warm cache, and with OpenTelemetry attached',
  async run(report) {
    const server = await startStiggLocal({ log: () => {} });
    const client = () =>
      createTollgate({
        apiKey: 'server-tollgate-local',
        baseUrl: server.url,
        logger: { warn: () => {}, error: () => {} },
      });
    const tollgate = client();
    // The same check on a second client with the OpenTelemetry SDK attached (metrics aggregated in memory, spans
    // through a tracer provider with no processor: a cache hit makes none).
    const instrumented = client();
    const meterProvider = new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
          exportIntervalMillis: 3_600_000,
        }),
      ],
    });
    const instrumentation = instrumentTollgate(instrumented, {
      meterProvider,
      tracerProvider: new BasicTracerProvider(),
    });
    const sdk = officialSdk(server);
    try {
      await tollgate.ready();
      await instrumented.ready();
      await sdk.waitForInitialization();
      const request = { customerId: 'customer-pro', featureId: 'feature-api-calls', requestedUsage: 1 };
      const sdkRequest = { customerId: 'customer-pro', featureId: 'feature-api-calls', options: { requestedUsage: 1 } };
      await tollgate.check(request);
      await instrumented.check(request);
      await sdk.getMeteredEntitlement(sdkRequest);
      const first = tollgate.check(request);
      if (first instanceof Promise || first.isFallback) throw new Error('not a cache hit');
      const map = new Map([[`tollgate:v1:env:{customer-pro}:-`, first]]);
      const key = `tollgate:v1:env:{customer-pro}:-`;
      let sink = 0;
      const r = {
        map: [] as number[],
        check: [] as number[],
        checkInstrumented: [] as number[],
        checkAwaited: [] as number[],
        sdk: [] as number[],
      };
      for (let round = 0; round < ROUNDS; round++) {
        r.map.push(opsPerSecond(N, () => (sink += map.get(key)!.hasAccess ? 1 : 0)));
        r.check.push(
          opsPerSecond(N, () => (sink += (tollgate.check(request) as { hasAccess: boolean }).hasAccess ? 1 : 0)),
        );
        r.checkInstrumented.push(
          opsPerSecond(N, () => (sink += (instrumented.check(request) as { hasAccess: boolean }).hasAccess ? 1 : 0)),
        );
        r.checkAwaited.push(
          await opsPerSecondAsync(SDK_N, async () => (sink += (await tollgate.check(request)).hasAccess ? 1 : 0)),
        );
        r.sdk.push(
          await opsPerSecondAsync(
            SDK_N,
            async () => (sink += (await sdk.getMeteredEntitlement(sdkRequest)).hasAccess ? 1 : 0),
          ),
        );
      }
      if (sink === 0) throw new Error('nothing was granted');
      const m = {
        map: median(r.map),
        check: median(r.check),
        checkInstrumented: median(r.checkInstrumented),
        checkAwaited: median(r.checkAwaited),
        sdk: median(r.sdk),
      };
      for (const t of [tollgate, instrumented])
        if (t.metrics().fetches !== 1) throw new Error(`expected cache hits only, saw ${t.metrics().fetches} fetches`);
      report.table([
        {
          measured: 'Map.get of the same entry',
          'ops/s': fmt(m.map),
          'µs/op': fmt(1e6 / m.map, 3),
          'check vs this': `${fmt(m.check / m.map, 2)}x`,
        },
        {
          measured: 'tollgate.check (cache hit, sync)',
          'ops/s': fmt(m.check),
          'µs/op': fmt(1e6 / m.check, 3),
          'check vs this': '1.00x',
        },
        {
          measured: 'tollgate.check (cache hit, sync), OpenTelemetry attached',
          'ops/s': fmt(m.checkInstrumented),
          'µs/op': fmt(1e6 / m.checkInstrumented, 3),
          'check vs this': `${fmt(m.check / m.checkInstrumented, 2)}x`,
        },
        {
          measured: 'await tollgate.check',
          'ops/s': fmt(m.checkAwaited),
          'µs/op': fmt(1e6 / m.checkAwaited, 3),
          'check vs this': `${fmt(m.check / m.checkAwaited, 2)}x`,
        },
        {
          measured: 'await sdk.getMeteredEntitlement (warm)',
          'ops/s': fmt(m.sdk),
          'µs/op': fmt(1e6 / m.sdk, 3),
          'check vs this': `${fmt(m.check / m.sdk, 2)}x`,
        },
      ]);
      report.note(
        `median of ${ROUNDS} alternating rounds (${N.toLocaleString()} sync / ${SDK_N.toLocaleString()} awaited calls each), one process`,
      );
      report.note(`await tollgate.check vs await sdk.getMeteredEntitlement: ${fmt(m.checkAwaited / m.sdk, 2)}x`);
      report.note(
        `tollgate.check with OpenTelemetry attached vs not instrumented: ${fmt(m.checkInstrumented / m.check, 2)}x throughput (+${fmt(1e6 / m.checkInstrumented - 1e6 / m.check, 3)} µs per check)`,
      );
    } finally {
      sdk.close();
      instrumentation.stop();
      await meterProvider.shutdown();
      await instrumented.close();
      await tollgate.close();
      await server.close();
    }
  },
};
export default benchmark;
