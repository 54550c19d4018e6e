/**
 * Tollgate's OpenTelemetry metrics. Per-event instruments (check duration, decisions, Stigg calls, delivery lag)
 * are recorded as things happen; the counters `tollgate.metrics()` already keeps are read at collection time by
 * observable instruments (one batch callback, one `metrics()` call per collection).
 */
import type {
  Attributes,
  BatchObservableCallback,
  Counter,
  Histogram,
  Meter,
  Observable,
  ObservableCounter,
  ObservableGauge,
} from '@opentelemetry/api';
import type { CheckRequest, Decision } from '../decision/types.js';
import type { TollgateError } from '../errors.js';
import type { StreamState } from '../events.js';
import type { Tollgate } from '../tollgate.js';
import type { DrainReport } from '../usage/outbox.js';
import type { SealedRecord } from '../usage/types.js';
import {
  CACHE_RESULT,
  CHECK_KIND,
  DECISION_REASON,
  DECISION_RESULT,
  ERROR_TYPE,
  FEATURE_FLAG_CONTEXT_ID,
  FEATURE_FLAG_KEY,
  FLEET_ROLE,
  GRAPHQL_OPERATION_NAME,
  GRAPHQL_OPERATION_TYPE,
  STREAM_STATE,
} from './attributes.js';
import type { DecisionKind, DecisionSource, TelemetrySource } from './sink.js';

type Snapshot = ReturnType<Tollgate['metrics']>;
type FleetRole = Snapshot['fleet']['streamRole'];

/** A cache hit takes microseconds, a miss milliseconds (a Stigg call): buckets from 10 µs to 5 s. */
const CHECK_BUCKETS = [
  0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
  1, 2.5, 5,
];
/** The semantic conventions' buckets for HTTP call durations. */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** Usage waits a flush interval (1 s by default) and, under Stigg's pacing, up to minutes. */
const LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

/**
 * Decision series counted at most; past this many (customer ids opted in), further ones are counted together under
 * `otel.metric.overflow`, as the SDK does past its own cardinality limit.
 */
const MAX_DECISION_SERIES = 2_000;
const OVERFLOW: Attributes = { 'otel.metric.overflow': true };

const STREAM_STATES: StreamState[] = ['connecting', 'connected', 'disconnected', 'closed', 'unauthenticated'];
const FLEET_ROLES: FleetRole[] = ['holder', 'follower', 'every-instance', 'off'];

/** Observable counters read from `tollgate.metrics()`: name, unit, description, value. */
const COUNTERS: [string, string, string, (m: Snapshot, persisted: number) => number][] = [
  ['tollgate.cache.hits', '{check}', 'Checks answered from the in-process cache without waiting', (m) => m.cacheHits],
  ['tollgate.cache.misses', '{check}', 'Checks that waited for the shared cache or Stigg', (m) => m.cacheMisses],
  [
    'tollgate.cache.stale',
    '{check}',
    'Checks answered from an entry past its freshness (Stigg could not confirm it in time)',
    (m) => m.staleServed,
  ],
  [
    'tollgate.fallbacks',
    '{check}',
    'Decisions made by the fallback (Stigg unreachable, nothing usable cached)',
    (m) => m.fallbacks,
  ],
  ['tollgate.cache.shared.hits', '{read}', 'Reads answered by the shared cache (Keyv)', (m) => m.l2Hits],
  ['tollgate.cache.shared.misses', '{read}', 'Reads the shared cache (Keyv) did not answer', (m) => m.l2Misses],
  ['tollgate.cache.shared.errors', '{error}', 'Shared cache (Keyv) calls that failed', (m) => m.l2Errors],
  [
    'tollgate.reads.over_budget',
    '{read}',
    'Reads the read budget (fleet.readsPerMinute) had no room for in time',
    (m) => m.readsOverBudget,
  ],
  [
    'tollgate.stream.reconnects',
    '{reconnect}',
    "Connections to Stigg's stream after this process's first",
    (m) => Math.max(0, m.streamConnects - 1),
  ],
  ['tollgate.usage.delivered', '{unit}', 'Usage units Stigg acknowledged', (m) => m.usage.unitsDelivered],
  [
    'tollgate.usage.dropped',
    '{unit}',
    'Usage units lost (memory bound, or refused by Stigg for good)',
    (m) => m.usage.unitsDropped,
  ],
  [
    'tollgate.usage.persisted',
    '{unit}',
    'Usage units left at close in Redis or the spill file for another process to deliver',
    (_m, persisted) => persisted,
  ],
  [
    'tollgate.usage.rate_limited',
    '{call}',
    'Usage calls Stigg refused for its rate limit (their units go out in the next records)',
    (m) => m.usage.rateLimited,
  ],
  [
    'tollgate.fleet.messages',
    '{message}',
    "Messages from the fleet stream's holder applied here",
    (m) => m.fleet.messages,
  ],
  [
    'tollgate.fleet.stream.lease_changes',
    '{change}',
    "Times this process took or gave up the fleet's stream",
    (m) => m.fleet.streamLeaseChanges,
  ],
];

