import type { IncomingMessage } from 'node:http';
import { headerValue } from './io.js';

/**
 * What keeps stigg-local safe on a developer's machine, where any web page the developer opens can send requests
 * to localhost: it answers only Host names it is meant to have (loopback ones, and those given), so DNS
 * rebinding gets nothing; and its admin surface refuses calls from a page of another origin, bodies that are not
 * JSON (a cross-origin "simple" request cannot send JSON without a preflight, which is never answered), and, when
 * a token is set, calls without it.
 */
export interface RequestPolicy {
  /** Host names answered besides loopback ones (`localhost`, `*.localhost`, `127.0.0.0/8`, `::1`). */
  allowedHosts: ReadonlySet<string>;
  /** When set, admin calls need `Authorization: Bearer <token>`. */
  adminToken: string | null;
}

const LOOPBACK = /^(localhost|[a-z0-9-]+(\.[a-z0-9-]+)*\.localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** The host name of a `Host` header or an origin's host, without the port. */
function hostName(host: string): string {
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  if (bracket > 0) return host.slice(0, bracket + 1).toLowerCase();
  return host.replace(/:\d+$/, '').toLowerCase();
}

const allowedName = (name: string, policy: RequestPolicy) => LOOPBACK.test(name) || policy.allowedHosts.has(name);

/** Why a request's Host is refused, or null. A request without Host (HTTP/1.0 tools) is answered. */
export function hostProblem(req: IncomingMessage, policy: RequestPolicy): string | null {
  const host = headerValue(req, 'host');
  if (host === undefined) return null;
  return allowedName(hostName(host), policy)
    ? null
    : `Host ${JSON.stringify(host.slice(0, 100))} is not served here (DNS rebinding?); start stigg-local with allowedHosts to serve it`;
}

/** Why an admin call is refused, or null. */
export function adminProblem(req: IncomingMessage, policy: RequestPolicy): { status: number; message: string } | null {
  if (policy.adminToken !== null && headerValue(req, 'authorization') !== `Bearer ${policy.adminToken}`) {
    return { status: 401, message: 'Admin calls need Authorization: Bearer <admin token>' };
  }
  const origin = headerValue(req, 'origin');
  if (origin !== undefined) {
    let name: string | null = null;
    try {
      name = hostName(new URL(origin).host);
    } catch {
      // "null" and other opaque origins
    }
    if (name === null || !allowedName(name, policy))
      return {
        status: 403,
        message: `Admin calls from ${JSON.stringify(origin.slice(0, 100))} are refused (cross-origin)`,
      };
  }
  const hasBody =
    Number(headerValue(req, 'content-length') ?? 0) > 0 || headerValue(req, 'transfer-encoding') !== undefined;
  const type = headerValue(req, 'content-type') ?? '';
  if (hasBody && !/^application\/json\s*(;|$)/i.test(type))
    return { status: 415, message: 'Admin calls with a body need Content-Type: application/json' };
  return null;
}
