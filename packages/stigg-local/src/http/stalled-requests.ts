import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** Who stalled a request: the HTTP-wide stall (`stallHttp`) or the id of a `stall` fault. */
type StallGroup = 'http' | number;

/**
 * Requests read to the end but never answered: Stigg hanging. When what stalled them ends, their connections are
 * destroyed rather than answered, so a client that kept waiting never gets a late answer it could act on (a
 * late answer would be a different fault: latency).
 */
export class StalledRequests {
  private httpUntil = 0;
  private held = new Map<Socket, StallGroup>();
  private timers = new Map<StallGroup, NodeJS.Timeout>();

  /** Stalls every Stigg-surface HTTP request arriving in the next `ms` (replacing any running stall); 0 ends it now. */
  stallHttp(ms: number): void {
    this.httpUntil = Date.now() + ms;
    this.end((g) => g === 'http' && ms <= 0);
    if (ms > 0) this.schedule('http', ms);
  }

  /** Whether an HTTP-wide stall is running. */
  httpStalled(): boolean {
    return Date.now() < this.httpUntil;
  }

  /** Holds a request for the HTTP-wide stall, until it ends. */
  holdHttp(req: IncomingMessage): void {
    this.hold(req, 'http');
  }

  /** Holds a request for a `stall` fault, until `until` (the fault's end; Infinity: until the fault is cleared). */
  holdForFault(req: IncomingMessage, faultId: number, until: number): void {
    this.hold(req, faultId);
    if (!this.timers.has(faultId) && until !== Infinity) this.schedule(faultId, Math.max(0, until - Date.now()));
  }

  /** Ends the stalls of one fault, or of every fault. */
  endFaults(id?: number): void {
    this.end((g) => g !== 'http' && (id === undefined || g === id));
  }

  /** Ends every stall (the server is closing). */
  endAll(): void {
    this.httpUntil = 0;
    this.end(() => true);
  }

  /** Number of requests held now. */
  get size(): number {
    return this.held.size;
  }

  private hold(req: IncomingMessage, group: StallGroup): void {
    // Read the body so the client's upload completes: it is waiting for an answer, not blocked sending.
    req.resume();
    const socket = req.socket;
    this.held.set(socket, group);
    socket.once('close', () => this.held.delete(socket));
  }

  private schedule(group: StallGroup, ms: number): void {
    clearTimeout(this.timers.get(group));
    const timer = setTimeout(() => this.end((g) => g === group), ms);
    timer.unref();
    this.timers.set(group, timer);
  }

  private end(which: (group: StallGroup) => boolean): void {
    for (const [group, timer] of this.timers) {
      if (!which(group)) continue;
      clearTimeout(timer);
      this.timers.delete(group);
    }
    for (const [socket, group] of this.held) {
      if (!which(group)) continue;
      this.held.delete(socket);
      socket.destroy();
    }
  }
}
