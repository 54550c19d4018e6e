import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ON_ENTITLEMENTS_UPDATED, ON_PACKAGE_PUBLISHED, ON_USAGE_UPDATED } from '../client/documents.js';
import { backoff } from '../client/stigg-client.js';
import type { UsageUpdatedEvent, WireEntitlement } from '../client/wire-types.js';
import type { StreamState } from '../events.js';
import type { Config } from '../options.js';

export interface StreamHandlers {
  entitlements(customerId: string, resourceId: string | null, entitlements: WireEntitlement[]): void;
  usage(event: UsageUpdatedEvent): void;
  packagePublished(): void;
  /** Connected again after a drop: events may have been missed. */
  reconnected(): void;
  state(state: StreamState, detail: { reconnects: number; reason?: string }): void;
}

/**
 * Stigg's realtime stream over graphql-ws: one socket, three subscriptions, keepalive pings with a pong
 * deadline (a silent connection is closed and replaced), reconnect forever with capped jittered backoff and
 * resubscription. A rejected key (close 4401) stops it for good.
 */
export class StiggStream {
  private client: Client | null = null;
  private unsubscribes: (() => void)[] = [];
  private connects = 0;
  private pongTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private firstConnection: Promise<void>;
  private resolveFirst!: () => void;

  constructor(
    private readonly config: Config,
    private readonly handlers: StreamHandlers,
  ) {
    this.firstConnection = new Promise((resolve) => (this.resolveFirst = resolve));
  }

  start(): void {
    const s = this.config.stream!;
    const logger = this.config.logger;
    this.handlers.state('connecting', { reconnects: 0 });
    this.client = createClient({
      url: this.config.streamUrl,
      webSocketImpl: WebSocket,
      connectionParams: { headers: { 'X-API-KEY': this.config.apiKey } },
      lazy: false,
      keepAlive: s.keepAliveMs,
      retryAttempts: Infinity,
      // Everything is retried (refused connections too) except a rejected key.
      shouldRetry: (event) => !this.stopped && (event as { code?: number })?.code !== 4401,
      // graphql-ws would print the fatal close event to the console; the `closed` handler reports it instead.
      onNonLazyError: () => {},
      retryWait: (retries) => new Promise((r) => setTimeout(r, backoff(retries, s.reconnectBaseMs, s.reconnectMaxMs)).unref()),
      on: {
        connected: (socket) => {
          this.connects += 1;
          this.handlers.state('connected', { reconnects: this.connects - 1 });
          if (this.connects > 1) this.handlers.reconnected();
          this.resolveFirst();
          logger.debug?.(`tollgate: stream connected (${this.connects - 1} reconnects)`);
          void socket;
        },
        ping: (received) => {
          if (received) return;
          // Our ping is out: if no pong comes back in time, the connection is dead; close it to reconnect.
          this.pongTimer = setTimeout(() => {
            logger.warn(`tollgate: stream did not answer a ping within ${s.pongTimeoutMs} ms; reconnecting`);
            this.client?.terminate();
          }, s.pongTimeoutMs);
          this.pongTimer.unref();
        },
        pong: (received) => {
          if (received && this.pongTimer) clearTimeout(this.pongTimer);
        },
        closed: (event) => {
          if (this.pongTimer) clearTimeout(this.pongTimer);
          const code = (event as { code?: number })?.code;
          const reason = (event as { reason?: string })?.reason;
          if (code === 4401) {
            logger.error('tollgate: Stigg rejected the API key on the stream; realtime updates are off');
            this.handlers.state('unauthenticated', { reconnects: Math.max(0, this.connects - 1), reason });
            this.resolveFirst();
            return;
          }
          if (!this.stopped) this.handlers.state('disconnected', { reconnects: Math.max(0, this.connects - 1), reason: reason || `code ${code ?? 'none'}` });
        },
        error: (err) => logger.debug?.(`tollgate: stream error: ${(err as Error)?.message ?? 'connection failed'}`),
      },
    });
    const sub = <T>(query: string, next: (data: T) => void) => {
      this.unsubscribes.push(
        this.client!.subscribe<T>(
          { query },
          {
            next: (result) => {
              if (result.errors?.length) logger.warn(`tollgate: stream event with errors ignored: ${result.errors[0]?.message}`);
              else if (result.data) next(result.data as T);
            },
            error: (err) => logger.debug?.(`tollgate: subscription ended: ${(err as Error)?.message ?? String(err)}`),
            complete: () => {},
          },
        ),
      );
    };
    sub<{ entitlementsUpdated: { customerId: string; resourceId: string | null; entitlements: WireEntitlement[] } }>(ON_ENTITLEMENTS_UPDATED, (d) =>
      this.handlers.entitlements(d.entitlementsUpdated.customerId, d.entitlementsUpdated.resourceId ?? null, d.entitlementsUpdated.entitlements),
    );
    sub<{ usageUpdated: { usage: UsageUpdatedEvent } }>(ON_USAGE_UPDATED, (d) => this.handlers.usage(d.usageUpdated.usage));
    sub<{ packagePublished: unknown }>(ON_PACKAGE_PUBLISHED, () => this.handlers.packagePublished());
  }

  /** Resolves when the first connection is up (or refused for good), or after `timeoutMs`. */
  async waitForConnection(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const connected = await Promise.race([
      this.firstConnection.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    return connected;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pongTimer) clearTimeout(this.pongTimer);
    for (const u of this.unsubscribes.splice(0)) u();
    await this.client?.dispose();
    this.client = null;
    this.handlers.state('closed', { reconnects: Math.max(0, this.connects - 1) });
  }
}
