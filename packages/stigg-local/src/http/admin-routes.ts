import type { IncomingMessage, ServerResponse } from 'node:http';
import { CatalogError } from '../catalog/validate.js';
import type { StiggLocalAdmin } from '../control/admin.js';
import { StiggError } from '../errors.js';
import { readJson, sendJson } from './io.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies, each field checked by the route that reads it
type Body = Record<string, any>;

/** Admin bodies are small (a catalog is the largest). */
const MAX_ADMIN_BODY_BYTES = 4 * 1024 * 1024;

const decoded = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new StiggError('BadUserInput', `${JSON.stringify(segment.slice(0, 100))} is not a valid URL path segment`);
  }
};

const need = (body: Body, key: string, type: 'string' | 'number') => {
  if (typeof body[key] !== type) throw new StiggError('BadUserInput', `"${key}" (${type}) is required`);
  return body[key];
};

/** `?search=&limit=` of `GET /_admin/customers`. */
function pageQuery(url: URL): { search?: string; limit?: number } {
  const limit = url.searchParams.get('limit');
  if (limit !== null && !/^\d{1,7}$/.test(limit))
    throw new StiggError('BadUserInput', '"limit" must be a whole number (at most 1000 are listed)');
  return { search: url.searchParams.get('search') ?? undefined, limit: limit === null ? undefined : Number(limit) };
}

/**
 * `/_admin/*`: the admin handle over HTTP, for tests and demos in other processes. Not part of Stigg's API.
 * Errors answer `{error: {code, message}}` (or `problems` for a catalog) with a 4xx status.
 */
export async function handleAdmin(
  admin: StiggLocalAdmin,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
  const body =
    req.method === 'GET' || req.method === 'DELETE' ? {} : ((await readJson(req, MAX_ADMIN_BODY_BYTES)) as Body);
  const customer = /^(PUT|POST) \/_admin\/customers\/([^/]+)\/(plan|usage)$/.exec(route);
  const times = /^GET \/_admin\/calls\/([^/]+)$/.exec(route);
  const oneCustomer = /^GET \/_admin\/customers\/([^/]+)$/.exec(route);
  const packageVersion = /^(PUT|POST) \/_admin\/packages\/(Plan|Addon)\/([^/]+)$/.exec(route);
  const checkout = /^POST \/_admin\/checkouts\/([^/]+)\/complete$/.exec(route);
  try {
    if (times) return sendJson(res, 200, { field: times[1], times: admin.callTimes(decoded(times[1]!)) });
    if (oneCustomer) return sendJson(res, 200, admin.customer(decoded(oneCustomer[1]!)));
    if (packageVersion)
      return sendJson(
        res,
        200,
        admin.publishPackageVersion(packageVersion[2] as 'Plan' | 'Addon', decoded(packageVersion[3]!), body),
      );
    if (checkout) return sendJson(res, 200, admin.completeCheckout(decoded(checkout[1]!)));
    if (customer) {
      const id = decoded(customer[2]!);
      if (customer[3] === 'plan') {
        return sendJson(
          res,
          200,
          admin.setPlan(id, need(body, 'planId', 'string'), { resourceId: body.resourceId, addons: body.addons }),
        );
      }
      admin.setUsage(id, need(body, 'featureId', 'string'), need(body, 'value', 'number'), body.resourceId);
      return sendJson(res, 200, { ok: true });
    }
    switch (route) {
      case 'GET /_admin/stats':
        return sendJson(res, 200, admin.stats());
      case 'DELETE /_admin/stats':
        admin.resetStats();
        return sendJson(res, 200, { ok: true });
      case 'GET /_admin/customers':
        return sendJson(res, 200, admin.customers(pageQuery(url)));
      case 'GET /_admin/streams':
        return sendJson(res, 200, { streams: admin.streams() });
      case 'GET /_admin/catalog':
        return sendJson(res, 200, admin.catalog());
      case 'PUT /_admin/catalog':
        return sendJson(res, 200, admin.publishCatalog(body));
      case 'GET /_admin/faults':
        return sendJson(res, 200, { faults: admin.faults() });
      case 'POST /_admin/faults':
        return sendJson(res, 200, { id: admin.injectFault(body) });
      case 'DELETE /_admin/faults':
        admin.clearFaults(url.searchParams.has('id') ? Number(url.searchParams.get('id')) : undefined);
        return sendJson(res, 200, { ok: true });
      case 'POST /_admin/streams/drop':
        return sendJson(res, 200, { dropped: admin.dropStreams() });
      case 'POST /_admin/streams/stall':
        return sendJson(res, 200, { stalled: admin.stallStreams(need(body, 'seconds', 'number') * 1000) });
      case 'POST /_admin/connections/refuse':
        admin.refuseConnections(need(body, 'seconds', 'number') * 1000);
        return sendJson(res, 200, { ok: true });
      case 'POST /_admin/connections/blackhole':
        return sendJson(res, 200, { dropped: admin.blackhole(need(body, 'seconds', 'number') * 1000) });
      case 'POST /_admin/http/stall':
        admin.stallHttp(need(body, 'seconds', 'number') * 1000);
        return sendJson(res, 200, { ok: true });
      case 'GET /_admin/rate-limits':
        return sendJson(res, 200, admin.rateLimits());
      case 'PUT /_admin/rate-limits':
        return sendJson(res, 200, admin.setRateLimits({ ...body, enabled: body.enabled === true }));
      case 'PUT /_admin/payment-required':
        if (typeof body.required !== 'boolean')
          throw new StiggError('BadUserInput', '"required" (boolean) is required');
        admin.setPaymentRequired(
          body.customerId === undefined ? 'all' : need(body, 'customerId', 'string'),
          body.required,
        );
        return sendJson(res, 200, { ok: true });
      case 'GET /_admin/checkouts':
        return sendJson(res, 200, { checkouts: admin.checkouts() });
      case 'POST /_admin/reset':
        admin.reset();
        return sendJson(res, 200, { ok: true });
      default:
        return sendJson(res, 404, { error: { code: 'NotFound', message: `No admin route ${route}` } });
    }
  } catch (err) {
    if (err instanceof CatalogError)
      return sendJson(res, 400, { error: { code: 'InvalidCatalog', message: err.message, problems: err.problems } });
    if (err instanceof StiggError) {
      return sendJson(res, err.code.endsWith('NotFound') ? 404 : 400, {
        error: { code: err.code, message: err.message },
      });
    }
    throw err;
  }
}
