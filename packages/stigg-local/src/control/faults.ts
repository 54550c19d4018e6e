/**
 * Faults a test injects into the Stigg surface. Each matches operations by GraphQL root field name (Edge reads
 * match the field they mirror) and lasts for a number of matching calls, a time, or until cleared.
 */
export interface FaultSpec {
  /** Root fields this fault applies to, e.g. `["reportUsageBulk"]`. Omitted: every operation. */
  operations?: string[];
  /** Answer this much later (before executing). */
  latencyMs?: number;
  /** Answer with this HTTP status and a GraphQL error body, without executing. */
  status?: number;
  /** Answer HTTP 200 with a GraphQL error of this Stigg `ErrorCode` (e.g. `RateLimitExceeded`), without executing. */
  errorCode?: string;
  /** Message of the `status` / `errorCode` error. */
  message?: string;
  /** Execute the operation, then drop the connection before answering (the client cannot know it was applied). */
  dropAfterApply?: boolean;
  /**
   * Read the call and never answer it (nothing is executed; takes precedence over the other effects). When the
   * fault ends (`durationMs` passes, or it is cleared) the stalled calls' connections are destroyed, unanswered;
   * a fault with only a `count` stalls that many calls until the client gives up or the fault is cleared.
   */
  stall?: boolean;
  /** The fault ends after this many matching calls. */
  count?: number;
  /** The fault ends this long after it was added. */
  durationMs?: number;
}

interface ActiveFault extends FaultSpec {
  id: number;
  expiresAt: number;
  remaining: number;
}

export interface FaultEffect {
  latencyMs: number;
  status?: number;
  errorCode?: string;
  message?: string;
  dropAfterApply: boolean;
  /** Set by a `stall` fault (the first matching one): which fault holds the call, and until when (epoch ms). */
  stall?: { faultId: number; until: number };
}

export class Faults {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): number {
    const id = this.nextId++;
    this.faults.push({
      ...spec,
      id,
      expiresAt: spec.durationMs !== undefined ? Date.now() + spec.durationMs : Infinity,
      remaining: spec.count ?? Infinity,
    });
    return id;
  }

  clear(id?: number): void {
    this.faults = id === undefined ? [] : this.faults.filter((f) => f.id !== id);
  }

  /** Active faults with their ids; `count` is what is left of it. */
  list(): (FaultSpec & { id: number })[] {
    const now = Date.now();
    return this.faults
      .filter((f) => f.expiresAt > now && f.remaining > 0)
      .map(({ expiresAt: _expires, remaining, ...spec }) =>
        remaining === Infinity ? spec : { ...spec, count: remaining },
      );
  }

  /** The combined effect on a call touching these root fields; consumes one use of each matching fault. */
  take(fields: readonly string[]): FaultEffect | null {
    if (this.faults.length === 0) return null;
    const now = Date.now();
    this.faults = this.faults.filter((f) => f.expiresAt > now && f.remaining > 0);
    let effect: FaultEffect | null = null;
    for (const f of this.faults) {
      if (f.operations && !fields.some((name) => f.operations!.includes(name))) continue;
      f.remaining -= 1;
      effect ??= { latencyMs: 0, dropAfterApply: false };
      effect.latencyMs += f.latencyMs ?? 0;
      effect.status ??= f.status;
      effect.errorCode ??= f.errorCode;
      effect.message ??= f.message;
      effect.dropAfterApply ||= f.dropAfterApply ?? false;
      if (f.stall) effect.stall ??= { faultId: f.id, until: f.expiresAt };
    }
    return effect;
  }
}
