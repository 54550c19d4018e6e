/**
 * Archiving a customer does what Stigg documents: its PII (name, email) is erased, the API no longer returns it
 * (`CustomerNotFound`, as for an id never seen), and a new customer cannot take its id. Over real HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { gql, gqlOk, start } from './helpers.js';

let server: StiggLocal;
beforeEach(async () => {
  server = await start();
});
afterEach(() => server.close());

const GET = `query G($id: String!) { getCustomerByRefId(input: {customerId: $id}) { customerId name email } }`;
const archive = (id: string) =>
  gqlOk(server, `mutation A($id: String!) { archiveCustomer(input: {customerId: $id}) { customerId } }`, { id });
const unarchive = (id: string) =>
  gqlOk(server, `mutation U($id: String!) { unarchiveCustomer(input: {customerId: $id}) { customerId name email } }`, {
    id,
  });
const codeOf = async (query: string, variables: Record<string, unknown>) => {
  const r = await gql(server, query, variables);
  return r.errors?.[0]?.extensions.code ?? null;
};

describe('archived customers', () => {
  it('lose their name and email for good', async () => {
    expect(server.admin.customer('customer-pro')).toMatchObject({ name: 'Pro Co', email: 'owner@pro.example' });
    expect((await archive('customer-pro')).archiveCustomer).toEqual({ customerId: 'customer-pro' });
    expect(server.admin.customer('customer-pro')).toMatchObject({ archived: true, name: null, email: null });
    expect(JSON.stringify(server.admin.state())).not.toMatch(/Pro Co|owner@pro\.example/);
    expect((await unarchive('customer-pro')).unarchiveCustomer).toEqual({
      customerId: 'customer-pro',
      name: null,
      email: null,
    });
  });

  it('are not returned: getCustomerByRefId answers CustomerNotFound, as for an unknown id', async () => {
    expect((await gqlOk(server, GET, { id: 'customer-pro' })).getCustomerByRefId.customerId).toBe('customer-pro');
    await archive('customer-pro');
    const archived = await gql(server, GET, { id: 'customer-pro' });
    const unknown = await gql(server, GET, { id: 'customer-never-seen' });
    expect(archived.errors?.[0]).toMatchObject({
      message: 'Customer not found: customer-pro',
      extensions: { code: 'CustomerNotFound' },
    });
    expect(unknown.errors?.[0]?.extensions.code).toBe('CustomerNotFound');
    expect(archived.data?.getCustomerByRefId ?? null).toBeNull();
    await unarchive('customer-pro');
    expect((await gqlOk(server, GET, { id: 'customer-pro' })).getCustomerByRefId.customerId).toBe('customer-pro');
  });

  it('are hidden from every customer read and write of the API', async () => {
    await archive('customer-pro');
    const id = 'customer-pro';
    expect(
      await codeOf(`query Q($id: String!) { getActiveSubscriptions(input: {customerId: $id}) { subscriptionId } }`, {
        id,
      }),
    ).toBe('CustomerNotFound');
    expect(
      await codeOf(`query Q($id: String!) { paywall(input: {customerId: $id}) { plans { refId } } }`, { id }),
    ).toBe('CustomerNotFound');
    expect(
      await codeOf(`mutation M($id: String!) { updateOneCustomer(input: {refId: $id, name: "Back"}) { name } }`, {
        id,
      }),
    ).toBe('CustomerNotFound');
    expect(
      await codeOf(
        `mutation M($id: String!) { provisionSubscriptionV2(input: {customerId: $id, planId: "plan-free"}) { status } }`,
        { id },
      ),
    ).toBe('CustomerNotFound');
    expect(
      await codeOf(
        `mutation M($id: String!) { grantPromotionalEntitlements(input: {customerId: $id,
          promotionalEntitlements: [{featureId: "feature-analytics", period: ONE_WEEK}]}) { featureId } }`,
        { id },
      ),
    ).toBe('CustomerNotFound');
    // Their entitlements still answer, denied with Stigg's reason for it.
    const list = await gqlOk(
      server,
      `query E { cachedEntitlements(query: {customerId: "customer-pro"}) { accessDeniedReason } }`,
    );
    expect(new Set(list.cachedEntitlements.map((e: { accessDeniedReason: string }) => e.accessDeniedReason))).toEqual(
      new Set(['CustomerIsArchived']),
    );
  });

  it('keep their id: a new customer cannot take it, by provisioning or by import', async () => {
    await archive('customer-pro');
    const id = 'customer-pro';
    expect(
      await codeOf(
        `mutation M($id: String!) { provisionCustomer(input: {refId: $id, name: "New"}) { customer { customerId } } }`,
        { id },
      ),
    ).toBe('DuplicatedEntityNotAllowed');
    expect(
      await codeOf(
        `mutation M($id: String!) { importOneCustomer(input: {customerId: $id, name: "New"}) { customerId } }`,
        { id },
      ),
    ).toBe('DuplicatedEntityNotAllowed');
    expect(
      await codeOf(
        `mutation M($id: String!) { importCustomersBulk(input: {customers: [{customerId: $id, name: "New"}]}) }`,
        { id },
      ),
    ).toBe('DuplicatedEntityNotAllowed');
    expect(server.admin.customer(id)).toMatchObject({ archived: true, name: null });
  });
});
