/**
 * The stigg-local dashboard in real headless Chromium, over the demo of `npm start` (Express + Tollgate + an
 * embedded stigg-local): the demo's customers, a plan changed from the page, usage from a metered request moving a
 * bar, the admin controls, and customer ids shown as text. Needs Chromium: /usr/bin/chromium or CHROMIUM_PATH.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStiggLocal } from '@tollgate/stigg-local';
import { type Demo, startDemo } from '../../examples/express/src/main.js';
import { until } from '../support/wait.js';
import { launchChromium } from './chromium.js';
import { customerCard, meterState, waitForUsage } from './dashboard-page.js';

const SCREENSHOT = resolve('test-output/dashboard.png');

let demo: Demo;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${demo.stigg!.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${method} ${path}`).toBe(200);
  return res.json();
}

/** Clicks an element of a customer's card, found by its `data-role`. */
async function clickInCard(customerId: string, role: string): Promise<void> {
  const button = await (await customerCard(page, customerId)).$(`[data-role="${role}"]`);
  expect(button, `${role} in the card of ${customerId}`).not.toBeNull();
  await button!.click();
}

const textOf = (selector: string) => page.$eval(selector, (el) => el.textContent ?? '');

/** Why the browser or the demo could not start: every test fails with it (a missing Chromium never skips). */
let setupError: unknown = null;

beforeAll(async () => {
  try {
    await openDashboard();
  } catch (err) {
    setupError = err;
  }
}, 60_000);

beforeEach(() => {
  if (setupError) throw setupError;
});

async function openDashboard(): Promise<void> {
  browser = await launchChromium();
  demo = await startDemo({ port: 0, stiggPort: 0 });
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await page.goto(demo.stigg!.dashboardUrl);
  await page.waitForFunction(() => document.getElementById('connection')?.dataset.state === 'live');
}

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

