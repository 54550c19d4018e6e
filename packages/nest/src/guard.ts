import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  admit,
  admitMetered,
  scopedIdempotencyKey,
  settleOnNodeResponse,
  type GuardOutcome,
  type MeteredOutcome,
  type NodeResponseLike,
} from '@tollgate/core';
import { ENTITLED, METERED, SKIP, type EntitledFeature, type MeteredSpec } from './metadata.js';
import { EntitlementDeniedException, ReplayedResponse } from './denial.js';
import { TOLLGATE_SETTINGS, type TollgateSettings } from './options.js';
import { carrierOf, checked, remember, type Carrier } from './request-state.js';

/** What a handler asks for, read from its (and its controller's) metadata. */
interface HandlerSpec {
  features: EntitledFeature[];
  metered: MeteredSpec | undefined;
}

/**
 * Checks `@Entitled` features and reserves `@Metered` units before the handler; throws the denial otherwise.
 * A reservation is settled on the response itself, as it is written: a success (2xx, or the module's `success`)
 * commits the units, anything else releases them (an error response, a thrown handler, a later guard that denies,
 * a client that went away). Attached at controller and handler level alike, it does its work once per request.
 * On a cache hit it answers at once (no promise), as a no-op guard does.
 */
@Injectable()
export class TollgateGuard implements CanActivate {
  /** Each handler's spec, read from its metadata once (decorators do not change it afterwards), by controller. */
  private readonly specs = new WeakMap<object, WeakMap<object, HandlerSpec | null>>();

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TOLLGATE_SETTINGS) private readonly settings: TollgateSettings,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const spec = this.specOf(context);
    if (!spec) return true;
    const carrier = carrierOf(context);
    if (checked(carrier)) return true;
    return this.checkFeatures(context, spec, 0, carrier);
  }

  /** The handler's spec; null when it asks for nothing (or is `@SkipEntitlements`). */
  private specOf(context: ExecutionContext): HandlerSpec | null {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.specs.get(controller);
    if (!byHandler) this.specs.set(controller, (byHandler = new WeakMap()));
    let spec = byHandler.get(handler);
    if (spec === undefined) {
      const targets = [handler, controller];
      const features = this.reflector.getAllAndMerge<EntitledFeature[]>(ENTITLED, targets) ?? [];
      const metered = this.reflector.getAllAndOverride<MeteredSpec | undefined>(METERED, targets);
      spec =
        this.reflector.getAllAndOverride<boolean>(SKIP, targets) || (features.length === 0 && !metered)
          ? null
          : { features, metered };
      byHandler.set(handler, spec);
    }
    return spec;
  }

  /** Checks `spec.features` from index `from` on, then meters: synchronously as long as every answer is at hand. */
  private checkFeatures(
    context: ExecutionContext,
    spec: HandlerSpec,
    from: number,
    carrier: Carrier,
  ): boolean | Promise<boolean> {
    for (let i = from; i < spec.features.length; i++) {
      const feature = spec.features[i]!;
      const featureId = typeof feature === 'string' ? feature : feature.featureId;
      const requested = typeof feature === 'string' ? undefined : feature.requestedValues(context);
      const out = admit(this.settings, context, featureId, requested);
      if (out instanceof Promise)
        return out.then((o) => {
          admitted(carrier, o);
          return this.checkFeatures(context, spec, i + 1, carrier);
        });
      admitted(carrier, out);
    }
    return spec.metered ? this.meter(context, spec.metered, carrier) : true;
  }

  private meter(context: ExecutionContext, metered: MeteredSpec, carrier: Carrier): boolean | Promise<boolean> {
    const units = typeof metered.units === 'number' ? metered.units : 1;
    const key = metered.idempotencyKey ? scopedIdempotencyKey(routeOf(context), metered.idempotencyKey(context)) : null;
    const proceed = (out: MeteredOutcome) => {
      if (out.denial) throw new EntitlementDeniedException(out.denial);
      remember(carrier, out.metered.decision);
      if (out.metered.replay) throw new ReplayedResponse(out.metered.replay);
      const reply = context.getArgByIndex<NodeResponseLike & { raw?: NodeResponseLike }>(1);
      const spec = metered.units;
      settleOnNodeResponse(out.metered, reply.raw ?? reply, {
        success: (status) => this.settings.success(context, status),
        units: typeof spec === 'function' ? () => spec(context) : undefined,
        onError: (err) => this.settings.client.events.emit('error', err),
        record: key !== null && metered.replay !== false,
      });
      return true;
    };
    const out = admitMetered(this.settings, context, metered.featureId, units, key);
    return out instanceof Promise ? out.then(proceed) : proceed(out);
  }
}

/** A feature's outcome: remembered when granted, thrown as the denial otherwise. */
function admitted(carrier: Carrier, out: GuardOutcome): void {
  if (out.denial) throw new EntitlementDeniedException(out.denial);
  remember(carrier, out.decision);
}

/** The HTTP request as the platforms give it: Express' route (with its mount path) or Fastify's route options. */
interface RoutedRequest {
  method?: string;
  baseUrl?: string;
  route?: { path?: string };
  routeOptions?: { url?: string };
}

/**
 * The route an idempotency key is scoped to: `METHOD /route/pattern`, as every Tollgate adapter names it, so a
 * client's retry is one request whichever framework of the fleet answers it (the controller and handler names when
 * the platform does not say).
 */
function routeOf(context: ExecutionContext): string {
  const req = context.getArgByIndex<RoutedRequest>(0);
  const path =
    req.routeOptions?.url ?? (req.route?.path === undefined ? undefined : `${req.baseUrl ?? ''}${req.route.path}`);
  return req.method && path ? `${req.method} ${path}` : `${context.getClass().name}.${context.getHandler().name}`;
}
