import type { IncomingMessage, ServerResponse } from 'node:http';
import { wireError, type PreparedOperation } from '../graphql/executor.js';
import { EDGE_ACTIVE_SUBSCRIPTIONS, EDGE_ENTITLEMENTS, EDGE_PAYWALL } from '../graphql/edge-documents.js';
import { headerValue, sendJson } from './io.js';
import { answerOperation } from './operation.js';
import type { Runtime } from './runtime.js';

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Edge's `{data}` envelope; an error body keeps Stigg's `errors` shape, with 404 for unknown things. */
const envelope = (r: { data?: unknown; errors?: { extensions?: { code?: string } }[] }) =>
  r.errors?.length
    ? { status: r.errors[0]?.extensions?.code?.endsWith('NotFound') ? 404 : 400, body: { errors: r.errors } }
    : { status: 200, body: { data: r.data } };

/** The Edge read routes the SDK uses (`GET /v1/...`), answered by the same resolvers as GraphQL. */
export async function handleEdge(rt: Runtime, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const key = headerValue(req, 'x-api-key');
  if (!key || !rt.apiKeys.has(key))
    return sendJson(res, 401, {
      errors: [wireError('Unauthenticated', 'Unauthenticated: invalid or missing X-API-KEY')],
    });
  if (req.method !== 'GET')
    return sendJson(res, 405, { errors: [wireError('BadUserInput', 'Edge routes answer GET only')] });
  const path = url.pathname;
  const run = (route: string, doc: string, variables: Record<string, unknown>) => {
    rt.stats.countEdge(route);
    const prepared = rt.executor.prepare(doc) as PreparedOperation;
    return answerOperation(rt, req, res, prepared, variables, envelope);
  };
  if (path === '/v1/config/server-sdk-configuration.json') {
    rt.stats.countEdge('server-sdk-configuration');
    rt.stats.count('sdkConfiguration');
    return sendJson(res, 200, { data: { sdkConfiguration: { sentryDsn: null, isWidgetWatermarkEnabled: false } } });
  }
  let m = /^\/v1\/c\/([^/]+)\/entitlements\.json$/.exec(path);
  if (m) {
    return run('entitlements', EDGE_ENTITLEMENTS, {
      query: { customerId: decode(m[1]!), resourceId: url.searchParams.get('resourceId') || null },
    });
  }
  m = /^\/v1\/c\/([^/]+)\/subscriptions\.json$/.exec(path);
  if (m) {
    const resourceIds = url.searchParams.getAll('resourceIds');
    return run('subscriptions', EDGE_ACTIVE_SUBSCRIPTIONS, {
      input: {
        customerId: decode(m[1]!),
        resourceId: url.searchParams.get('resourceId') || null,
        resourceIds: resourceIds.length ? resourceIds : null,
      },
    });
  }
  m = /^\/v1(?:\/p\/([^/]+))?\/paywall\.json$/.exec(path);
  if (m) {
    return run('paywall', EDGE_PAYWALL, {
      input: {
        productId: m[1] ? decode(m[1]) : null,
        billingCountryCode: url.searchParams.get('billingCountryCode'),
        includeHiddenPlans: url.searchParams.get('includeHiddenPlans') === 'true',
      },
    });
  }
  sendJson(res, 404, { errors: [wireError('BadUserInput', `No Edge route ${path}`)] });
}