/** Observable gauges read from `tollgate.metrics()`. */
const GAUGES: [string, string, string, (m: Snapshot) => number][] = [
  ['tollgate.cache.entries', '{entry}', 'Entries in the in-process cache', (m) => m.cacheEntries],
  ['tollgate.usage.inflight', '{request}', 'Metered requests entered and not yet settled', (m) => m.usage.inflight],
  [
    'tollgate.usage.delivery.leader',
    '1',
    "1 while this process delivers usage (with Redis: holds the fleet's delivery lease)",
    (m) => (m.usage.deliveryLeader ? 1 : 0),
  ],
];

export class TollgateMeters {
  private readonly checkDuration: Histogram;
  private readonly stiggCalls: Counter;
  private readonly stiggErrors: Counter;
  private readonly stiggDuration: Histogram;
  private readonly deliveryLag: Histogram;
  private readonly observe: BatchObservableCallback;
  private readonly observables: Observable[];
  /** `check.duration` attributes by kind and source, made once. */
  private readonly durationAttributes: Record<DecisionKind, Record<DecisionSource, Attributes>>;
  /** Decisions counted here, by attribute set, and read at collection: a Map lookup per check, not an SDK record. */
  private readonly decisionCounts = new Map<string, { attributes: Attributes; count: number }>();
  private readonly callAttributes = new Map<string, Attributes>();
  private persisted = 0;

  constructor(
    private readonly meter: Meter,
    read: () => Snapshot,
    source: TelemetrySource,
    private readonly customerIds: boolean,
  ) {
    this.checkDuration = meter.createHistogram('tollgate.check.duration', {
      unit: 's',
      description:
        'Time to answer a check (tollgate.check) or a metered request (tollgate.enter, reservation included)',
      advice: { explicitBucketBoundaries: CHECK_BUCKETS },
    });
    const decisions = meter.createObservableCounter('tollgate.decisions', {
      unit: '{check}',
      description: 'Decisions by feature, result, denial reason and how they were answered',
    });
    this.stiggCalls = meter.createCounter('tollgate.stigg.calls', {
      unit: '{call}',
      description: 'Calls to Stigg by operation (retries included in one call); failed ones carry error.type',
    });
    this.stiggErrors = meter.createCounter('tollgate.stigg.errors', {
      unit: '{error}',
      description: 'Calls to Stigg that failed, by operation and error.type (the Tollgate error code)',
    });
    this.stiggDuration = meter.createHistogram('tollgate.stigg.call.duration', {
      unit: 's',
      description: 'Duration of calls to Stigg by operation, retries included',
      advice: { explicitBucketBoundaries: CALL_BUCKETS },
    });
    this.deliveryLag = meter.createHistogram('tollgate.usage.delivery.lag', {
      unit: 's',
      description: "Time from a usage record's first commit to Stigg's acknowledgement",
      advice: { explicitBucketBoundaries: LAG_BUCKETS },
    });
    this.durationAttributes = { check: this.bySource('check'), metered: this.bySource('metered') };

    const counters = COUNTERS.map(
      ([name, unit, description, value]) =>
        [meter.createObservableCounter(name, { unit, description }), value] as [ObservableCounter, typeof value],
    );
    const gauges = GAUGES.map(
      ([name, unit, description, value]) =>
        [meter.createObservableGauge(name, { unit, description }), value] as [ObservableGauge, typeof value],
    );
    const streamState = meter.createObservableGauge('tollgate.stream.state', {
      unit: '{state}',
      description: "Stigg's stream: 1 for the state it is in (tollgate.stream.state), 0 for the others",
    });
    const fleetRole = meter.createObservableGauge('tollgate.fleet.stream.role', {
      unit: '{role}',
      description: "This process's part in the fleet's stream: 1 for its role (tollgate.fleet.role), 0 for the others",
    });
    const pending = meter.createObservableGauge('tollgate.usage.pending', {
      unit: '{unit}',
      description: 'Usage units committed in this process and not yet acknowledged by Stigg (the outbox depth)',
    });
    const streamStates = STREAM_STATES.map((state) => ({ [STREAM_STATE]: state }));
    const fleetRoles = FLEET_ROLES.map((role) => ({ [FLEET_ROLE]: role }));
    this.observables = [
      decisions,
      ...counters.map(([c]) => c),
      ...gauges.map(([g]) => g),
      streamState,
      fleetRole,
      pending,
    ];
    this.observe = async (result) => {
      for (const { attributes, count } of this.decisionCounts.values()) result.observe(decisions, count, attributes);
      const m = read();
      for (const [counter, value] of counters) result.observe(counter, value(m, this.persisted));
      for (const [gauge, value] of gauges) result.observe(gauge, value(m));
      for (const attributes of streamStates)
        result.observe(streamState, attributes[STREAM_STATE] === m.stream ? 1 : 0, attributes);
      for (const attributes of fleetRoles)
        result.observe(fleetRole, attributes[FLEET_ROLE] === m.fleet.streamRole ? 1 : 0, attributes);
      result.observe(pending, await source.pendingUnits());
    };
    meter.addBatchObservableCallback(this.observe, this.observables);
  }

