import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { execute, subscribe } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { loadCatalogFile, loadDemoCatalog } from './catalog/load.js';
import type { Catalog } from './catalog/types.js';
import { validateCatalog } from './catalog/validate.js';
import { createAdmin, type StiggLocalAdmin } from './control/admin.js';
import { AdminChanges } from './control/admin-changes.js';
import { Faults } from './control/faults.js';
import { RateLimiter } from './control/rate-limits.js';
import { Stats } from './control/stats.js';
import { Executor, wireError } from './graphql/executor.js';
import { createStiggSchema, type ExecutionContext } from './graphql/schema.js';
import { AdminEventStreams } from './http/admin-events.js';
import { handleAdmin } from './http/admin-routes.js';
import { handleDashboard } from './http/dashboard-route.js';
import { handleEdge } from './http/edge-routes.js';
import { handleGraphql } from './http/graphql-route.js';
import { BodyError, sendJson } from './http/io.js';
import { adminProblem, hostProblem, type RequestPolicy } from './http/request-guard.js';
import type { Runtime } from './http/runtime.js';
import { StalledRequests } from './http/stalled-requests.js';
import { seedCustomers } from './model/catalog-changes.js';
import { CHECKOUT_PATH } from './model/checkout.js';
import { settleSchedules } from './model/schedules.js';
import { handleCheckout } from './http/checkout-route.js';
import { Store } from './model/store.js';
import { persistTo, readDataFile } from './persistence.js';
import { StreamConnections, rootFields } from './stream/connections.js';
import { StreamTopics } from './stream/topics.js';

/** The API key stigg-local accepts when none are configured. */
export const DEFAULT_API_KEY = 'server-tollgate-local';

export interface StiggLocalOptions {
  /** TCP port; default 0 (any free port; read it from `url`). The CLI defaults to 4100. */
  port?: number;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Accepted `X-API-KEY` values; default `['server-tollgate-local']`. */
  apiKeys?: string[];
  /** A catalog object or the path of a catalog file (JSON or YAML); default the demo catalog. */
  catalog?: Catalog | string;
  /** Keep state in this file (written atomically after changes, read at start); default in memory only. */
  dataFile?: string;
  /** Where unexpected errors are reported; default `console.error`. Never given the API key. */
  log?: (message: string) => void;
  /** The clock; tests move it to cross usage periods. Default `Date.now`. */
  now?: () => number;
  /**
   * Host names answered besides loopback ones (`localhost`, `*.localhost`, 127.x, ::1); others get 421, so a web
   * page cannot reach stigg-local through DNS rebinding. Add the names it is reached by when it listens beyond
   * loopback (a container name, a LAN host).
   */
  allowedHosts?: string[];
  /** When set, admin calls (`/_admin/*`) need `Authorization: Bearer <adminToken>`. */
  adminToken?: string;
}

export interface StiggLocal {
  /** Base URL, e.g. `http://127.0.0.1:4100`: the SDK's `baseUri` and `baseEdgeUri`. */
  url: string;
  /** `${url}/graphql` */
  graphqlUrl: string;
  /** `${url}/_dashboard/`: customers, usage, catalog, streams and admin controls in a browser. */
  dashboardUrl: string;
  /** `ws://.../graphql` base without the path, as the SDK's `wsUrl` option wants it. */
  wsUrl: string;
  port: number;
  apiKeys: readonly string[];
  admin: StiggLocalAdmin;
  /** Stops listening, closes every connection and writes the data file. */
  close(): Promise<void>;
}

/**
 * Starts a Stigg-compatible server: GraphQL over HTTP and WebSocket at `/graphql`, Edge reads at `/v1`, admin at
 * `/_admin`, the dashboard at `/_dashboard/`.
 */
