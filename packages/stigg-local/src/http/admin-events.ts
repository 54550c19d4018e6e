import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminChange, AdminChanges } from '../control/admin-changes.js';
import { sendJson } from './io.js';

/** Event streams open at once (dashboard tabs); more are refused with 503. */
const MAX_CLIENTS = 32;
/** A client this far behind (bytes written but not yet taken by its connection) is disconnected. */
export const MAX_BACKLOG_BYTES = 2 * 1024 * 1024;
/** A comment line this often, so that a dead connection is noticed and idle proxies keep it open. */
const HEARTBEAT_MS = 15_000;

/**
 * `GET /_admin/events`: server-sent events for the dashboard. The first event, `snapshot`, holds everything it
 * shows; then one event per `AdminChange` (`customers`, `catalog`, `activity`, `controls`, `streams`), and a new
 * `snapshot` in place of `resync`. A client still holding more than 2 MB of earlier events when a new one comes
 * is disconnected (the dashboard reconnects and starts again from a snapshot), so a slow reader cannot grow the
 * server's memory without bound.
 */
interface EventClient {
  res: ServerResponse;
  /** Bytes still unsent from earlier turns of the event loop, when something was first written in this one. */
  backlog: number | null;
}

export class AdminEventStreams {
  private readonly clients = new Set<EventClient>();
  private heartbeat: NodeJS.Timeout | null = null;
  private lastChange: { change: AdminChange; text: string } | null = null;

  constructor(private readonly changes: AdminChanges) {}

  get size(): number {
    return this.clients.size;
  }

  open(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: 'GET /_admin/events only' } });
      return;
    }
    if (this.clients.size >= MAX_CLIENTS) {
      sendJson(res, 503, {
        error: { code: 'TooManyStreams', message: `At most ${MAX_CLIENTS} event streams are served at once` },
      });
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const client: EventClient = { res, backlog: null };
    this.clients.add(client);
    const unwatch = this.changes.watch((change) => {
      if (change.type === 'resync') this.write(client, 'snapshot', JSON.stringify(this.changes.snapshot()));
      else this.write(client, change.type, this.serialized(change));
    });
    res.once('close', () => {
      unwatch();
      this.clients.delete(client);
      if (this.clients.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
    });
    this.heartbeat ??= setInterval(() => {
      for (const client of this.clients) this.write(client, null, '');
    }, HEARTBEAT_MS).unref();
    this.write(client, 'snapshot', JSON.stringify(this.changes.snapshot()));
  }

  /** Ends every stream (at server close, so that it does not wait for them). */
  closeAll(): void {
    for (const { res } of this.clients) res.end();
  }

  /** One change is sent to every client: serialize it once. */
  private serialized(change: AdminChange): string {
    if (this.lastChange?.change !== change) this.lastChange = { change, text: JSON.stringify(change) };
    return this.lastChange.text;
  }

  private write(client: EventClient, event: string | null, data: string): void {
    const { res } = client;
    if (res.destroyed || res.writableEnded) return;
    // The events of one report are written in one turn; what matters is what earlier reports left unsent.
    if (client.backlog === null) {
      client.backlog = res.writableLength;
      queueMicrotask(() => (client.backlog = null));
    }
    // Still holding this much of earlier events: the client does not keep up. What is held for one client is thus
    // at most this bound and one report.
    if (client.backlog > MAX_BACKLOG_BYTES) {
      res.destroy();
      return;
    }
    // JSON has no raw line breaks, so one `data:` line carries it.
    res.write(event === null ? ': keep-alive\n\n' : `event: ${event}\ndata: ${data}\n\n`);
  }
}
