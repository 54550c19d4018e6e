/**
 * @tollgate/trpc: Stigg entitlements for tRPC 11 procedures.
 *
 *   const { entitledProcedure, meteredProcedure } = tollgateProcedures(t.procedure, {
 *     client: tollgate,
 *     customerId: (ctx) => ctx.user?.orgId,
 *   });
 *   export const router = t.router({
 *     analytics: entitledProcedure('feature-analytics').query(({ ctx }) => getEntitlement(ctx, 'feature-analytics')),
 *     report: meteredProcedure('feature-api-calls').mutation(() => makeReport()),
 *   });
 *
 * A denial is a `TRPCError` (UNAUTHORIZED, FORBIDDEN, TOO_MANY_REQUESTS for a limit, CONFLICT, SERVICE_UNAVAILABLE)
 * whose `cause` is the Denial (its problem details in `cause.body`). A metered procedure reports its usage only
 * when it succeeded; one that throws releases it.
 */
import { TRPCError } from '@trpc/server';
import { admit, admitMetered, guardSettings, type Decision, type Denial, type GuardSettings } from '@tollgate/core';

type TRPCCode = ConstructorParameters<typeof TRPCError>[0]['code'];

/** The Tollgate client and how to tell who the customer is, from the procedure's context (required). */
export type TollgateTrpcOptions<TContext> = GuardSettings<TContext> & {
  /** The code of a usage-limit denial (402 in HTTP terms). Default `TOO_MANY_REQUESTS`; e.g. `PAYMENT_REQUIRED`. */
  limitCode?: TRPCCode;
};

export interface RequireFeatureOptions<TContext> {
  /** Enum features: the values this call needs. */
  requestedValues?: (ctx: TContext) => string[];
}

export interface MeteredOptions<TContext> {
  /** Units per call: a number (default 1), or computed from the context once the procedure succeeded. */
  usage?: number | ((ctx: TContext) => number);
}

/** A middleware as `procedure.use()` takes it: it calls `next` and returns what `next` resolved with. */
export type TollgateMiddleware<TContext> = <R extends { ok: boolean }>(opts: {
  ctx: TContext;
  next: () => Promise<R>;
}) => Promise<R>;

const decisions = new WeakMap<object, Record<string, Decision>>();

/** The decision a guard made for this call's context (for `featureId`, or the last one). */
export function getEntitlement(ctx: object, featureId?: string): Decision | undefined {
  const all = decisions.get(ctx);
  if (!all) return undefined;
  return featureId ? all[featureId] : Object.values(all).at(-1);
}

function remember(ctx: unknown, featureId: string, decision: Decision): void {
  if (typeof ctx !== 'object' || ctx === null) return;
  const all = decisions.get(ctx) ?? {};
  all[featureId] = decision;
  decisions.set(ctx, all);
}

const CODES: Record<number, TRPCCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** A denial as tRPC's error: its code from the denial's status, the denial itself (problem details) as `cause`. */
export function denialError(denial: Denial, limitCode: TRPCCode = 'TOO_MANY_REQUESTS'): TRPCError {
  const code = denial.status === 402 ? limitCode : (CODES[denial.status] ?? 'FORBIDDEN');
  const detail = (denial.body as { detail?: string; title?: string }).detail ?? denial.body.title;
  return new TRPCError({ code, message: detail, cause: Object.assign(new Error(detail), { denial, ...denial.body }) });
}

/** The middlewares, with the settings bound once: `procedure.use(gate.requireFeature('feature-x'))`. */
export function tollgateTrpc<TContext>(options: TollgateTrpcOptions<TContext>) {
  const settings = guardSettings(options);
  const limitCode = options.limitCode;
  return {
    /** Lets the call through only when the customer is entitled to `featureId`. */
    requireFeature(
      featureId: string,
      { requestedValues }: RequireFeatureOptions<TContext> = {},
    ): TollgateMiddleware<TContext> {
      return async ({ ctx, next }) => {
        const out = await admit(settings, ctx, featureId, requestedValues?.(ctx));
        if (out.denial) throw denialError(out.denial, limitCode);
        remember(ctx, featureId, out.decision);
        return next();
      };
    },
    /** Reserves usage before the procedure; reports it once the procedure succeeded, releases it otherwise. */
    meter(featureId: string, { usage }: MeteredOptions<TContext> = {}): TollgateMiddleware<TContext> {
      return async <R extends { ok: boolean }>({
        ctx,
        next,
      }: {
        ctx: TContext;
        next: () => Promise<R>;
      }): Promise<R> => {
        const out = await admitMetered(settings, ctx, featureId, typeof usage === 'number' ? usage : 1, null);
        if (out.denial) throw denialError(out.denial, limitCode);
        const metered = out.metered;
        remember(ctx, featureId, metered.decision);
        let result: R;
        try {
          result = await next();
        } catch (err) {
          await metered.settle({ success: false });
          throw err;
        }
        let units: number | undefined;
        let success = result.ok;
        if (success && typeof usage === 'function') {
          try {
            units = usage(ctx);
          } catch (err) {
            success = false; // the result stands; its usage cannot be known, so none is reported
            settings.client.events.emit('error', err as never);
          }
        }
        await metered.settle(units === undefined ? { success } : { success, units });
        return result;
      };
    },
  };
}

/**
 * Procedure builders on your base procedure: `entitledProcedure('feature-x')` and
 * `meteredProcedure('feature-api-calls', { usage })`, each `procedure.use(...)` with the guard.
 */
export function tollgateProcedures<TProcedure extends { use(middleware: never): unknown }, TContext>(
  procedure: TProcedure,
  options: TollgateTrpcOptions<TContext>,
) {
  const gate = tollgateTrpc(options);
  const use = (mw: TollgateMiddleware<TContext>) => (procedure.use as (m: unknown) => TProcedure)(mw);
  return {
    gate,
    entitledProcedure: (featureId: string, o?: RequireFeatureOptions<TContext>) =>
      use(gate.requireFeature(featureId, o)),
    meteredProcedure: (featureId: string, o?: MeteredOptions<TContext>) => use(gate.meter(featureId, o)),
  };
}

export type { Decision, Denial } from '@tollgate/core';