  private bySource(kind: DecisionKind): Record<DecisionSource, Attributes> {
    const of = (source: DecisionSource) => ({ [CACHE_RESULT]: source, [CHECK_KIND]: kind });
    return { hit: of('hit'), stale: of('stale'), miss: of('miss'), fallback: of('fallback') };
  }

  decided(
    decision: Decision,
    request: CheckRequest,
    seconds: number,
    source: DecisionSource,
    kind: DecisionKind,
  ): void {
    this.checkDuration.record(seconds, this.durationAttributes[kind][source]);
    this.decisionSeries(decision, request, source, kind).count += 1;
  }

  /** The series of a decision by feature, result, reason, source and kind (and customer, when opted in). */
  private decisionSeries(
    decision: Decision,
    request: CheckRequest,
    source: DecisionSource,
    kind: DecisionKind,
  ): { attributes: Attributes; count: number } {
    const reason = decision.hasAccess ? null : (decision.reason ?? 'Unknown');
    const customer = this.customerIds ? request.customerId : '';
    const key = `${decision.featureId}\u0000${reason ?? ''}\u0000${source}\u0000${kind}\u0000${customer}`;
    let series = this.decisionCounts.get(key);
    if (series) return series;
    if (this.decisionCounts.size >= MAX_DECISION_SERIES) {
      series = this.decisionCounts.get('') ?? { attributes: OVERFLOW, count: 0 };
      this.decisionCounts.set('', series);
      return series;
    }
    const attributes: Attributes = {
      [FEATURE_FLAG_KEY]: decision.featureId,
      [DECISION_RESULT]: decision.hasAccess ? 'allowed' : 'denied',
      [CACHE_RESULT]: source,
      [CHECK_KIND]: kind,
    };
    if (reason) attributes[DECISION_REASON] = reason;
    if (this.customerIds) attributes[FEATURE_FLAG_CONTEXT_ID] = request.customerId;
    series = { attributes, count: 0 };
    this.decisionCounts.set(key, series);
    return series;
  }

  stiggCall(operation: string, type: 'query' | 'mutation', seconds: number, error: TollgateError | null): void {
    const key = `${operation}\u0000${error?.code ?? ''}`;
    let attributes = this.callAttributes.get(key);
    if (!attributes) {
      attributes = { [GRAPHQL_OPERATION_NAME]: operation, [GRAPHQL_OPERATION_TYPE]: type };
      if (error) attributes[ERROR_TYPE] = error.code;
      this.callAttributes.set(key, attributes);
    }
    this.stiggCalls.add(1, attributes);
    this.stiggDuration.record(seconds, attributes);
    if (error) this.stiggErrors.add(1, attributes);
  }

  delivered(records: readonly SealedRecord[], at: number): void {
    for (const record of records) this.deliveryLag.record(Math.max(0, at - record.since) / 1000);
  }

  closed(report: DrainReport): void {
    this.persisted += report.persisted;
  }

  stop(): void {
    this.meter.removeBatchObservableCallback(this.observe, this.observables);
  }
}
