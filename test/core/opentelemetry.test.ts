/**
 * @tollgate/core/opentelemetry against stigg-local over real HTTP, read back through the OpenTelemetry SDK's
 * in-memory exporters; and the main entry of @tollgate/core working where @opentelemetry/api cannot be loaded.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ConfigError, type Tollgate } from '@tollgate/core';
import { instrumentTollgate, type InstrumentOptions } from '@tollgate/core/opentelemetry';
import { startStiggLocal, type StiggLocal } from '@tollgate/stigg-local';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientFactory } from '../support/stigg.js';
import { until } from '../support/wait.js';

const API_KEY = 'server-tollgate-local';
let server: StiggLocal;
const clients = clientFactory(() => server);
let metricExporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let meterProvider: MeterProvider;
let spanExporter: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider;
const stops: (() => void)[] = [];

beforeAll(() => {
  // Spans nest through the active context, as under the Node SDK.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});
beforeEach(async () => {
  server = await startStiggLocal({ log: () => {} });
  metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  meterProvider = new MeterProvider({ readers: [reader] });
  spanExporter = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
});
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await clients.closeAll();
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
  await server.close();
});

function instrument(tollgate: Tollgate, options: InstrumentOptions = {}) {
  const instrumentation = instrumentTollgate(tollgate, { meterProvider, tracerProvider, ...options });
  stops.push(() => instrumentation.stop());
  return instrumentation;
}

/** Every Tollgate metric collected now (cumulative since the instrumentation began). */
async function collect(): Promise<MetricData[]> {
  metricExporter.reset();
  await reader.forceFlush();
  return metricExporter
    .getMetrics()
    .flatMap((r) => r.scopeMetrics)
    .filter((s) => s.scope.name === '@tollgate/core')
    .flatMap((s) => s.metrics);
}

function metric(all: MetricData[], name: string): MetricData {
  const found = all.find((m) => m.descriptor.name === name);
  if (!found) throw new Error(`no metric ${name} among ${all.map((m) => m.descriptor.name)}`);
  return found;
}

/** The data points of a sum or gauge as `{ attributes, value }`. */
function values(m: MetricData): { attributes: Record<string, unknown>; value: number }[] {
  return m.dataPoints.map((p) => ({ attributes: { ...p.attributes }, value: p.value as number }));
}

/** The value of the one point of a sum or gauge with these attributes (exactly). */
function valueAt(m: MetricData, attributes: Record<string, unknown> = {}): number | undefined {
  return values(m).find((p) => JSON.stringify(sorted(p.attributes)) === JSON.stringify(sorted(attributes)))?.value;
}

