import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';

/** Writes `{ "<key>": [ ... ] }` record by record, so a million records never sit in memory. */
export async function writeJsonArray(
  path: string,
  key: string,
  count: number,
  record: (i: number) => unknown,
): Promise<string> {
  const out = createWriteStream(path);
  out.write(`{\n  "${key}": [\n`);
  for (let i = 0; i < count; i += 1000) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) lines.push(`    ${JSON.stringify(record(j))}`);
    const ok = out.write(`${lines.join(',\n')}${i + 1000 < count ? ',' : ''}\n`);
    if (!ok) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end('  ]\n}\n');
  await finished(out);
  return path;
}

export const importCustomer = (i: number) => ({
  customerId: `imp-${i}`,
  name: `Customer ${i}`,
  email: `customer-${i}@example.com`,
  billingId: `cus_${i}`,
  updatedAt: '2026-01-01T00:00:00.000Z',
  metadata: { source: 'legacy-billing', cohort: String(i % 12) },
});

/** Against the demo catalog: a third on the free plan, the rest on Pro (some with an add-on). */
export const importSubscription = (i: number) =>
  i % 3 === 0
    ? { customerId: `imp-${i}`, planId: 'plan-free', startDate: '2026-01-01T00:00:00.000Z' }
    : {
        customerId: `imp-${i}`,
        planId: 'plan-pro',
        billingPeriod: i % 2 ? 'MONTHLY' : 'ANNUALLY',
        startDate: '2026-01-01T00:00:00.000Z',
        ...(i % 10 === 1 ? { addons: [{ addonId: 'addon-extra-seats', quantity: 1 }] } : {}),
      };

export const importUsage = (i: number) => ({ customerId: `imp-${i}`, featureId: 'feature-api-calls', usage: i % 90 });

/** One customer, subscription and usage record per index, for the demo catalog. */
export async function writeImportFiles(dir: string, count: number) {
  return {
    customers: await writeJsonArray(join(dir, 'customers.json'), 'customers', count, importCustomer),
    subscriptions: await writeJsonArray(join(dir, 'subscriptions.json'), 'subscriptions', count, importSubscription),
    usage: await writeJsonArray(join(dir, 'usage.json'), 'usages', count, importUsage),
  };
}
