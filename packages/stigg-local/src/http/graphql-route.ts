import type { IncomingMessage, ServerResponse } from 'node:http';
import { wireError } from '../graphql/executor.js';
import { headerValue, readJson, sendJson } from './io.js';
import { answerOperation } from './operation.js';
import type { Runtime } from './runtime.js';

/** `POST /graphql`: Stigg's API, authenticated by `X-API-KEY`. */
export async function handleGraphql(rt: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return sendJson(res, 405, {
      errors: [wireError('BadUserInput', 'Send GraphQL operations with POST (subscriptions over WebSocket)')],
    });
  }
  // The key first: nothing of an unauthenticated request is read.
  const key = headerValue(req, 'x-api-key');
  if (!key || !rt.apiKeys.has(key)) {
    req.resume();
    return sendJson(res, 200, {
      data: null,
      errors: [wireError('Unauthenticated', 'Unauthenticated: invalid or missing X-API-KEY')],
    });
  }
  const body = (await readJson(req)) as { query?: unknown; variables?: unknown; operationName?: unknown };
  if (typeof body.query !== 'string')
    return sendJson(res, 400, { errors: [wireError('BadUserInput', 'Request body needs a "query" string')] });
  if (body.variables !== undefined && body.variables !== null && typeof body.variables !== 'object') {
    return sendJson(res, 400, { errors: [wireError('BadUserInput', '"variables" must be an object')] });
  }
  const prepared = rt.executor.prepare(body.query, typeof body.operationName === 'string' ? body.operationName : null);
  if (!('document' in prepared)) {
    return sendJson(res, 400, { errors: prepared.map((e) => wireError('BadUserInput', e.message)) });
  }
  if (prepared.operation.operation === 'subscription') {
    return sendJson(res, 400, {
      errors: [wireError('BadUserInput', 'Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql')],
    });
  }
  await answerOperation(rt, req, res, prepared, body.variables as Record<string, unknown> | null);
}
