import { runtime } from '#runtime';
import { createClient, type Client } from 'graphql-ws';
import { ON_ENTITLEMENTS_UPDATED, ON_PACKAGE_PUBLISHED, ON_USAGE_UPDATED } from '../client/documents.js';
import { backoff } from '../client/stigg-client.js';
import type { UsageUpdatedEvent, WireEntitlement } from '../client/wire-types.js';
import type { StreamState } from '../events.js';
import type { Config } from '../options.js';
import type { StreamSocket, StreamSocketClass } from '../runtime/types.js';
import { unrefTimer } from '../util/timers.js';

export interface StreamHandlers {
  entitlements(customerId: string, resourceId: string | null, entitlements: WireEntitlement[]): void;
  usage(event: UsageUpdatedEvent): void;
  packagePublished(): void;
  /** Connected again after a drop: events may have been missed. */
  reconnected(): void;
  state(state: StreamState, detail: { reconnects: number; reason?: string }): void;
}

/** Longest `stop()` lets a connected socket's close handshake take before it is terminated. */
const CLOSE_GRACE_MS = 500;

/**
 * Stigg's realtime stream over graphql-ws: one socket, three subscriptions, keepalive pings with a pong
 * deadline (a silent connection is closed and replaced), reconnect forever with capped jittered backoff and
 * resubscription. A rejected key (close 4401) stops it for good.
 *
 * The socket is the runtime's (`#runtime`: ws on Node, the web-standard WebSocket elsewhere), used through the
 * web-standard API, plus ws's `terminate()` where it exists. Runtimes that cannot hold a connection between requests
 * (Cloudflare Workers) have no stream: `resolveConfig` turns it off there.
 *
 * Timers are unref'd (the stream never keeps a process alive by itself) except the one a `ready()` caller awaits.
 * `stop()` is bounded whatever the socket is doing: it never waits on a connection attempt or a retry wait, and a
 * socket that is not closed within a short grace is terminated. graphql-ws rejects internal promises when
 * disposed mid-connect; every one of them is handled here.
 */
export class StiggStream {
  private client: Client | null = null;
  private unsubscribes: (() => void)[] = [];
  private connects = 0;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private firstConnection: Promise<void>;
  private resolveFirst!: () => void;
  /** Every socket graphql-ws opened that has not closed yet (normally one). */
  private readonly sockets = new Set<StreamSocket>();
  /** The socket that completed the handshake last. */
  private current: StreamSocket | null = null;
  /** The pending reconnect wait, so that `stop()` can end it. */
  private retry: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | null = null;

  constructor(
    private readonly config: Config,
    private readonly handlers: StreamHandlers,
  ) {
    this.firstConnection = new Promise((resolve) => (this.resolveFirst = resolve));
  }

