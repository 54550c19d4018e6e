/**
 * Saves the README's picture of the stigg-local dashboard (docs/assets/stigg-local-dashboard.png): the demo of
 * `npm start` after some traffic, in headless Chromium (Debian's, or CHROMIUM_PATH).
 *
 *   node --conditions=@tollgate/source --import tsx scripts/dashboard-screenshot.ts [output.png]
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo } from '../examples/express/src/main.js';
import { launchChromium } from '../test/browser/chromium.js';
import { customerCard, waitForUsage } from '../test/browser/dashboard-page.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const output = resolve(process.argv[2] ?? `${root}/docs/assets/stigg-local-dashboard.png`);

const demo = await startDemo({ port: 0, stiggPort: 0 });
const stigg = demo.stigg!;
const browser = await launchChromium({ width: 1440, height: 1080 });
try {
  // Traffic through the demo app: reads, a denial, metered requests (reported to stigg-local by Tollgate).
  const call = (token: string, path: string, method = 'GET') =>
    fetch(`${demo.url}${path}`, { method, headers: { 'x-api-token': token } });
  await call('demo-pro', '/api/analytics');
  await call('demo-free', '/api/analytics');
  await call('demo-enterprise', '/api/projects');
  for (let i = 0; i < 12; i++) await call('demo-free', '/api/reports', 'POST');
  for (let i = 0; i < 3; i++) await call('demo-pro', '/api/seats', 'POST');
  await demo.tollgate.flushUsage();
  // Usage a month in would have reached.
  stigg.admin.setUsage('customer-free', 'feature-api-calls', 64);
  stigg.admin.setUsage('customer-pro', 'feature-api-calls', 7_420);
  stigg.admin.setUsage('customer-pro', 'feature-seats', 9);
  stigg.admin.setUsage('customer-enterprise', 'feature-api-calls', 18_300);
  stigg.admin.setUsage('customer-enterprise', 'feature-seats', 42);
  stigg.admin.injectFault({ operations: ['reportUsageBulk'], latencyMs: 250, count: 5 });

  const page = await browser.newPage();
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await page.goto(stigg.dashboardUrl);
  await waitForUsage(page, 'customer-pro', 'feature-api-calls', 7_420);
  await waitForUsage(page, 'customer-enterprise', 'feature-seats', 42);
  await page.waitForSelector('#stream-list li');
  await customerCard(page, 'customer-nosub');
  // Let the bars finish their transition.
  await page.waitForFunction(() => document.getAnimations().length === 0);
  mkdirSync(dirname(output), { recursive: true });
  await page.screenshot({ path: output as `${string}.png` });
  console.log(`dashboard screenshot: ${output}`);
} finally {
  await browser.close();
  await demo.close();
}
