import type { RecordedResponse } from '../usage/types.js';
import type { MeteredRequest } from '../usage/usage-meter.js';
import { MAX_RECORDED_BODY_BYTES, outcomeOf, RELEASE, replayHeaders, settle, type SettleOptions } from './guard.js';

/** The part of Node's `ServerResponse` the settle needs (Express' response; Fastify's `reply.raw`). */
export interface NodeResponseLike {
  statusCode: number;
  headersSent?: boolean;
  destroyed?: boolean;
  // The Node response's overloads, whatever their arguments (Node's and frameworks' typings differ).
  // biome-ignore lint/suspicious/noExplicitAny: matches every overload of the wrapped method
  writeHead(...args: any[]): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  end(...args: any[]): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  write?(...args: any[]): unknown;
  writableFinished?: boolean;
  getHeaders?(): Record<string, unknown>;
  on(event: 'close', listener: () => void): unknown;
}

/**
 * Settles a metered request on a Node response, as soon as the response is written: its `writeHead` (which
 * Express' `send`/`json`/`end` and Fastify go through; the status is final then) commits on success and releases
 * otherwise, and the response's end waits for that settle when it did not settle at once: a client never holds a
 * complete successful answer whose units are not recorded, so a process killed at any point loses nothing it
 * answered for (the client that got no complete answer retries, with its idempotency key). The response's
 * `'close'` settles what is left: released if nothing was written (the client went away), committed if the answer
 * went out without our `writeHead` seeing it. A response already closed when this is called releases. Only the
 * first settle counts.
 *
 * `handler`, when given, runs the rest of the request now (Express' `next`): a response it settled before
 * returning (a synchronous handler) needs no `'close'` listener.
 *
 * The response gets no property of ours: the settle is found by the response in a `WeakMap`, from `writeHead` and
 * `end` hooked once on the response's class (Node's `ServerResponse`, the first time a metered request is settled
 * on one). Functions added to each response would change its shape and make it copy its properties, and the
 * garbage collector would carry them through every collection the response lives through. A response whose
 * `writeHead` or `end` was replaced (middleware that wraps them) gets wrappers of its own instead, after the
 * replacement; so does a recorded one's `write`.
 */
export function settleOnNodeResponse(
  metered: MeteredRequest,
  res: NodeResponseLike,
  options: SettleOptions,
  handler?: () => void,
): void {
  const settling = new NodeSettle(metered, res, options);
  // Settled already when the response was written or closed before the reservation was made (a slow reserve).
  if (res.headersSent || res.destroyed) {
    settling.finish(!!res.headersSent);
    handler?.();
    return;
  }
  // Recording for replay: the settle waits for the body (up to the bound), so it happens at end, not writeHead.
  // A body past the bound is not recorded: the settle then happens at once, as without recording.
  if (options.record) settling.body = recorder(res, () => settling.finish(true));
  if (hooked(res)) settles.set(res, settling);
  else wrap(res, settling);
  if (handler) {
    try {
      handler();
    } finally {
      if (!settling.done) settling.watchClose();
    }
  } else settling.watchClose();
}

/** The settle of each metered response on a hooked class, by response: nothing is added to the response. */
const settles = new WeakMap<object, NodeSettle>();
/** Our hooks (`writeHead` and `end` functions), and the prototypes they were installed on. */
const ours = new WeakSet<object>();
const hookedPrototypes = new WeakSet<object>();

/**
 * Whether the response's `writeHead` and `end` are our hooks, installing them on the prototype that defines
 * `writeHead` the first time one of its responses is seen; false for a response with no such prototype, or whose
 * methods something else replaced.
 */
function hooked(res: NodeResponseLike): boolean {
  if (ours.has(res.writeHead) && ours.has(res.end)) return true;
  let owner: object | null = Object.getPrototypeOf(res);
  while (owner !== null && !Object.hasOwn(owner, 'writeHead')) owner = Object.getPrototypeOf(owner);
  if (owner === null || hookedPrototypes.has(owner)) return false;
  hook(owner as NodeResponseLike);
  return ours.has(res.writeHead) && ours.has(res.end);
}

