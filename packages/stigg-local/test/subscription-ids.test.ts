/** Generated subscription ids never clash: at 100,000 subscriptions, eight random hex digits repeat about once. */
import { describe, expect, it, vi } from 'vitest';
import { gqlOk, start } from './helpers.js';
import { testCatalog } from './fixtures.js';

const TAKEN = '0badc0de-0000-4000-8000-000000000000';
let calls = 0;
vi.mock('../src/model/ids.js', async (original) => {
  const real = await original<typeof import('../src/model/ids.js')>();
  // The first ids drawn are all the same, as a clash would have them.
  return { ...real, newId: () => (++calls <= 4 ? TAKEN : real.newId()) };
});

describe('subscription ids', () => {
  it('draws again when a generated id is taken, so no subscription replaces another', async () => {
    const server = await start({ catalog: testCatalog() });
    try {
      await gqlOk(
        server,
        `mutation { importCustomersBulk(input: {customers: [{customerId: "id-1"}, {customerId: "id-2"}]}) }`,
      );
      calls = 0;
      const first = server.admin.setPlan('id-1', 'plan-free');
      const second = server.admin.setPlan('id-2', 'plan-free');
      expect(first.subscriptionId).toBe('subscription-plan-free-0badc0de');
      expect(second.subscriptionId).not.toBe(first.subscriptionId);
      const held = server.admin.state().subscriptions.filter((s) => s.customerId.startsWith('id-'));
      expect(held.map((s) => s.customerId).sort()).toEqual(['id-1', 'id-2']);
    } finally {
      await server.close();
    }
  });
});
