/** Bulk imports: customers (the updatedAt rule), subscriptions (an asynchronous task that records what it skipped). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { entitlements, gql, gqlOk, start, waitFor } from './helpers.js';
import { testCatalog } from './fixtures.js';

let server: StiggLocal;
beforeEach(async () => {
  server = await start({ catalog: testCatalog() });
});
afterEach(() => server.close());

const CUSTOMERS = `mutation C($input: ImportCustomerBulkInput!) { importCustomersBulk(input: $input) }`;
const SUBSCRIPTIONS = `mutation S($input: ImportSubscriptionsBulkInput!) { importSubscriptionsBulk(input: $input) }`;
const TASK = `query T($id: UUID!) { importIntegrationTasks(filter: {id: {eq: $id}}) { edges { node {
  id status taskType progress totalSubtasksCount customersCount importErrors { id error } } } } }`;
const CUSTOMER = `query C($id: String!) { getCustomerByRefId(input: {customerId: $id}) { name email updatedAt additionalMetaData } }`;

async function runImport(subscriptions: Record<string, unknown>[]) {
  const { importSubscriptionsBulk: id } = await gqlOk(server, SUBSCRIPTIONS, { input: { subscriptions } });
  return waitFor(async () => {
    const task = (await gqlOk(server, TASK, { id })).importIntegrationTasks.edges[0]?.node;
    return task && !['PENDING', 'IN_PROGRESS'].includes(task.status) ? task : null;
  }, 'import task');
}

describe('customer import', () => {
  it('creates and updates customers, skipping records older than what is held', async () => {
    await gqlOk(server, CUSTOMERS, {
      input: {
        customers: [
          {
            customerId: 'imp-1',
            name: 'One',
            email: 'one@example.com',
            updatedAt: '2026-01-01T00:00:00.000Z',
            additionalMetaData: { tier: 'a' },
          },
          { customerId: 'imp-2', name: 'Two' },
        ],
      },
    });
    expect((await gqlOk(server, CUSTOMER, { id: 'imp-1' })).getCustomerByRefId).toMatchObject({
      name: 'One',
      additionalMetaData: { tier: 'a' },
    });
    const stale = await gqlOk(server, CUSTOMERS, {
      input: { customers: [{ customerId: 'imp-1', name: 'Old name', updatedAt: '2025-06-01T00:00:00.000Z' }] },
    });
    expect(stale.importCustomersBulk).toContain('1 skipped');
    expect((await gqlOk(server, CUSTOMER, { id: 'imp-1' })).getCustomerByRefId.name).toBe('One');
    await gqlOk(server, CUSTOMERS, {
      input: { customers: [{ customerId: 'imp-1', name: 'New name', updatedAt: '2026-02-01T00:00:00.000Z' }] },
    });
    expect((await gqlOk(server, CUSTOMER, { id: 'imp-1' })).getCustomerByRefId).toMatchObject({
      name: 'New name',
      updatedAt: '2026-02-01T00:00:00.000Z',
    });
    const rerun = await gqlOk(server, CUSTOMERS, {
      input: { customers: [{ customerId: 'imp-1', name: 'New name', updatedAt: '2026-02-01T00:00:00.000Z' }] },
    });
    expect(rerun.importCustomersBulk).toContain('1 unchanged');
  });

  it('rejects a batch with a record without customerId, naming its index', async () => {
    const r = await gql(server, CUSTOMERS, { input: { customers: [{ customerId: 'ok' }, { name: 'no id' }] } });
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: 'BadUserInput' } });
    expect(r.errors?.[0]?.message).toContain('customers[1]');
  });
});

describe('subscription import', () => {
  it('runs as a task, imports the valid records and records why the others were skipped', async () => {
    await gqlOk(server, CUSTOMERS, {
      input: { customers: [{ customerId: 's-1' }, { customerId: 's-2' }, { customerId: 's-3' }] },
    });
    const task = await runImport([
      {
        customerId: 's-1',
        planId: 'plan-pro',
        billingPeriod: 'MONTHLY',
        addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
      },
      { customerId: 's-2', planId: 'plan-nope' },
      { customerId: 'missing', planId: 'plan-free' },
      { customerId: 's-3', planId: 'plan-pro' }, // paid plan without billingPeriod
      {
        customerId: 's-3',
        planId: 'plan-custom',
        entitlements: [
          { feature: { featureId: 'feature-api-calls', usageLimit: 777 } },
          { credit: { customCurrencyId: 'c', amount: 1, cadence: 'MONTH' } },
        ],
      },
    ]);
    expect(task).toMatchObject({
      status: 'PARTIALLY_FAILED',
      taskType: 'IMPORT_SUBSCRIPTIONS_BULK',
      progress: 100,
      totalSubtasksCount: 5,
    });
    expect(task.importErrors.map((e: { id: string }) => e.id)).toEqual(['1:s-2', '2:missing', '3:s-3']);
    expect(task.importErrors[0].error).toMatch(/PlanNotFound.*plan-nope/);
    expect(task.importErrors[1].error).toMatch(/CustomerNotFound/);
    expect(task.importErrors[2].error).toMatch(/billingPeriod/);
    expect((await entitlements(server, 's-1'))['feature-seats']?.usageLimit).toBe(15);
    const custom = await entitlements(server, 's-3');
    expect(custom['feature-api-calls']?.usageLimit).toBe(777);
    expect(custom['feature-analytics']?.isGranted).toBe(true);
  });

  it('rejects entitlements with both feature and credit, and entitlements on non-custom plans', async () => {
    await gqlOk(server, CUSTOMERS, { input: { customers: [{ customerId: 'c-1' }] } });
    const task = await runImport([
      {
        customerId: 'c-1',
        planId: 'plan-custom',
        entitlements: [
          {
            feature: { featureId: 'feature-seats', usageLimit: 1 },
            credit: { customCurrencyId: 'c', amount: 1, cadence: 'MONTH' },
          },
        ],
      },
      {
        customerId: 'c-1',
        planId: 'plan-free',
        entitlements: [{ feature: { featureId: 'feature-seats', usageLimit: 1 } }],
      },
    ]);
    expect(task.status).toBe('FAILED');
    expect(task.importErrors[0].error).toContain('exactly one of feature or credit');
    expect(task.importErrors[1].error).toContain('only accepted for custom plans');
  });

  it('changes nothing when run again, and skips records older than the subscription held', async () => {
    await gqlOk(server, CUSTOMERS, { input: { customers: [{ customerId: 'r-1' }] } });
    const records = [
      {
        customerId: 'r-1',
        planId: 'plan-pro',
        billingPeriod: 'ANNUALLY',
        startDate: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-02T00:00:00.000Z',
      },
    ];
    await runImport(records);
    const before = await gqlOk(
      server,
      `{ getActiveSubscriptions(input: {customerId: "r-1"}) { subscriptionId startDate billingId } }`,
    );
    const pushedBefore = server.admin.stats();
    expect((await runImport(records)).status).toBe('COMPLETED');
    expect(
      await gqlOk(
        server,
        `{ getActiveSubscriptions(input: {customerId: "r-1"}) { subscriptionId startDate billingId } }`,
      ),
    ).toEqual(before);
    expect(pushedBefore.calls.importSubscriptionsBulk).toBe(1);
    await runImport([
      { ...records[0], planId: 'plan-enterprise', updatedAt: '2025-12-01T00:00:00.000Z', billingPeriod: undefined },
    ]);
    const after = await gqlOk(server, `{ getActiveSubscriptions(input: {customerId: "r-1"}) { plan { refId } } }`);
    expect(after.getActiveSubscriptions).toEqual([{ plan: { refId: 'plan-pro' } }]);
  });

  it('refuses a second import while one runs', async () => {
    const customers = Array.from({ length: 3000 }, (_, i) => ({ customerId: `bulk-${i}` }));
    for (let i = 0; i < customers.length; i += 1000)
      await gqlOk(server, CUSTOMERS, { input: { customers: customers.slice(i, i + 1000) } });
    const subs = customers.map((c) => ({ customerId: c.customerId, planId: 'plan-free' }));
    const first = await gqlOk(server, SUBSCRIPTIONS, { input: { subscriptions: subs } });
    const second = await gql(server, SUBSCRIPTIONS, { input: { subscriptions: subs.slice(0, 1) } });
    expect(second.errors?.[0]?.extensions.code).toBe('ImportAlreadyInProgress');
    await waitFor(
      async () =>
        (await gqlOk(server, TASK, { id: first.importSubscriptionsBulk })).importIntegrationTasks.edges[0].node
          .status === 'COMPLETED',
      'import',
    );
    expect((await entitlements(server, 'bulk-2999'))['feature-seats']?.usageLimit).toBe(2);
  });
});
