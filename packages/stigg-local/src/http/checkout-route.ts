import type { IncomingMessage, ServerResponse } from 'node:http';
import { StiggError } from '../errors.js';
import { CHECKOUT_PATH, completeCheckout } from '../model/checkout.js';
import type { Store } from '../model/store.js';
import { sendJson } from './io.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'content-security-policy': "default-src 'none'",
  });
  res.end(html);
}

/**
 * `GET /_checkout/{token}`: the hosted checkout a `PAYMENT_REQUIRED` provisioning points to. Visiting it pays:
 * the customer gets a payment method and the subscription is created (its entitlements pushed). Then the browser
 * goes to the request's `checkoutOptions.successUrl` (303), or gets a page saying so (JSON when it asks for JSON).
 */
export function handleCheckout(store: Store, req: IncomingMessage, res: ServerResponse, url: URL) {
  req.resume();
  const wantsJson = (req.headers.accept ?? '').includes('application/json');
  if (req.method !== 'GET' && req.method !== 'POST') return sendJson(res, 405, { error: { code: 'MethodNotAllowed' } });
  const token = decodeURIComponent(url.pathname.slice(CHECKOUT_PATH.length)).replace(/\/+$/, '');
  if (!store.checkouts.has(token)) {
    if (wantsJson) return sendJson(res, 404, { error: { code: 'CheckoutNotFound', message: 'No open checkout' } });
    return page(res, 404, 'Checkout not found', 'This checkout is not open: it was paid already, or never opened.');
  }
  try {
    store.settle();
    const { subscription, checkout } = completeCheckout(store, token);
    const result = { subscriptionId: subscription.subscriptionId, customerId: subscription.customerId, status: 'PAID' };
    if (wantsJson) return sendJson(res, 200, result);
    if (checkout.successUrl && /^https?:\/\//i.test(checkout.successUrl)) {
      res.writeHead(303, { location: checkout.successUrl, 'content-length': 0 });
      return void res.end();
    }
    return page(
      res,
      200,
      'Payment received',
      `Subscription ${subscription.subscriptionId} (plan ${subscription.planId}) of customer ${subscription.customerId} is active.`,
    );
  } catch (err) {
    if (!(err instanceof StiggError)) throw err;
    if (wantsJson) return sendJson(res, 400, { error: { code: err.code, message: err.message } });
    return page(res, 400, 'Checkout failed', `${err.code}: ${err.message}`);
  }
}
