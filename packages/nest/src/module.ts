import {
  Inject,
  Module,
  Optional,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import { createTollgate, guardSettings, isSuccessStatus, Tollgate } from '@tollgate/core';
import { EntitlementDeniedFilter } from './denial.js';
import { TOLLGATE_OPTIONS, TOLLGATE_SETTINGS, type TollgateModuleOptions, type TollgateSettings } from './options.js';
import { REQUEST_STATE } from './request-state.js';

export interface TollgateModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: InjectionToken[];
  // biome-ignore lint/suspicious/noExplicitAny: Nest injects the providers named in `inject`, of any type
  useFactory: (...args: any[]) => TollgateModuleOptions | Promise<TollgateModuleOptions>;
}

async function settingsFrom(options: TollgateModuleOptions): Promise<TollgateSettings> {
  const owned = !options.client;
  if (!options.client && !options.tollgate)
    throw new TypeError('TollgateModule: give `client` (a Tollgate) or `tollgate` (its options)');
  const client = options.client ?? createTollgate(options.tollgate!);
  if (owned) await client.ready();
  const settings = guardSettings({
    client,
    customerId: options.customerId,
    resourceId: options.resourceId,
    denial: options.denial,
  });
  return { ...settings, owned, success: options.success ?? ((_context, status) => isSuccessStatus(status)) };
}

/** The part of a Fastify instance the module uses (Fastify is not a dependency of this package). */
interface FastifyRequestDecorating {
  hasRequestDecorator(name: string | symbol): boolean;
  decorateRequest(name: string | symbol, value: null): unknown;
}

const providers: Provider[] = [
  { provide: TOLLGATE_SETTINGS, useFactory: settingsFrom, inject: [TOLLGATE_OPTIONS] },
  { provide: Tollgate, useFactory: (s: TollgateSettings) => s.client, inject: [TOLLGATE_SETTINGS] },
  { provide: APP_FILTER, useClass: EntitlementDeniedFilter },
];

/**
 * Entitlements for a Nest app: the settings the decorators' guard uses (it checks, reserves, and settles on the
 * response), the denial filter, and the `Tollgate` client injectable for management calls. Usage is drained on
 * shutdown.
 */
@Module({})
export class TollgateModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(TOLLGATE_SETTINGS) private readonly settings: TollgateSettings,
    @Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /**
   * On Fastify, declares the guard's per-request property on Fastify's requests (`decorateRequest`), so that
   * setting it does not reshape each request. Left undeclared where Fastify has started already (or declared it).
   */
  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyRequestDecorating>();
    try {
      if (!fastify.hasRequestDecorator(REQUEST_STATE)) fastify.decorateRequest(REQUEST_STATE, null);
    } catch {
      // Fastify refuses decorators once started: the property is then added per request, as it works anyway.
    }
  }

  static forRoot(options: TollgateModuleOptions): DynamicModule {
    return {
      global: true,
      module: TollgateModule,
      providers: [{ provide: TOLLGATE_OPTIONS, useValue: options }, ...providers],
      exports: [Tollgate, TOLLGATE_SETTINGS],
    };
  }

  /** Options from other providers, e.g. `{ imports: [ConfigModule], inject: [ConfigService], useFactory: (config) => ({...}) }`. */
  static forRootAsync(options: TollgateModuleAsyncOptions): DynamicModule {
    return {
      global: true,
      module: TollgateModule,
      imports: options.imports ?? [],
      providers: [
        { provide: TOLLGATE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        ...providers,
      ],
      exports: [Tollgate, TOLLGATE_SETTINGS],
    };
  }

  /** Delivers pending usage (and closes the client when the module created it). Needs `app.enableShutdownHooks()` for signals. */
  async onApplicationShutdown(): Promise<void> {
    if (this.settings.owned) await this.settings.client.close();
    else await this.settings.client.flushUsage();
  }
}