describe('the stigg-local dashboard in Chromium', () => {
  it('shows the demo customers with their plans and usage bars, the catalog and the connected stream', async () => {
    const ids = await page.$$eval('#customer-list [data-customer-id]', (cards) =>
      cards.map((c) => (c as HTMLElement).dataset.customerId),
    );
    expect(ids).toEqual(['customer-free', 'customer-pro', 'customer-enterprise', 'customer-nosub']);
    const pro = await customerCard(page, 'customer-pro');
    expect(await pro.$$eval('[data-plan-id]', (badges) => badges.map((b) => b.textContent))).toEqual(['Pro']);
    expect(await meterState(page, 'customer-pro', 'feature-api-calls')).toMatchObject({ used: 0, limit: 10000 });
    expect(await meterState(page, 'customer-enterprise', 'feature-api-calls')).toMatchObject({ limit: null });
    expect(await meterState(page, 'customer-nosub', 'feature-api-calls')).toBeNull();
    expect(
      await page.$$eval('#catalog [data-package-id]', (p) => p.map((e) => (e as HTMLElement).dataset.packageId)),
    ).toEqual(['plan-free', 'plan-pro', 'plan-enterprise', 'addon-extra-seats']);
    // The demo's Tollgate client holds one realtime stream, with the SDK's subscriptions.
    await page.waitForSelector('#stream-list li');
    expect(await textOf('#stream-list')).toContain('entitlementsUpdated');
    expect(await textOf('#environment')).toContain('env-tollgate-local');
  });

  it('moves a customer to a plan from the page: the admin API and the page both show it', async () => {
    const card = await customerCard(page, 'customer-nosub');
    const select = await card.$('[data-role="plan-select"]');
    await select!.select('plan-free');
    await clickInCard('customer-nosub', 'move-plan');

    await until(
      async () => (await admin('GET', '/_admin/customers/customer-nosub')).subscriptions[0]?.planId === 'plan-free',
      'the admin API to show customer-nosub on plan-free',
    );
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>('[data-customer-id]')]
          .find((c) => c.dataset.customerId === 'customer-nosub')
          ?.querySelector('[data-plan-id="plan-free"]') !== null,
      { timeout: 10_000 },
    );
    await waitForUsage(page, 'customer-nosub', 'feature-api-calls', 0);
    expect(await meterState(page, 'customer-nosub', 'feature-api-calls')).toMatchObject({ used: 0, limit: 100 });
  });

  it('a metered request to the demo app moves that customer usage bar', async () => {
    // The demo's Tollgate client learns the new plan from the stream; then the metered route admits the request.
    await until(
      async () =>
        (await demo.tollgate.check({ customerId: 'customer-nosub', featureId: 'feature-api-calls' })).hasAccess,
      'the demo app to see customer-nosub entitled',
    );
    const sent = Date.now();
    const res = await fetch(`${demo.url}/api/reports`, { method: 'POST', headers: { 'x-api-token': 'demo-nosub' } });
    expect(res.status).toBe(200);
    await waitForUsage(page, 'customer-nosub', 'feature-api-calls', 1);
    console.log(
      `usage bar moved ${Date.now() - sent} ms after the metered request (the demo flushes usage every 500 ms)`,
    );
    const meter = await meterState(page, 'customer-nosub', 'feature-api-calls');
    expect(meter).toMatchObject({ used: 1, limit: 100 });
    expect(meter!.figure).toBe('1 / 100 calls');
    expect(meter!.fillPercent).toBeGreaterThan(0);
    expect((await admin('GET', '/_admin/customers/customer-nosub')).entitlements).toContainEqual(
      expect.objectContaining({ featureId: 'feature-api-calls', currentUsage: 1 }),
    );
  });

  it('sets usage from the page', async () => {
    const card = await customerCard(page, 'customer-free');
    await (await card.$('[data-role="usage-feature"]'))!.select(JSON.stringify([null, 'feature-api-calls']));
    await (await card.$('[data-role="usage-value"]'))!.type('75');
    await clickInCard('customer-free', 'set-usage');
    await waitForUsage(page, 'customer-free', 'feature-api-calls', 75);
    const usage = (await admin('GET', '/_admin/customers/customer-free')).entitlements.find(
      (e: any) => e.featureId === 'feature-api-calls',
    );
    expect(usage).toMatchObject({ currentUsage: 75, usageLimit: 100 });
    expect(await meterState(page, 'customer-free', 'feature-api-calls')).toMatchObject({
      figure: '75 / 100 calls',
      fillPercent: 75,
      level: 'high',
    });
  });

  it('injects and clears a fault, toggles the rate-limit emulation and drops streams from the page', async () => {
    await page.type('#fault-operations', 'products');
    await page.click('#inject-fault');
    await until(async () => (await admin('GET', '/_admin/faults')).faults.length === 1, 'the fault to be injected');
    expect((await admin('GET', '/_admin/faults')).faults[0]).toMatchObject({ operations: ['products'], status: 503 });
    await page.waitForSelector('#fault-list li');
    expect(await textOf('#fault-list')).toContain('HTTP 503 on products');

    await page.click('#clear-faults');
    await until(async () => (await admin('GET', '/_admin/faults')).faults.length === 0, 'the faults to be cleared');
    await page.waitForFunction(() => document.querySelectorAll('#fault-list li').length === 0);

    await page.click('label.switch-row');
    await until(async () => (await admin('GET', '/_admin/rate-limits')).enabled === true, 'rate limits on');
    await page.waitForFunction(() => document.getElementById('rate-limits-detail')?.textContent?.startsWith('On'));
    await page.click('label.switch-row');
    await until(async () => (await admin('GET', '/_admin/rate-limits')).enabled === false, 'rate limits off');

    const before = await page.$$eval('#stream-list li', (items) =>
      items.map((li) => Number((li as HTMLElement).dataset.streamId)),
    );
    expect(before.length).toBeGreaterThan(0);
    await page.click('#drop-streams');
    await page.waitForFunction(() => /Dropped [1-9]/.test(document.getElementById('toast')?.textContent ?? ''));
    // The demo's client reconnects: a new connection replaces the dropped one on the page.
    await page.waitForFunction(
      (dropped: number[]) => {
        const ids = [...document.querySelectorAll<HTMLElement>('#stream-list li')].map((li) =>
          Number(li.dataset.streamId),
        );
        return ids.length > 0 && ids.every((id) => !dropped.includes(id));
      },
      { timeout: 15_000 },
      before,
    );
  });

  it('shows customer ids and names as text, never as markup', async () => {
    const hostile = `<img src=x onerror="document.title='injected'">"'&amp;`;
    const res = await fetch(demo.stigg!.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' },
      body: JSON.stringify({
        query:
          'mutation P($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { customerId } } }',
        variables: { input: { customerId: hostile, name: `<b>${hostile}</b>` } },
      }),
    });
    expect((await res.json()).data.provisionCustomer.customer.customerId).toBe(hostile);
    const card = await customerCard(page, hostile);
    expect(await card.evaluate((el) => el.querySelector('.name')?.textContent)).toBe(`<b>${hostile}</b>`);
    expect(await card.evaluate((el) => el.querySelector('.id')?.textContent)).toBe(hostile);
    expect(await card.evaluate((el) => el.querySelectorAll('img, b').length)).toBe(0);
    expect(await page.title()).toBe('stigg-local dashboard');
  });

  it('asks for the admin token when stigg-local has one, and works with it', async () => {
    const guarded = await startStiggLocal({ adminToken: 'local-secret', log: () => {} });
    const tab = await browser.newPage();
    try {
      await tab.goto(guarded.dashboardUrl);
      await tab.waitForSelector('#unlock-form', { visible: true });
      expect(await tab.$eval('#connection', (el) => (el as HTMLElement).dataset.state)).toBe('locked');
      await tab.type('#unlock-token', 'local-secret');
      await tab.click('#unlock-form button[type="submit"]');
      await tab.waitForFunction(() => document.getElementById('connection')?.dataset.state === 'live');
      await customerCard(tab, 'customer-pro');
      expect(await tab.$eval('#unlock', (el) => (el as HTMLElement).hidden)).toBe(true);
    } finally {
      await tab.close();
      await guarded.close();
    }
  });

  it('saves a screenshot and met no page error', async () => {
    mkdirSync(resolve('test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT as `${string}.png`, fullPage: true });
    console.log(`dashboard screenshot: ${SCREENSHOT}`);
    expect(pageErrors).toEqual([]);
  });
});
