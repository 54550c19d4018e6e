/**
 * A promotion code must be one the catalog gives a coupon: Stigg refuses any other with `PromotionCodeNotFound`,
 * and nothing of the request is applied. A valid code applies its coupon to the subscription. Over real HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { gql, gqlOk, start } from './helpers.js';

let server: StiggLocal;
beforeEach(async () => {
  server = await start();
});
afterEach(() => server.close());

const TOTAL = 'totalPrice { total { amount } }';
const PROVISION = `mutation P($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { subscription { subscriptionId ${TOTAL} } } }`;
const ACTIVE = `query A($id: String!) { getActiveSubscriptions(input: {customerId: $id}) { plan { refId } } }`;
const toPro = (extra: Record<string, unknown>) => ({
  customerId: 'customer-free',
  planId: 'plan-pro',
  billingPeriod: 'MONTHLY',
  ...extra,
});

const activePlans = async (id: string) =>
  (await gqlOk(server, ACTIVE, { id })).getActiveSubscriptions.map((s: { plan: { refId: string } }) => s.plan.refId);

describe('promotion codes', () => {
  it('refuses an unknown code with PromotionCodeNotFound and provisions nothing', async () => {
    for (const extra of [{ promotionCode: 'NOT-A-CODE' }, { appliedCoupon: { promotionCode: 'NOT-A-CODE' } }]) {
      const r = await gql(server, PROVISION, { input: toPro(extra) });
      expect(r.errors?.[0]).toMatchObject({
        message: 'Promotion code not found: NOT-A-CODE',
        extensions: { code: 'PromotionCodeNotFound' },
      });
    }
    expect(await activePlans('customer-free')).toEqual(['plan-free']);
  });

  it('refuses it on provisionCustomer before the customer is created', async () => {
    const r = await gql(
      server,
      `mutation P($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { customerId } } }`,
      {
        input: {
          refId: 'promo-new',
          subscriptionParams: { planId: 'plan-pro', billingPeriod: 'MONTHLY', promotionCode: 'NOT-A-CODE' },
        },
      },
    );
    expect(r.errors?.[0]?.extensions.code).toBe('PromotionCodeNotFound');
    const read = await gql(server, `query { getCustomerByRefId(input: {customerId: "promo-new"}) { customerId } }`);
    expect(read.errors?.[0]?.extensions.code).toBe('CustomerNotFound');
  });

  it('refuses it on updateOneSubscription, leaving the subscription as it was', async () => {
    const update = `mutation U($input: UpdateSubscriptionInput!) { updateOneSubscription(input: $input) { ${TOTAL} } }`;
    const r = await gql(server, update, {
      input: { refId: 'subscription-customer-pro-plan-pro', promotionCode: 'NOT-A-CODE' },
    });
    expect(r.errors?.[0]?.extensions.code).toBe('PromotionCodeNotFound');
    const ok = await gqlOk(server, update, {
      input: { refId: 'subscription-customer-pro-plan-pro', promotionCode: 'LAUNCH20' },
    });
    expect(ok.updateOneSubscription.totalPrice.total.amount).toBe(39.2);
  });

  it('refuses an unknown coupon id with CouponNotFound', async () => {
    const r = await gql(server, PROVISION, { input: toPro({ appliedCoupon: { couponId: 'coupon-nope' } }) });
    expect(r.errors?.[0]?.extensions.code).toBe('CouponNotFound');
  });

  it('applies the coupon of a valid code, whatever its case', async () => {
    const sub = (await gqlOk(server, PROVISION, { input: toPro({ promotionCode: 'launch20' }) }))
      .provisionSubscriptionV2.subscription;
    expect(sub.totalPrice.total.amount).toBe(39.2);
    expect(await activePlans('customer-free')).toEqual(['plan-pro']);
  });
});
