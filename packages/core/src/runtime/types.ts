/**
 * What Tollgate takes from the runtime where runtimes differ. `package.json#imports` maps `#runtime` to one
 * description per kind of runtime, by export condition: Node (`node`), Bun and Deno (`bun`, `deno`), edge runtimes
 * (`workerd`, `edge-light`), and other web runtimes (`browser`, `worker`, and the default).
 */
export interface Runtime {
  /** The WebSocket Stigg's stream opens, or null when the stream cannot run here (`noStream` says why). */
  socketClass: StreamSocketClass | null;
  noStream: string | null;
  /** Files (for `usage.spillFile`), or null without a file system. */
  files: FileStorage | null;
  /**
   * Whether the work a request starts stops once its response is sent unless it is handed to the request's
   * `waitUntil` (Cloudflare Workers): timers do not outlive the request, so usage is delivered through
   * `Tollgate#backgroundWork()` rather than on an interval.
   */
  requestScoped: boolean;
}

/** The part of a WebSocket the stream uses: the web-standard API, and ws's `terminate()` where it exists. */
export interface StreamSocket {
  readonly readyState: number;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: 'open' | 'close' | 'error' | 'message',
    listener: () => void,
    options?: { once?: boolean },
  ): void;
  /** ws only: drops the connection at once, without the close handshake (a dead peer never completes it). */
  terminate?(): void;
}

/** A WebSocket constructor, as graphql-ws takes it (`webSocketImpl`). */
export type StreamSocketClass = new (url: string, protocols?: string | string[]) => StreamSocket;

/** Files the usage spill file is kept in. */
export interface FileStorage {
  /** The file's text, or null when there is no such file. */
  read(path: string): Promise<string | null>;
  /** Writes the file as a whole: a crash while writing leaves the former content. */
  writeAtomically(path: string, text: string): Promise<void>;
  remove(path: string): Promise<void>;
}
