import type { ExecutionContext } from '@nestjs/common';
import type { DenialOptions, GuardSettings, Options, Tollgate } from '@tollgate/core';

/** What `TollgateModule.forRoot` takes. */
export interface TollgateModuleOptions {
  /** A client to use (you close it). Otherwise the module creates one from `tollgate`, readies it and closes it on shutdown. */
  client?: Tollgate;
  /** Options for the client the module creates. */
  tollgate?: Options;
  /** Who the customer is. Required: no default trusts a client header. */
  customerId: (
    context: ExecutionContext,
  ) => string | number | null | undefined | Promise<string | number | null | undefined>;
  /** The resource (several subscriptions per customer), if any. */
  resourceId?: (context: ExecutionContext) => string | null | undefined;
  /** Statuses per denial kind and an upgrade URL. */
  denial?: DenialOptions;
  /** Whether a metered response succeeded (its usage is reported). Default: a 2xx status. */
  success?: (context: ExecutionContext, statusCode: number) => boolean;
}

/** The module's resolved settings: the client it uses and the guard settings built from the options. */
export interface TollgateSettings extends GuardSettings<ExecutionContext> {
  /** Whether the module created the client (and so closes it on shutdown). */
  owned: boolean;
  success: (context: ExecutionContext, statusCode: number) => boolean;
}

export const TOLLGATE_OPTIONS = Symbol('TOLLGATE_OPTIONS');
export const TOLLGATE_SETTINGS = Symbol('TOLLGATE_SETTINGS');
