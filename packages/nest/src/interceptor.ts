import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { METERED, type MeteredSpec } from './metadata.js';
import { TOLLGATE_SETTINGS, type TollgateSettings } from './options.js';
import { meteredOf } from './request-state.js';

type NodeResponse = { statusCode: number; once(event: 'finish' | 'close', listener: () => void): unknown };

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
    const reply = context.switchToHttp().getResponse<NodeResponse & { raw?: NodeResponse }>();
    const res = reply.raw ?? reply; // Fastify's reply wraps Node's response; Express' is it
    const settle = (success: boolean) => {
      const units = success && typeof spec.units === 'function' ? spec.units(context) : undefined;
      metered.request.settle({ success, units }).catch((err: unknown) => this.settings.client.events.emit('error', err as never));
    };
    res.once('finish', () => settle(this.settings.success(context, res.statusCode)));
    res.once('close', () => settle(false)); // after 'finish' a no-op; without it, the client went away
    return next.handle();
  }
}