/** Installs the hooks on a response class' prototype: a response with no settle passes straight through. */
function hook(proto: NodeResponseLike): void {
  hookedPrototypes.add(proto);
  const { writeHead, end } = proto;
  const hookedWriteHead = function (this: NodeResponseLike, ...args: unknown[]) {
    const result = writeHead.apply(this, args);
    settles.get(this)?.headWritten(args);
    return result;
  };
  ours.add(hookedWriteHead);
  define(proto, 'writeHead', hookedWriteHead);
  if (ours.has(end)) return; // inherited from a prototype hooked already
  // An inherited `end` (Node's ServerResponse has OutgoingMessage's) is looked up at each call, as it would be.
  const parent: NodeResponseLike = Object.getPrototypeOf(proto);
  const own = Object.hasOwn(proto, 'end');
  const hookedEnd = function (this: NodeResponseLike, ...args: unknown[]) {
    const original = own ? end : parent.end;
    const settling = settles.get(this);
    return settling ? settling.end(original, this, args) : original.apply(this, args);
  };
  ours.add(hookedEnd);
  define(proto, 'end', hookedEnd);
}

const define = (proto: object, name: string, value: unknown) =>
  Object.defineProperty(proto, name, { value, writable: true, configurable: true, enumerable: false });

/** Wrappers on the response itself, for one whose `writeHead` or `end` is not the class' own. */
function wrap(res: NodeResponseLike, settling: NodeSettle): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: unknown, ...args: unknown[]) {
    const result = writeHead.apply(this, args);
    settling.headWritten(args);
    return result;
  };
  const end = res.end;
  res.end = function (this: unknown, ...args: unknown[]) {
    return settling.end(end, this, args);
  };
}

/** One metered request's settle on a Node response: what the hooks call. */
class NodeSettle {
  done = false;
  /** The settle in progress, when it did not settle at once: the response's end waits for it. */
  private settling: Promise<void> | null = null;
  body: ReturnType<typeof recorder> | null = null;

  constructor(
    private readonly metered: MeteredRequest,
    private readonly res: NodeResponseLike,
    private readonly options: SettleOptions,
  ) {}

  finish(written: boolean, response: RecordedResponse | null = null): void {
    if (this.done) return;
    this.done = true;
    const outcome = written ? outcomeOf(this.res.statusCode, this.options) : RELEASE;
    this.settling = settle(
      this.metered,
      outcome.success && response ? { ...outcome, response } : outcome,
      this.options,
    );
  }

  /** Settles at the response's close what nothing settled before (see `settleOnNodeResponse`). */
  watchClose(): void {
    const res = this.res;
    res.on('close', () => this.finish(!!res.headersSent || !!res.writableFinished));
  }

  headWritten(args: unknown[]): void {
    if (!this.body) this.finish(true);
    else this.body.head(args);
  }

  // biome-ignore lint/suspicious/noExplicitAny: the response's own `end`, whatever its overloads
  end(end: (...args: any[]) => unknown, self: unknown, args: unknown[]): unknown {
    const res = this.res;
    if (!this.done && !res.headersSent) res.writeHead(res.statusCode); // what end() would do first; it starts the settle
    if (this.body && !this.done) {
      this.body.add(args[0], args[1]);
      this.finish(true, this.body.recorded());
    }
    // Settled: the response no longer needs finding (state kept with a response past its end is what GC copies).
    settles.delete(res);
    if (!this.settling) return end.apply(self, args);
    const run = () => end.apply(self, args);
    void this.settling.then(run);
    return self;
  }
}

/** Collects what a Node response writes, up to the bound (past it: `overflow()`, and `recorded()` is null). */
function recorder(res: NodeResponseLike, overflow: () => void) {
  let chunks: Buffer[] = [];
  let size = 0;
  const add = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function' || size > MAX_RECORDED_BODY_BYTES) return;
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk)
        : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    size += buf.length;
    if (size <= MAX_RECORDED_BODY_BYTES) return void chunks.push(buf);
    chunks = [];
    overflow();
  };
  const write = res.write;
  if (write) {
    res.write = function (this: unknown, ...args: unknown[]) {
      add(args[0], args[1]);
      return write.apply(this, args);
    };
  }
  // Headers given to writeHead itself (Fastify passes them there) are not in getHeaders().
  let given: Record<string, unknown> = {};
  const head = (args: unknown[]) => {
    const last = args.length > 1 ? args[args.length - 1] : undefined;
    if (Array.isArray(last)) {
      for (let i = 0; i + 1 < last.length; i += 2) given[String(last[i])] = last[i + 1];
    } else if (last && typeof last === 'object') given = { ...given, ...(last as Record<string, unknown>) };
  };
  return {
    add,
    head,
    recorded: (): RecordedResponse | null =>
      size > MAX_RECORDED_BODY_BYTES
        ? null
        : {
            status: res.statusCode,
            headers: replayHeaders({ ...(res.getHeaders?.() ?? {}), ...(given as Record<string, unknown>) }),
            body: Buffer.concat(chunks).toString('base64'),
          },
  };
}