export async function startStiggLocal(options: StiggLocalOptions = {}): Promise<StiggLocal> {
  const log = options.log ?? ((m: string) => console.error(m));
  const catalog =
    options.catalog === undefined
      ? loadDemoCatalog()
      : typeof options.catalog === 'string'
        ? loadCatalogFile(options.catalog)
        : validateCatalog(options.catalog);
  const apiKeys = new Set(options.apiKeys?.length ? options.apiKeys : [DEFAULT_API_KEY]);
  const store = new Store(catalog, options.now);
  store.settlers.push(settleSchedules);
  let baseUrl = '';
  const reseed = () => {
    store.clear();
    seedCustomers(store);
  };
  const saved = options.dataFile ? readDataFile(options.dataFile) : null;
  if (saved) store.restore(saved);
  else reseed();
  const persister = options.dataFile ? persistTo(options.dataFile, store) : null;
  const pruneTimer = setInterval(() => store.pruneIdempotencyKeys(), 60_000);
  pruneTimer.unref();
  // Scheduled subscription updates apply when their time comes, pushed to streams without waiting for a request.
  const settleTimer = setInterval(() => {
    try {
      store.settle();
    } catch (err) {
      log(`stigg-local: applying scheduled updates failed: ${(err as Error)?.stack ?? String(err)}`);
    }
  }, 1000);
  settleTimer.unref();

  const topics = new StreamTopics(store);
  store.listen(topics);
  const stats = new Stats();
  const faults = new Faults();
  const rateLimiter = new RateLimiter();
  const stalls = new StalledRequests();
  const executor = new Executor(createStiggSchema(topics), log);
  const context = (): ExecutionContext => ({ store, stats, usageCounters: stats.usage, baseUrl: () => baseUrl });
  const rt: Runtime = { store, stats, faults, rateLimiter, stalls, executor, apiKeys, log, context };
  // What the dashboard watches: changes reported to `admin.watch()` and streamed at `GET /_admin/events`.
  const changes = new AdminChanges(store, {
    activity: () => ({ ...stats.snapshot(), lastMinute: stats.recentCalls(60_000) }),
    controls: () => ({ faults: faults.list(), rateLimits: rateLimiter.current() }),
    streams: () => streamConnections.list(),
    log,
  });
  store.listen(changes);
  stats.onCount = () => changes.poke();
  const streamConnections = new StreamConnections(() => changes.poke());
  const eventStreams = new AdminEventStreams(changes);

  let refuseUntil = 0;
  const sockets = new Set<Socket>();
  // Connections with an admin request being answered: a blackhole spares them, so the harness gets its answer.
  const answeringAdmin = new Map<Socket, ServerResponse>();
  const policy: RequestPolicy = {
    allowedHosts: new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase())),
    adminToken: options.adminToken ?? null,
  };
  const server: Server = createServer((req, res) => {
    const misdirected = hostProblem(req, policy);
    if (misdirected) {
      req.resume();
      return sendJson(res, 421, { errors: [wireError('BadUserInput', misdirected)] });
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://stigg-local');
    } catch {
      return sendJson(res, 400, { errors: [wireError('BadUserInput', 'Malformed request URL')] });
    }
    if (url.pathname.startsWith('/_admin/')) {
      const refused = adminProblem(req, policy);
      if (refused) {
        req.resume();
        return sendJson(res, refused.status, { error: { code: 'Refused', message: refused.message } });
      }
    }
    const stiggSurface = url.pathname === '/graphql' || url.pathname.startsWith('/v1/');
    if (stiggSurface && stalls.httpStalled()) return stalls.holdHttp(req);
    if (url.pathname.startsWith('/_admin/')) {
      const socket = req.socket;
      answeringAdmin.set(socket, res);
      res.once('close', () => answeringAdmin.delete(socket));
    }
    const handle =
      url.pathname === '/graphql'
        ? handleGraphql(rt, req, res)
        : url.pathname.startsWith('/v1/')
          ? handleEdge(rt, req, res, url)
          : url.pathname.startsWith(CHECKOUT_PATH)
            ? Promise.resolve(handleCheckout(store, req, res, url))
            : url.pathname === '/_admin/events'
              ? Promise.resolve(eventStreams.open(req, res))
              : url.pathname.startsWith('/_admin/')
                ? handleAdmin(admin, req, res, url)
                : url.pathname === '/_dashboard' || url.pathname.startsWith('/_dashboard/')
                  ? handleDashboard(req, res, url)
                  : Promise.resolve(
                      url.pathname === '/' || url.pathname === '/health'
                        ? sendJson(res, 200, {
                            name: 'stigg-local',
                            graphql: '/graphql',
                            admin: '/_admin/stats',
                            dashboard: '/_dashboard/',
                          })
                        : sendJson(res, 404, { errors: [wireError('BadUserInput', `No route ${url.pathname}`)] }),
                    );
    handle.catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (err instanceof BodyError)
        return sendJson(res, err.status, { errors: [wireError('BadUserInput', err.message)] });
      log(`stigg-local: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
      sendJson(res, 500, { errors: [wireError('UnexpectedError', 'Unexpected error')] });
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', (socket: Socket) => {
    if (Date.now() < refuseUntil) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const streamSockets = new Set<Socket>();
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
  });
  server.on('upgrade', (req, socket, head) => {
    if (
      hostProblem(req, policy) ||
      !req.url?.startsWith('/graphql') ||
      new URL(req.url, 'http://stigg-local').pathname !== '/graphql'
    ) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      streamSockets.add(socket as Socket);
      ws.once('close', () => streamSockets.delete(socket as Socket));
      wss.emit('connection', ws, req);
    });
  });
  wss.on('connection', (ws, req) => {
    stats.streams += 1;
    streamConnections.opened(ws, { address: req.socket.remoteAddress, port: req.socket.remotePort });
    ws.once('close', () => {
      stats.streams -= 1;
      streamConnections.closed(ws);
    });
  });
  const wsDisposer = useServer(
    {
      schema: executor.schema,
      // Our own graphql instance executes: documents are prepared (parsed, validated, cached) by the executor.
      execute: (args) => execute(args),
      subscribe: (args) => subscribe(args),
      onSubscribe: (ctx, id, payload) => {
        const prepared = executor.prepare(payload.query, payload.operationName);
        if (!('document' in prepared)) return [...prepared];
        streamConnections.subscribed(ctx.extra.socket, id, rootFields(prepared.document, payload.operationName));
        return {
          schema: executor.schema,
          document: prepared.document,
          operationName: payload.operationName,
          variableValues: payload.variables ?? undefined,
          contextValue: context(),
        };
      },
      onComplete: (ctx, id) => streamConnections.completed(ctx.extra.socket, id),
      onConnect: (ctx) => {
        const headers = (ctx.connectionParams?.headers ?? {}) as Record<string, unknown>;
        const key = headers['X-API-KEY'] ?? headers['x-api-key'];
        if (typeof key !== 'string' || !apiKeys.has(key)) {
          ctx.extra.socket.close(4401, 'Invalid API key');
          return false;
        }
        return true;
      },
    },
    wss,
  );

  const admin = createAdmin({
    store,
    stats,
    faults,
    rateLimiter,
    stalls,
    changes,
    streams: () => streamConnections.list(),
    reseed: () => {
      reseed();
      persister?.flush();
    },
    dropStreams: () => {
      let n = 0;
      for (const client of wss.clients) {
        client.terminate();
        n += 1;
      }
      return n;
    },
    refuseConnections: (ms) => {
      refuseUntil = Date.now() + ms;
    },
    blackhole: (ms) => {
      refuseUntil = Date.now() + ms;
      let dropped = 0;
      for (const socket of sockets) {
        const answering = answeringAdmin.get(socket);
        if (answering) {
          // Answered, then closed: the partition is between Stigg's clients and stigg-local, not the harness.
          if (!answering.headersSent) answering.setHeader('connection', 'close');
          else answering.once('close', () => socket.end());
          continue;
        }
        // Destroyed, not ended: no WebSocket close frame, no pending response written; the peer sees a cut.
        socket.destroy();
        dropped += 1;
      }
      return dropped;
    },
    stallStreams: (ms) => {
      for (const socket of streamSockets) {
        socket.pause();
        setTimeout(() => socket.resume(), ms).unref();
      }
      return streamSockets.size;
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostPart}:${port}`;
  baseUrl = url;

  let closed: Promise<void> | null = null;
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    dashboardUrl: `${url}/_dashboard/`,
    wsUrl: `ws://${hostPart}:${port}`,
    port,
    apiKeys: [...apiKeys],
    admin,
    close: () =>
      (closed ??= (async () => {
        clearInterval(pruneTimer);
        clearInterval(settleTimer);
        stalls.endAll();
        changes.close();
        eventStreams.closeAll();
        for (const client of wss.clients) client.terminate();
        await wsDisposer.dispose();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
        persister?.stop();
      })()),
  };
}
