import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { packageFile } from '../package-files.js';

/** The dashboard's files (`dashboard/` in the package), by the name they are served under. Nothing else is. */
const FILES: Record<string, { file: string; type: string }> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  'favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/** Scripts and styles from these files only (no inline code runs, whatever data holds); no framing. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** `/_dashboard/`: the dashboard page, plain files read from the package (no build step, no network). */
export async function handleDashboard(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  req.resume();
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'GET only', { allow: 'GET, HEAD' });
  if (url.pathname === '/_dashboard') return sendText(res, 308, 'See /_dashboard/', { location: '/_dashboard/' });
  const served = FILES[url.pathname.slice('/_dashboard/'.length)];
  if (!served) return sendText(res, 404, `No dashboard file ${url.pathname}`);
  const body = await readFile(packageFile('dashboard', served.file));
  res.writeHead(200, {
    'content-type': served.type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
