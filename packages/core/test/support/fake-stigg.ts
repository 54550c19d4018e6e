/** A Stigg client for unit tests: one customer's metered feature, reads and usage reports counted, failures on demand. */
import type { StiggClient } from '../../src/client/stigg-client.js';
import type { UsageAck, WireEntitlement } from '../../src/client/wire-types.js';
import { TollgateError } from '../../src/errors.js';
import { Tollgate } from '../../src/tollgate.js';
import type { Options } from '../../src/options.js';

export class FakeStigg {
  usage = 0;
  limit = 100;
  reads = 0;
  /** Every usage report, with when it arrived. */
  readonly reports: { units: number; at: number }[] = [];
  /** While set, every call fails as Stigg out of reach. */
  down = false;

  private unreachable(): TollgateError {
    return new TollgateError('UNAVAILABLE', 'Stigg is down (test)', { retryable: true });
  }

  async getEntitlements(customerId: string): Promise<WireEntitlement[]> {
    this.reads += 1;
    if (this.down) throw this.unreachable();
    const now = new Date().toISOString();
    return [
      {
        isGranted: true,
        accessDeniedReason: null,
        customerId,
        resourceId: null,
        usageLimit: this.limit,
        hasUnlimitedUsage: false,
        hasSoftLimit: false,
        currentUsage: this.usage,
        enumValues: null,
        entitlementUpdatedAt: now,
        usageUpdatedAt: now,
        usagePeriodAnchor: null,
        usagePeriodStart: null,
        usagePeriodEnd: null,
        resetPeriod: null,
        validUntil: null,
        feature: { featureType: 'NUMBER', meterType: 'Incremental', refId: 'feature-api-calls' },
      },
    ];
  }

  async checkKey(): Promise<void> {}

  async reportUsageBulk(usages: { customerId: string; featureId: string; value: number }[]): Promise<UsageAck[]> {
    if (this.down) throw this.unreachable();
    return usages.map((u) => {
      this.usage += u.value;
      this.reports.push({ units: u.value, at: Date.now() });
      return {
        id: crypto.randomUUID(),
        customerId: u.customerId,
        resourceId: null,
        featureId: u.featureId,
        currentUsage: this.usage,
        usagePeriodStart: null,
        usagePeriodEnd: null,
        timestamp: new Date().toISOString(),
      };
    });
  }

  get reportedUnits(): number {
    return this.reports.reduce((n, r) => n + r.units, 0);
  }
}

/** A Tollgate over `fake`, quiet unless `logger` is given; `closeAll` closes every one made. */
export function tollgateOver(fake: FakeStigg, options: Partial<Options> = {}, made: Tollgate[] = []): Tollgate {
  const tollgate = new Tollgate(
    { apiKey: 'unit-test', stream: false, logger: { warn: () => {}, error: () => {} }, ...options },
    fake as unknown as StiggClient,
  );
  made.push(tollgate);
  return tollgate;
}

/** Commits `units` of the fake's metered feature for customer `c`, as a guard does after a successful handler. */
export async function commit(tollgate: Tollgate, units = 1): Promise<void> {
  const metered = await tollgate.enter({ customerId: 'c', featureId: 'feature-api-calls', units });
  if (!metered.allowed) throw new Error(`not allowed: ${metered.decision.reason}`);
  await metered.settle({ success: true });
}
