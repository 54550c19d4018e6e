/** `dataFile`: state written atomically, and the same after a restart. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { entitlements, gqlOk, start } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'stigg-local-'));
  dirs.push(dir);
  return join(dir, 'state.json');
};

describe('persistence', () => {
  it('keeps customers, subscriptions, usage and idempotency keys across a restart', async () => {
    const dataFile = tempFile();
    let server = await start({ dataFile });
    await gqlOk(
      server,
      `mutation { provisionCustomer(input: {customerId: "kept", name: "Kept", subscriptionParams: {planId: "plan-pro", billingPeriod: MONTHLY}}) { customer { id } } }`,
    );
    await gqlOk(
      server,
      `mutation { reportUsageBulk(input: {usages: [{customerId: "kept", featureId: "feature-api-calls", value: 42, idempotencyKey: "k-1"}]}) { id } }`,
    );
    server.admin.setPlan('customer-free', 'plan-enterprise');
    await server.close();

    const saved = JSON.parse(readFileSync(dataFile, 'utf8'));
    expect(saved.version).toBe(1);
    expect(saved.customers.map((c: { customerId: string }) => c.customerId)).toContain('kept');

    server = await start({ dataFile });
    const kept = await entitlements(server, 'kept');
    expect(kept['feature-api-calls']).toMatchObject({ usageLimit: 10000, currentUsage: 42 });
    expect((await entitlements(server, 'customer-free'))['feature-seats']?.hasUnlimitedUsage).toBe(true);
    const name = await gqlOk(server, `{ getCustomerByRefId(input: {customerId: "kept"}) { name } }`);
    expect(name.getCustomerByRefId.name).toBe('Kept');
    await gqlOk(
      server,
      `mutation { reportUsageBulk(input: {usages: [{customerId: "kept", featureId: "feature-api-calls", value: 42, idempotencyKey: "k-1"}]}) { id } }`,
    );
    expect((await entitlements(server, 'kept'))['feature-api-calls']?.currentUsage).toBe(42);
    expect(server.admin.stats().usage.duplicates).toBe(1);
    await server.close();
  });

  it('writes shortly after a change, not only at close', async () => {
    const dataFile = tempFile();
    const server = await start({ dataFile });
    await gqlOk(server, `mutation { provisionCustomer(input: {customerId: "soon"}) { customer { id } } }`);
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(dataFile, 'utf8')).toContain('"soon"');
    await server.close();
  });

  it('refuses a corrupt data file with a message that says what to do', async () => {
    const dataFile = tempFile();
    writeFileSync(dataFile, '{ not json');
    await expect(start({ dataFile })).rejects.toThrow(/not valid JSON.*move it away/);
  });
});