  /**
   * The runtime's WebSocket, tracked, with an error listener of its own (graphql-ws removes its own when it gives a
   * socket up, and ws throws an error nobody listens to).
   */
  private socketClass(base: StreamSocketClass): unknown {
    const stream = this;
    return class TrackedWebSocket extends base {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        this.addEventListener('error', () => {});
        stream.sockets.add(this);
        this.addEventListener(
          'close',
          () => {
            stream.sockets.delete(this);
            if (stream.current === this) stream.current = null;
          },
          { once: true },
        );
        // A reconnect that graphql-ws starts after `stop()` ends before it begins.
        if (stream.stopped) drop(this);
      }
    };
  }

  /** Reconnect backoff: an unref'd timer (the stream does not hold the process open), ended early by `stop()`. */
  private retryWait(retries: number): Promise<void> {
    const s = this.config.stream!;
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          this.retry = null;
          resolve();
        },
        backoff(retries, s.reconnectBaseMs, s.reconnectMaxMs),
      );
      unrefTimer(timer);
      this.retry = { timer, resolve };
    });
  }

  start(): void {
    const s = this.config.stream!;
    const logger = this.config.logger;
    const { socketClass } = runtime;
    if (!socketClass) {
      // resolveConfig turns the stream off where there is no socket for it: this is a guard.
      this.handlers.state('closed', { reconnects: 0, reason: runtime.noStream ?? 'no WebSocket' });
      this.resolveFirst();
      return;
    }
    this.handlers.state('connecting', { reconnects: 0 });
    this.client = createClient({
      url: this.config.streamUrl,
      webSocketImpl: this.socketClass(socketClass),
      connectionParams: { headers: { 'X-API-KEY': this.config.apiKey } },
      lazy: false,
      keepAlive: s.keepAliveMs,
      retryAttempts: Infinity,
      // Everything is retried (refused connections too) except a rejected key.
      shouldRetry: (event) => !this.stopped && (event as { code?: number })?.code !== 4401,
      // graphql-ws would print the fatal close event to the console; the `closed` handler reports it instead.
      onNonLazyError: () => {},
      retryWait: (retries) => this.retryWait(retries),
      on: {
        connected: (socket) => {
          this.connects += 1;
          this.handlers.state('connected', { reconnects: this.connects - 1 });
          if (this.connects > 1) this.handlers.reconnected();
          this.resolveFirst();
          logger.debug?.(`tollgate: stream connected (${this.connects - 1} reconnects)`);
          this.current = socket as StreamSocket;
        },
        ping: (received) => {
          if (received) return;
          // Our ping is out: if no pong comes back in time, the connection is dead; drop it (no close handshake
          // with a peer that does not answer) and graphql-ws reconnects.
          if (this.pongTimer) clearTimeout(this.pongTimer);
          this.pongTimer = setTimeout(() => {
            logger.warn(`tollgate: stream did not answer a ping within ${s.pongTimeoutMs} ms; reconnecting`);
            // ws drops the socket at once; a web socket cannot be dropped, graphql-ws gives it up and reconnects.
            if (this.current?.terminate) this.current.terminate();
            else this.client?.terminate();
          }, s.pongTimeoutMs);
          unrefTimer(this.pongTimer);
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
          if (!this.stopped)
            this.handlers.state('disconnected', {
              reconnects: Math.max(0, this.connects - 1),
              reason: reason || `code ${code ?? 'none'}`,
            });
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
              if (result.errors?.length)
                logger.warn(`tollgate: stream event with errors ignored: ${result.errors[0]?.message}`);
              else if (result.data) next(result.data as T);
            },
            error: (err) => logger.debug?.(`tollgate: subscription ended: ${(err as Error)?.message ?? String(err)}`),
            complete: () => {},
          },
        ),
      );
    };
    sub<{ entitlementsUpdated: { customerId: string; resourceId: string | null; entitlements: WireEntitlement[] } }>(
      ON_ENTITLEMENTS_UPDATED,
      (d) =>
        this.handlers.entitlements(
          d.entitlementsUpdated.customerId,
          d.entitlementsUpdated.resourceId ?? null,
          d.entitlementsUpdated.entitlements,
        ),
    );
    sub<{ usageUpdated: { usage: UsageUpdatedEvent } }>(ON_USAGE_UPDATED, (d) =>
      this.handlers.usage(d.usageUpdated.usage),
    );
    sub<{ packagePublished: unknown }>(ON_PACKAGE_PUBLISHED, () => this.handlers.packagePublished());
  }

  /**
   * Resolves when the first connection is up (or refused for good, or the stream stopped), or after `timeoutMs`.
   * Its timer is ref'd: a caller is waiting on it, so Node must not exit under it while the stream is between
   * attempts (its own timers are unref'd).
   */
  async waitForConnection(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connected = await Promise.race([
      this.firstConnection.then(() => this.connects > 0),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, timeoutMs)))),
    ]);
    clearTimeout(timer);
    return connected;
  }

  /**
   * Stops for good, promptly in every state: a pending retry wait ends (and the attempt graphql-ws then starts is
   * terminated as it is created), a connection attempt is terminated, an open socket gets a normal close and is
   * terminated if its peer has not completed the close within a short grace (a half-open connection never
   * answers). Never rejects.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.resolveFirst();
    for (const u of this.unsubscribes.splice(0)) {
      try {
        u();
      } catch {
        // a socket closing under us: nothing to complete
      }
    }
    // dispose() waits for a pending connection and rejects with its failure (an ErrorEvent, a close event):
    // it is only called for its `disposed` flag, which stops graphql-ws's retry loops.
    try {
      Promise.resolve(this.client?.dispose()).catch(() => {});
    } catch {
      // nothing to dispose of
    }
    this.client = null;
    if (this.retry) {
      clearTimeout(this.retry.timer);
      this.retry.resolve();
      this.retry = null;
    }
    const grace = Math.min(CLOSE_GRACE_MS, this.config.stream!.pongTimeoutMs);
    await Promise.all([...this.sockets].map((socket) => closeSocket(socket, grace)));
    this.current = null;
    this.handlers.state('closed', { reconnects: Math.max(0, this.connects - 1) });
  }
}

/** WebSocket's readyState values (the same in ws and the web-standard API). */
const OPEN = 1;
const CLOSED = 3;

/** Ends a connection without the close handshake where the socket can (ws), or starts a normal close. */
function drop(socket: StreamSocket): void {
  try {
    if (socket.terminate) socket.terminate();
    else socket.close();
  } catch {
    // closing already
  }
}

/** Closes a socket within `graceMs`: dropped unless it is open, then dropped if the close handshake lags. */
function closeSocket(socket: StreamSocket, graceMs: number): Promise<void> {
  if (socket.readyState === CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    socket.addEventListener(
      'close',
      () => {
        clearTimeout(timer);
        clearTimeout(backstop);
        resolve();
      },
      { once: true },
    );
    // Whatever the socket does, stop() is done after this (a destroyed TCP socket closes at once; this is a guard).
    const backstop = unrefTimer(setTimeout(resolve, graceMs + 250));
    try {
      if (socket.readyState === OPEN) {
        socket.close(1000, 'Normal Closure');
        timer = unrefTimer(setTimeout(() => drop(socket), graceMs));
      } else {
        drop(socket);
      }
    } catch {
      drop(socket);
    }
  });
}
