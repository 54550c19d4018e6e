import type { StiggClient } from '../client/stigg-client.js';
import type { Logger } from '../options.js';

const FEATURE = 'feature { refId featureUnits featureUnitsPlural }';
/** Every feature of the catalog reached from a plan or an add-on, with its units. */
const FEATURE_UNITS = `query TollgateFeatureUnits { paywall(input: {includeHiddenPlans: true}) { plans {
  entitlements { ${FEATURE} } inheritedEntitlements { ${FEATURE} } compatibleAddons { entitlements { ${FEATURE} } } } } }`;

type WireFeature = { feature: { refId: string; featureUnits: string | null; featureUnitsPlural: string | null } };
type Answer = {
  paywall: {
    plans: {
      entitlements: WireFeature[] | null;
      inheritedEntitlements: WireFeature[] | null;
      compatibleAddons: { entitlements: WireFeature[] | null }[] | null;
    }[];
  };
};

export type Units = { units: string | null; unitsPlural: string | null };

/** Reloaded at most this often when asked for a feature it does not know (a feature added to the catalog). */
const RETRY_MS = 60_000;
/** Reloaded in the background when older than this (units renamed). */
const MAX_AGE_MS = 10 * 60_000;
/** The longest a read waits for the catalog; after it, the read goes on without units and the load goes on. */
const WAIT_MS = 2_000;

/**
 * The units of features (`seat`/`seats`), which the SDK puts on every entitlement's `feature` and Tollgate's cached
 * entitlements do not carry: read once from Stigg's catalog (one paywall read), then from memory.
 */
export class FeatureUnits {
  private units: Map<string, Units> | null = null;
  private loadedAt = 0;
  private tried = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly client: StiggClient | null,
    private readonly logger: Logger,
  ) {}

  /** Loads the catalog (once at a time); never rejects. */
  load(): Promise<void> {
    if (!this.client) return Promise.resolve();
    this.loading ??= (async () => {
      this.tried = Date.now();
      try {
        const answer = await this.client!.request<Answer>(FEATURE_UNITS, undefined, 'TollgateFeatureUnits', {
          idempotent: true,
          attempts: 1,
        });
        const units = new Map<string, Units>();
        const add = (list: WireFeature[] | null) => {
          for (const { feature } of list ?? [])
            units.set(feature.refId, { units: feature.featureUnits, unitsPlural: feature.featureUnitsPlural });
        };
        for (const plan of answer.paywall.plans) {
          add(plan.entitlements);
          add(plan.inheritedEntitlements);
          for (const addon of plan.compatibleAddons ?? []) add(addon.entitlements);
        }
        this.units = units;
        this.loadedAt = Date.now();
      } catch (err) {
        this.logger.debug?.(`tollgate: feature units could not be read from Stigg: ${(err as Error).message}`);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** The units of these features; undefined for one the catalog does not name (or when it could not be read). */
  async of(featureIds: string[]): Promise<(featureId: string) => Units | undefined> {
    const now = Date.now();
    const missing = this.units === null || featureIds.some((id) => !this.units!.has(id));
    if (this.client && missing && (this.loading || now - this.tried >= RETRY_MS)) await this.bounded(this.load());
    else if (this.client && this.units !== null && now - this.loadedAt >= MAX_AGE_MS) void this.load();
    const units = this.units;
    return (featureId) => units?.get(featureId);
  }

  private async bounded(load: Promise<void>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([load, new Promise<void>((r) => (timer = setTimeout(r, WAIT_MS)))]);
    clearTimeout(timer);
  }
}
