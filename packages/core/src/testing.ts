/**
 * @tollgate/core/testing: a network-free Tollgate for your own tests. Grant features, set limits and usage, run the
 * code under test (adapters included: pass `double.tollgate` as their client), then read what was reported.
 * Everything but the network is the real thing: cache, decisions, the usage meter and the outbox.
 */
import type { StiggClient, UsageRecordInput as Usage } from './client/stigg-client.js';
import type { UsageAck, WireEntitlement } from './client/wire-types.js';
import type { FeatureType, ResetPeriod } from './decision/types.js';
import { TollgateError } from './errors.js';
import type { Logger } from './options.js';
import { Tollgate } from './tollgate.js';

/** A feature as a test grants it. No options: a boolean feature. */
export interface TestGrant {
  /** NUMBER features: the limit (`'unlimited'` for none). Metered unless `meter: 'None'`. */
  limit?: number | 'unlimited';
  /** Metered features: usage so far. Default 0. */
  usage?: number;
  meter?: 'Incremental' | 'Fluctuating' | 'None';
  softLimit?: boolean;
  resetPeriod?: ResetPeriod;
  /** ENUM features: the granted values. */
  values?: string[];
  /** Denies with this reason whatever else is set (e.g. `Revoked`). */
  deniedReason?: WireEntitlement['accessDeniedReason'];
}

/** A usage record the code under test reported, as Stigg received it. */
export interface ReportedUsage {
  customerId: string;
  resourceId: string | null;
  featureId: string;
  /** Units added (negative: taken back); with `updateBehavior: 'SET'`, the usage set. */
  units: number;
  updateBehavior?: 'SET';
}

const DAY = 86_400_000;
const PERIOD_MS: Record<ResetPeriod, number> = {
  HOUR: 3_600_000,
  DAY,
  WEEK: 7 * DAY,
  MONTH: 30 * DAY,
  YEAR: 365 * DAY,
};

class FakeStigg {
  readonly grants = new Map<string, Map<string, TestGrant>>();
  readonly reported: ReportedUsage[] = [];
  private readonly seenKeys = new Set<string>();

  private entitlement(customerId: string, featureId: string, g: TestGrant): WireEntitlement {
    const type: FeatureType = g.values ? 'ENUM' : g.limit !== undefined ? 'NUMBER' : 'BOOLEAN';
    const meter = type === 'NUMBER' ? (g.meter ?? 'Incremental') : null;
    const now = Date.now();
    const period = g.resetPeriod ? PERIOD_MS[g.resetPeriod] : null;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      isGranted: !g.deniedReason,
      accessDeniedReason: g.deniedReason ?? null,
      customerId,
      resourceId: null,
      usageLimit: typeof g.limit === 'number' ? g.limit : null,
      hasUnlimitedUsage: g.limit === 'unlimited',
      hasSoftLimit: g.softLimit ?? false,
      currentUsage: meter && meter !== 'None' ? (g.usage ?? 0) : null,
      enumValues: g.values ?? null,
      entitlementUpdatedAt: iso(now),
      usageUpdatedAt: iso(now),
      usagePeriodAnchor: period ? iso(now) : null,
      usagePeriodStart: period ? iso(now) : null,
      usagePeriodEnd: period ? iso(now + period) : null,
      resetPeriod: g.resetPeriod ?? null,
      validUntil: null,
      feature: { featureType: type, meterType: meter, refId: featureId },
    };
  }

  async getEntitlements(customerId: string): Promise<WireEntitlement[]> {
    return [...(this.grants.get(customerId) ?? new Map())].map(([featureId, g]) =>
      this.entitlement(customerId, featureId, g),
    );
  }

  async checkKey(): Promise<void> {}

  async reportUsageBulk(usages: Usage[]): Promise<UsageAck[]> {
    return usages.map((u) => this.apply(u));
  }

  async reportUsage(usage: Usage): Promise<UsageAck> {
    return this.apply(usage);
  }

  private apply(u: Usage): UsageAck {
    const grant = this.grants.get(u.customerId)?.get(u.featureId);
    const fresh = !u.idempotencyKey || !this.seenKeys.has(u.idempotencyKey);
    if (u.idempotencyKey) this.seenKeys.add(u.idempotencyKey);
    const set = u.updateBehavior === 'SET';
    if (fresh) {
      this.reported.push({
        customerId: u.customerId,
        resourceId: u.resourceId ?? null,
        featureId: u.featureId,
        units: u.value,
        ...(set ? { updateBehavior: 'SET' as const } : {}),
      });
      if (grant) grant.usage = set ? u.value : (grant.usage ?? 0) + u.value;
    }
    return {
      id: crypto.randomUUID(),
      customerId: u.customerId,
      resourceId: u.resourceId ?? null,
      featureId: u.featureId,
      currentUsage: grant?.usage ?? null,
      usagePeriodStart: null,
      usagePeriodEnd: null,
      timestamp: new Date().toISOString(),
    };
  }

  async request(): Promise<never> {
    throw new TollgateError(
      'STIGG_ERROR',
      'The Tollgate test double answers entitlements and usage only, not management calls',
    );
  }
}

export interface TestTollgate {
  /** Pass this wherever a Tollgate client goes (adapters, your services). */
  tollgate: Tollgate;
  /** Grants a feature (replacing an earlier grant of it); the next check sees it. */
  grant(customerId: string, featureId: string, grant?: TestGrant): Promise<void>;
  /** Takes a feature away. */
  revoke(customerId: string, featureId: string): Promise<void>;
  /** Delivers committed usage now and returns every record reported so far. */
  reported(): Promise<ReportedUsage[]>;
  /** Usage reported for one customer and feature so far (a `SET` counts from the value it set). */
  reportedUnits(customerId: string, featureId: string): Promise<number>;
  close(): Promise<void>;
}

/** A Tollgate with no network behind it. Unknown customers have no entitlements (`CustomerNotFound`), as in Stigg. */
export function createTestTollgate(options: { logger?: Logger } = {}): TestTollgate {
  const fake = new FakeStigg();
  const tollgate = new Tollgate(
    {
      apiKey: 'test-double',
      stream: false,
      logger: options.logger ?? { warn: () => {}, error: () => {} },
      usage: { flushIntervalMs: 3_600_000 },
    },
    fake as unknown as StiggClient,
    { unpaced: true },
  );
  const reported = async () => {
    await tollgate.flushUsage();
    return [...fake.reported];
  };
  return {
    tollgate,
    async grant(customerId, featureId, grant = {}) {
      let features = fake.grants.get(customerId);
      if (!features) fake.grants.set(customerId, (features = new Map()));
      features.set(featureId, { ...grant });
      await tollgate.forgetCustomer(customerId);
    },
    async revoke(customerId, featureId) {
      fake.grants.get(customerId)?.delete(featureId);
      await tollgate.forgetCustomer(customerId);
    },
    reported,
    async reportedUnits(customerId, featureId) {
      return (await reported())
        .filter((r) => r.customerId === customerId && r.featureId === featureId)
        .reduce((n, r) => (r.updateBehavior === 'SET' ? r.units : n + r.units), 0);
    },
    close: async () => {
      await tollgate.close();
    },
  };
}