function sorted(o: Record<string, unknown>): [string, unknown][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

/** A histogram's points as `{ attributes, count, sum }`. */
function histogram(m: MetricData): { attributes: Record<string, unknown>; count: number; sum: number }[] {
  expect(m.dataPointType).toBe(DataPointType.HISTOGRAM);
  return m.dataPoints.map((p) => {
    const v = p.value as { count: number; sum?: number };
    return { attributes: { ...p.attributes }, count: v.count, sum: v.sum ?? 0 };
  });
}

const spans = () => spanExporter.getFinishedSpans();
const spanNamed = (name: string): ReadableSpan => {
  const found = spans().find((s) => s.name === name);
  if (!found) throw new Error(`no span ${name} among ${spans().map((s) => s.name)}`);
  return found;
};
const childOf = (child: ReadableSpan, parent: ReadableSpan) =>
  child.parentSpanContext?.spanId === parent.spanContext().spanId &&
  child.spanContext().traceId === parent.spanContext().traceId;

describe('instrumentTollgate', () => {
  it('records a cache miss (a span asking Stigg) and a cache hit (no span), with units and attributes', async () => {
    const t = await clients.make({ stream: false });
    instrument(t);
    const request = { customerId: 'customer-pro', featureId: 'feature-analytics' };
    const missed = t.check(request);
    expect(missed).toBeInstanceOf(Promise);
    expect(await missed).toMatchObject({ hasAccess: true, isFallback: false });
    const hit = t.check(request);
    expect(hit).not.toBeInstanceOf(Promise);

    const check = spanNamed('tollgate.check');
    expect(check.kind).toBe(SpanKind.INTERNAL);
    expect(check.attributes).toMatchObject({
      'feature_flag.key': 'feature-analytics',
      'feature_flag.provider.name': 'stigg',
      'feature_flag.result.reason': 'targeting_match',
      'feature_flag.result.value': true,
    });
    expect(check.attributes).not.toHaveProperty('feature_flag.context.id');
    expect(check.events.map((e) => e.name)).toEqual(['feature_flag.evaluation']);
    expect(check.events[0]!.attributes).toMatchObject({
      'feature_flag.key': 'feature-analytics',
      'feature_flag.result.reason': 'targeting_match',
    });
    const call = spanNamed('query GetEntitlements');
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.attributes).toEqual({ 'graphql.operation.name': 'GetEntitlements', 'graphql.operation.type': 'query' });
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(childOf(call, check)).toBe(true);
    expect(spans().filter((s) => s.name === 'tollgate.check')).toHaveLength(1); // the hit made none

    const all = await collect();
    const duration = metric(all, 'tollgate.check.duration');
    expect(duration.descriptor.unit).toBe('s');
    const points = histogram(duration);
    const missPoint = points.find((p) => p.attributes['tollgate.cache.result'] === 'miss');
    const hitPoint = points.find((p) => p.attributes['tollgate.cache.result'] === 'hit');
    expect(missPoint).toMatchObject({ attributes: { 'tollgate.check.kind': 'check' }, count: 1 });
    expect(hitPoint).toMatchObject({ attributes: { 'tollgate.check.kind': 'check' }, count: 1 });
    expect(hitPoint!.sum).toBeLessThan(missPoint!.sum); // microseconds from memory, milliseconds over HTTP
    expect(missPoint!.sum).toBeLessThan(5);

    const decisions = metric(all, 'tollgate.decisions');
    expect(decisions.descriptor.unit).toBe('{check}');
    const allowed = {
      'feature_flag.key': 'feature-analytics',
      'tollgate.decision.result': 'allowed',
      'tollgate.check.kind': 'check',
    };
    expect(valueAt(decisions, { ...allowed, 'tollgate.cache.result': 'miss' })).toBe(1);
    expect(valueAt(decisions, { ...allowed, 'tollgate.cache.result': 'hit' })).toBe(1);

    const calls = metric(all, 'tollgate.stigg.calls');
    expect(calls.descriptor.unit).toBe('{call}');
    expect(values(calls)).toEqual([
      { attributes: { 'graphql.operation.name': 'GetEntitlements', 'graphql.operation.type': 'query' }, value: 1 },
    ]);
    expect(histogram(metric(all, 'tollgate.stigg.call.duration'))[0]).toMatchObject({ count: 1 });
    expect(all.find((m) => m.descriptor.name === 'tollgate.stigg.errors')).toBeUndefined();
    expect(valueAt(metric(all, 'tollgate.cache.hits'))).toBe(1);
    expect(valueAt(metric(all, 'tollgate.cache.misses'))).toBe(1);
    expect(metric(all, 'tollgate.cache.hits').descriptor.unit).toBe('{check}');
    expect(valueAt(metric(all, 'tollgate.cache.entries'))).toBe(1);
    expect(valueAt(metric(all, 'tollgate.stream.state'), { 'tollgate.stream.state': 'closed' })).toBe(1);
    expect(valueAt(metric(all, 'tollgate.stream.state'), { 'tollgate.stream.state': 'connected' })).toBe(0);
    expect(valueAt(metric(all, 'tollgate.fleet.stream.role'), { 'tollgate.fleet.role': 'off' })).toBe(1);
    expect(JSON.stringify([all, spans().map((s) => [s.attributes, s.events])])).not.toContain(API_KEY);
  });

  it('records a fallback: the failed Stigg call under the check, reason error, error.type, counted', async () => {
    const t = await clients.make({
      stream: false,
      maxAttempts: 1,
      fallback: { 'feature-analytics': { hasAccess: true } },
    });
    instrument(t);
    server.admin.injectFault({ operations: ['cachedEntitlements'], status: 503 });
    expect(await t.check({ customerId: 'customer-free', featureId: 'feature-analytics' })).toMatchObject({
      hasAccess: true,
      isFallback: true,
    });

    const check = spanNamed('tollgate.check');
    expect(check.attributes).toMatchObject({
      'feature_flag.key': 'feature-analytics',
      'feature_flag.result.reason': 'error',
      'feature_flag.result.value': true,
      'error.type': 'UNAVAILABLE',
    });
    const call = spanNamed('query GetEntitlements');
    expect(childOf(call, check)).toBe(true);
    expect(call.status.code).toBe(SpanStatusCode.ERROR);
    expect(call.attributes['error.type']).toBe('UNAVAILABLE');
    expect(call.events.map((e) => e.name)).toContain('exception');

    const all = await collect();
    expect(
      valueAt(metric(all, 'tollgate.decisions'), {
        'feature_flag.key': 'feature-analytics',
        'tollgate.decision.result': 'allowed',
        'tollgate.cache.result': 'fallback',
        'tollgate.check.kind': 'check',
      }),
    ).toBe(1);
    const failed = {
      'graphql.operation.name': 'GetEntitlements',
      'graphql.operation.type': 'query',
      'error.type': 'UNAVAILABLE',
    };
    expect(valueAt(metric(all, 'tollgate.stigg.errors'), failed)).toBe(1);
    expect(valueAt(metric(all, 'tollgate.stigg.calls'), failed)).toBe(1);
    expect(valueAt(metric(all, 'tollgate.fallbacks'))).toBe(1);
    expect(histogram(metric(all, 'tollgate.check.duration'))[0]?.attributes).toEqual({
      'tollgate.cache.result': 'fallback',
      'tollgate.check.kind': 'check',
    });
  });

  it('records metered requests (allowed on a miss, denied at the limit) and the usage delivery with its lag', async () => {
    const t = await clients.make({ stream: false, usage: { flushIntervalMs: 3_600_000 } });
    instrument(t);
    server.admin.setUsage('customer-free', 'feature-api-calls', 99);
    const request = { customerId: 'customer-free', featureId: 'feature-api-calls' };
    const first = await t.enter(request);
    expect(first.allowed).toBe(true);
    await first.settle({ success: true });
    expect(valueAt(metric(await collect(), 'tollgate.usage.pending'))).toBe(1); // committed, not delivered yet
    await t.flushUsage();
    const denied = await t.enter(request);
    expect(denied.decision).toMatchObject({ hasAccess: false, reason: 'RequestedUsageExceedingLimit' });

    const deliver = spanNamed('tollgate.usage.deliver');
    expect(deliver.attributes).toEqual({
      'tollgate.usage.records': 1,
      'tollgate.usage.units': 1,
      'tollgate.usage.customers': 1,
    });
    const report = spanNamed('mutation ReportUsageBulk');
    expect(report.kind).toBe(SpanKind.CLIENT);
    expect(childOf(report, deliver)).toBe(true);
    expect(spanNamed('tollgate.check').attributes['feature_flag.key']).toBe('feature-api-calls');

    const all = await collect();
    const metered = { 'feature_flag.key': 'feature-api-calls', 'tollgate.check.kind': 'metered' };
    const decisions = metric(all, 'tollgate.decisions');
    expect(
      valueAt(decisions, { ...metered, 'tollgate.decision.result': 'allowed', 'tollgate.cache.result': 'miss' }),
    ).toBe(1);
    expect(
      valueAt(decisions, {
        ...metered,
        'tollgate.decision.result': 'denied',
        'tollgate.decision.reason': 'RequestedUsageExceedingLimit',
        'tollgate.cache.result': 'hit',
      }),
    ).toBe(1);
    expect(histogram(metric(all, 'tollgate.check.duration')).map((p) => [p.attributes, p.count])).toEqual(
      expect.arrayContaining([
        [{ 'tollgate.cache.result': 'miss', 'tollgate.check.kind': 'metered' }, 1],
        [{ 'tollgate.cache.result': 'hit', 'tollgate.check.kind': 'metered' }, 1],
      ]),
    );
    const lag = metric(all, 'tollgate.usage.delivery.lag');
    expect(lag.descriptor.unit).toBe('s');
    expect(histogram(lag)).toEqual([{ attributes: {}, count: 1, sum: expect.any(Number) }]);
    expect(histogram(lag)[0]!.sum).toBeLessThan(60);
    expect(metric(all, 'tollgate.usage.delivered').descriptor.unit).toBe('{unit}');
    expect(valueAt(metric(all, 'tollgate.usage.delivered'))).toBe(1);
    expect(valueAt(metric(all, 'tollgate.usage.dropped'))).toBe(0);
    expect(valueAt(metric(all, 'tollgate.usage.pending'))).toBe(0);
    expect(valueAt(metric(all, 'tollgate.usage.delivery.leader'))).toBe(1);
    expect(
      valueAt(metric(all, 'tollgate.stigg.calls'), {
        'graphql.operation.name': 'ReportUsageBulk',
        'graphql.operation.type': 'mutation',
      }),
    ).toBe(1);
    expect(JSON.stringify([all, spans().map((s) => [s.attributes, s.events])])).not.toContain('customer-free');
  });

  it('puts the customer id on spans and decisions only when asked to', async () => {
    const t = await clients.make({ stream: false });
    instrument(t, { customerIdAttribute: true });
    await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
    expect(spanNamed('tollgate.check').attributes['feature_flag.context.id']).toBe('customer-pro');
    expect(spanNamed('tollgate.check').events[0]!.attributes?.['feature_flag.context.id']).toBe('customer-pro');
    const decisions = values(metric(await collect(), 'tollgate.decisions'));
    expect(decisions.map((p) => p.attributes['feature_flag.context.id'])).toEqual(['customer-pro']);
  });

  it('records the stream state and stops recording at stop(); one instrumentation at a time', async () => {
    const t = await clients.make();
    const instrumentation = instrument(t);
    expect(() => instrumentTollgate(t, { meterProvider, tracerProvider })).toThrow(ConfigError);
    let all = await collect();
    expect(valueAt(metric(all, 'tollgate.stream.state'), { 'tollgate.stream.state': 'connected' })).toBe(1);
    expect(valueAt(metric(all, 'tollgate.fleet.stream.role'), { 'tollgate.fleet.role': 'every-instance' })).toBe(1);
    expect(valueAt(metric(all, 'tollgate.stream.reconnects'))).toBe(0);
    server.admin.dropStreams();
    await until(async () => valueAt(metric(await collect(), 'tollgate.stream.reconnects')) === 1, 'a reconnect');

    await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' }); // a miss
    const decisionsBefore = values(metric(await collect(), 'tollgate.decisions'));
    expect(decisionsBefore.map((p) => p.value)).toEqual([1]);

    instrumentation.stop();
    instrumentation.stop(); // idempotent
    expect(t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' })).not.toBeInstanceOf(Promise);
    await t.check({ customerId: 'customer-enterprise', featureId: 'feature-analytics' }); // a miss, unrecorded
    expect(t.metrics()).toMatchObject({ cacheHits: 1, cacheMisses: 2 });
    expect(spans().filter((s) => s.name === 'tollgate.check')).toHaveLength(1);
    all = await collect();
    expect(values(metric(all, 'tollgate.decisions'))).toEqual(decisionsBefore);
    expect(valueAt(metric(all, 'tollgate.cache.misses'))).toBe(1); // its last observation, before stop()
    expect(valueAt(metric(all, 'tollgate.cache.hits'))).toBe(0);
    const again = instrument(t); // stop() freed the Tollgate for another instrumentation
    await t.check({ customerId: 'customer-free', featureId: 'feature-analytics' });
    expect(spans().filter((s) => s.name === 'tollgate.check')).toHaveLength(2);
    again.stop();
  });
});

describe('the main entry without @opentelemetry/api', () => {
  const coreSrc = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/core/src');

  /** Bare specifiers imported (statically or dynamically) by `entry` and every module it reaches in the package. */
  function importGraph(entry: string): { modules: Set<string>; packages: Set<string> } {
    const modules = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (modules.has(file)) return;
      modules.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, specifier] of source.matchAll(/(?:from|import|import\()\s*['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('.')) visit(resolve(dirname(file), specifier!.replace(/\.js$/, '.ts')));
        else packages.add(specifier!);
      }
    };
    visit(resolve(coreSrc, entry));
    return { modules, packages };
  }

  it('imports no @opentelemetry package anywhere in its module graph', () => {
    const main = importGraph('index.ts');
    expect(main.modules).toContain(resolve(coreSrc, 'tollgate.ts'));
    expect(main.modules).toContain(resolve(coreSrc, 'telemetry/sink.ts'));
    expect(main.packages).toContain('graphql-request');
    expect([...main.packages].filter((p) => p.startsWith('@opentelemetry/'))).toEqual([]);
    // The same scan finds it where it is imported.
    expect(importGraph('telemetry/open-telemetry.ts').packages).toContain('@opentelemetry/api');
  });

  it('checks entitlements in a process where @opentelemetry/api cannot be resolved', async () => {
    const blockOpenTelemetry = `data:text/javascript,${encodeURIComponent(
      `import { register } from 'node:module';
       register('data:text/javascript,' + encodeURIComponent(
         'export async function resolve(specifier, context, next) {' +
         '  if (specifier.startsWith("@opentelemetry/")) throw Object.assign(new Error("Cannot find package " + specifier), { code: "ERR_MODULE_NOT_FOUND" });' +
         '  return next(specifier, context);' +
         '}'));`,
    )}`;
    const script = `
      let subpath = 'loaded';
      try { await import('@tollgate/core/opentelemetry'); } catch (err) { subpath = err.code; }
      const { createTollgate } = await import('@tollgate/core');
      const t = createTollgate({ apiKey: '${API_KEY}', baseUrl: process.env.STIGG_URL, stream: false,
        logger: { warn() {}, error() {} } });
      await t.ready();
      const decision = await t.check({ customerId: 'customer-pro', featureId: 'feature-analytics' });
      await t.close();
      console.log(JSON.stringify({ subpath, hasAccess: decision.hasAccess, isFallback: decision.isFallback }));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--conditions=@tollgate/source',
        '--import',
        'tsx',
        '--import',
        blockOpenTelemetry,
        '--input-type=module',
        '--eval',
        script,
      ],
      {
        cwd: resolve(coreSrc, '../../..'),
        env: { ...process.env, STIGG_URL: server.url },
        timeout: 20_000,
      },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      subpath: 'ERR_MODULE_NOT_FOUND',
      hasAccess: true,
      isFallback: false,
    });
  });
});
