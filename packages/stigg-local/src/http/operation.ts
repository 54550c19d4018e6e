import type { IncomingMessage, ServerResponse } from 'node:http';
import { customersIn } from '../control/rate-limits.js';
import { wireError, type PreparedOperation, type WireError } from '../graphql/executor.js';
import { sendJson, sleep } from './io.js';
import type { Runtime } from './runtime.js';

/**
 * Runs one prepared operation for an HTTP request, through the admin's rate limits and faults, and answers it
 * (`shape` turns the GraphQL result into the route's body: the result itself, or an Edge envelope).
 */
export async function answerOperation(
  rt: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  prepared: PreparedOperation,
  variables: Record<string, unknown> | null | undefined,
  shape: (result: { data?: unknown; errors?: WireError[] }) => { status: number; body: unknown } = (r) => ({
    status: 200,
    body: r,
  }),
): Promise<void> {
  const kind = prepared.operation.operation === 'mutation' ? 'mutation' : 'query';
  // Found for every write, emulation on or off: the write peaks in the stats are wanted either way.
  const customers = kind === 'mutation' ? new Set([...prepared.literalCustomers, ...customersIn(variables)]) : null;
  const refused = rt.rateLimiter.admit(kind, prepared.fields, () => customers ?? []);
  if (refused) {
    for (const f of prepared.fields) rt.stats.count(f);
    rt.stats.countRefusal(refused);
    return sendJson(res, 429, { errors: [wireError('RateLimitExceeded', refused.message)] });
  }
  if (customers) rt.stats.countWrite(prepared.fields, customers);
  const fault = rt.faults.take(prepared.fields);
  if (fault?.stall) {
    for (const f of prepared.fields) rt.stats.count(f);
    return rt.stalls.holdForFault(req, fault.stall.faultId, fault.stall.until);
  }
  if (fault?.latencyMs) await sleep(fault.latencyMs);
  if (fault?.status !== undefined || fault?.errorCode !== undefined) {
    for (const f of prepared.fields) rt.stats.count(f);
    const code = fault.errorCode ?? (fault.status === 429 ? 'RateLimitExceeded' : 'UnexpectedError');
    const message = fault.message ?? `Injected fault: ${fault.status !== undefined ? `HTTP ${fault.status}` : code}`;
    return sendJson(res, fault.status ?? 200, { errors: [wireError(code, message)] });
  }
  const result = await rt.executor.run(prepared, variables, rt.context());
  if (fault?.dropAfterApply) {
    req.socket.destroy();
    return;
  }
  const { status, body } = shape(result);
  sendJson(res, status, body);
}
