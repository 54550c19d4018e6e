/** Reading the stigg-local dashboard in a page: customer cards and their usage bars, found by data, not by markup. */
import type { ElementHandle, Page } from 'puppeteer-core';

/** The card of a customer, once shown (ids are compared as data: any characters work). */
export async function customerCard(page: Page, customerId: string, timeout = 10_000): Promise<ElementHandle<Element>> {
  const handle = await page.waitForFunction(
    (id) =>
      [...document.querySelectorAll<HTMLElement>('#customer-list [data-customer-id]')].find(
        (card) => card.dataset.customerId === id,
      ),
    { timeout },
    customerId,
  );
  return handle as ElementHandle<Element>;
}

export interface MeterState {
  /** `aria-valuenow`: the usage shown. */
  used: number;
  /** `aria-valuemax`: the limit, `null` when unlimited. */
  limit: number | null;
  /** The figure beside it, e.g. `1 / 100 calls`. */
  figure: string;
  /** Width of the filled part, in % of the bar. */
  fillPercent: number;
  /** `ok`, `high` (75% or more), `full` (the limit reached) or `unlimited`. */
  level: string;
}

/** A customer's usage bar of one feature (customer-level), or null when the card has none. */
export function meterState(page: Page, customerId: string, featureId: string): Promise<MeterState | null> {
  return page.evaluate(
    (id, feature) => {
      const card = [...document.querySelectorAll<HTMLElement>('#customer-list [data-customer-id]')].find(
        (c) => c.dataset.customerId === id,
      );
      const meter = [...(card?.querySelectorAll<HTMLElement>('.meter') ?? [])].find(
        (m) => m.dataset.featureId === feature && m.dataset.resourceId === '',
      );
      const bar = meter?.querySelector<HTMLElement>('[role="progressbar"]');
      if (!meter || !bar) return null;
      const fill = bar.firstElementChild as HTMLElement;
      return {
        used: Number(bar.getAttribute('aria-valuenow')),
        limit: bar.hasAttribute('aria-valuemax') ? Number(bar.getAttribute('aria-valuemax')) : null,
        figure: meter.querySelector('.meter-figure')?.textContent ?? '',
        fillPercent: Number.parseFloat(fill.style.width),
        level: bar.dataset.level ?? '',
      };
    },
    customerId,
    featureId,
  );
}

/** Waits until the page shows this usage on a customer's bar (the DOM condition, not a fixed sleep). */
export async function waitForUsage(
  page: Page,
  customerId: string,
  featureId: string,
  used: number,
  timeout = 10_000,
): Promise<void> {
  await page.waitForFunction(
    (id, feature, value) => {
      const card = [...document.querySelectorAll<HTMLElement>('#customer-list [data-customer-id]')].find(
        (c) => c.dataset.customerId === id,
      );
      const meter = [...(card?.querySelectorAll<HTMLElement>('.meter') ?? [])].find(
        (m) => m.dataset.featureId === feature && m.dataset.resourceId === '',
      );
      return meter?.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow') === String(value);
    },
    { timeout },
    customerId,
    featureId,
    used,
  );
}
