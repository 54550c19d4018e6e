import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { admit, admitMetered, scopedIdempotencyKey, settleOnNodeResponse, type NodeResponseLike } from '@tollgate/core';
import { ENTITLED, METERED, SKIP, type EntitledFeature, type MeteredSpec } from './metadata.js';
import { EntitlementDeniedException, ReplayedResponse } from './denial.js';
import { TOLLGATE_SETTINGS, type TollgateSettings } from './options.js';
import { stateOf } from './request-state.js';

/**
 * Checks `@Entitled` features and reserves `@Metered` units before the handler; throws the denial otherwise.
 * A reservation is settled on the response itself, as it is written: a success (2xx, or the module's `success`)
 * commits the units, anything else releases them (an error response, a thrown handler, a later guard that denies,
 * a client that went away). Attached at controller and handler level alike, it does its work once per request.
 */
@Injectable()
export class TollgateGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TOLLGATE_SETTINGS) private readonly settings: TollgateSettings,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(SKIP, targets)) return true;
    const features = this.reflector.getAllAndMerge<EntitledFeature[]>(ENTITLED, targets) ?? [];
    const metered = this.reflector.getAllAndOverride<MeteredSpec | undefined>(METERED, targets);
    if (features.length === 0 && !metered) return true;
    const state = stateOf(context.switchToHttp().getRequest());
    if (state.guarded) return true;
    state.guarded = true;
    for (const feature of features) {
      const featureId = typeof feature === 'string' ? feature : feature.featureId;
      const out = await admit(
        this.settings,
        context,
        featureId,
        typeof feature === 'string' ? undefined : feature.requestedValues(context),
      );
      if (out.denial) throw new EntitlementDeniedException(out.denial);
      state.decisions.set(featureId, out.decision);
    }
    if (metered) {
      const units = typeof metered.units === 'number' ? metered.units : 1;
      const key = metered.idempotencyKey
        ? scopedIdempotencyKey(routeOf(context), metered.idempotencyKey(context))
        : null;
      const out = await admitMetered(this.settings, context, metered.featureId, units, key);
      if (out.denial) throw new EntitlementDeniedException(out.denial);
      state.decisions.set(metered.featureId, out.metered.decision);
      if (out.metered.replay) throw new ReplayedResponse(out.metered.replay);
      const reply = context.switchToHttp().getResponse<NodeResponseLike & { raw?: NodeResponseLike }>();
      const spec = metered.units;
      settleOnNodeResponse(out.metered, reply.raw ?? reply, {
        success: (status) => this.settings.success(context, status),
        units: typeof spec === 'function' ? () => spec(context) : undefined,
        onError: (err) => this.settings.client.events.emit('error', err),
        record: key !== null && metered.replay !== false,
      });
    }
    return true;
  }
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
  const req = context.switchToHttp().getRequest<RoutedRequest>();
  const path =
    req.routeOptions?.url ?? (req.route?.path === undefined ? undefined : `${req.baseUrl ?? ''}${req.route.path}`);
  return req.method && path ? `${req.method} ${path}` : `${context.getClass().name}.${context.getHandler().name}`;
}
