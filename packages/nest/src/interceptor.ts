import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { settleOnResponse, type NodeResponseLike } from '@tollgate/core';
import { METERED, type MeteredSpec } from './metadata.js';
import { TOLLGATE_SETTINGS, type TollgateSettings } from './options.js';
import { meteredOf } from './request-state.js';

/**
 * Settles `@Metered` requests once the response is done: a success (2xx, or the module's `success`) commits the
 * units for reporting; an error response, a thrown handler or a client that went away releases them.
 */
@Injectable()
export class TollgateInterceptor implements NestInterceptor {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TOLLGATE_SETTINGS) private readonly settings: TollgateSettings,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const metered = meteredOf(context.switchToHttp().getRequest());
    if (!metered || metered.intercepted) return next.handle();
    metered.intercepted = true;
    const spec = this.reflector.getAllAndOverride<MeteredSpec>(METERED, [context.getHandler(), context.getClass()]);
    const reply = context.switchToHttp().getResponse<NodeResponseLike & { raw?: NodeResponseLike }>();
    const res = reply.raw ?? reply; // Fastify's reply wraps Node's response; Express' is it
    settleOnResponse(
      metered.request,
      res,
      () => {
        const success = this.settings.success(context, res.statusCode);
        return { success, units: success && typeof spec.units === 'function' ? spec.units(context) : undefined };
      },
      (err) => this.settings.client.events.emit('error', err as never),
    );
    return next.handle();
  }
}
