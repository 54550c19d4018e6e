/**
 * Paid subscriptions answer their prices as Stigg does: the plan's flat fee for the billing period in `prices`,
 * the add-ons and the coupon in `totalPrice`; plans answer theirs in `prices`. Over real HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StiggLocal } from '@tollgate/stigg-local';
import { gqlOk, start } from './helpers.js';

let server: StiggLocal;
beforeEach(async () => {
  server = await start();
});
afterEach(() => server.close());

const PRICE = 'billingModel billingPeriod billingCadence price { amount currency }';
const SUBSCRIPTION = `subscriptionId pricingType prices { usageLimit price { ${PRICE} } }
  totalPrice { subTotal { amount currency } total { amount currency } }`;
const GET = `query G($id: String!) { getSubscription(input: {subscriptionId: $id}) { ${SUBSCRIPTION} } }`;
const PROVISION = `mutation P($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { subscription { ${SUBSCRIPTION} } } }`;

const flatFee = (billingPeriod: string, amount: number) => ({
  billingModel: 'FLAT_FEE',
  billingPeriod,
  billingCadence: 'RECURRING',
  price: { amount, currency: 'USD' },
});
const usd = (amount: number) => ({ amount, currency: 'USD' });

async function provision(input: Record<string, unknown>) {
  const customerId = `prices-${Math.random().toString(36).slice(2)}`;
  await gqlOk(
    server,
    `mutation C($id: String!) { provisionCustomer(input: {refId: $id}) { customer { customerId } } }`,
    {
      id: customerId,
    },
  );
  return (await gqlOk(server, PROVISION, { input: { customerId, ...input } })).provisionSubscriptionV2.subscription;
}

describe('subscription prices', () => {
  it('answers a paid subscription with its plan price and total', async () => {
    const pro = (await gqlOk(server, GET, { id: 'subscription-customer-pro-plan-pro' })).getSubscription;
    expect(pro).toMatchObject({
      pricingType: 'PAID',
      prices: [{ usageLimit: null, price: flatFee('MONTHLY', 49) }],
      totalPrice: { subTotal: usd(49), total: usd(49) },
    });
  });

  it('takes the price of the billing period and adds the add-ons, unit by unit', async () => {
    const annual = await provision({
      planId: 'plan-pro',
      billingPeriod: 'ANNUALLY',
      addons: [{ addonId: 'addon-extra-seats', quantity: 2 }],
    });
    expect(annual).toMatchObject({
      prices: [{ price: flatFee('ANNUALLY', 490) }],
      totalPrice: { subTotal: usd(690), total: usd(690) },
    });
    const updated = await gqlOk(
      server,
      `mutation U($input: UpdateSubscriptionInput!) { updateOneSubscription(input: $input) { ${SUBSCRIPTION} } }`,
      { input: { refId: annual.subscriptionId, billingPeriod: 'MONTHLY' } },
    );
    expect(updated.updateOneSubscription).toMatchObject({
      prices: [{ price: flatFee('MONTHLY', 49) }],
      totalPrice: { subTotal: usd(69), total: usd(69) },
    });
  });

  it('answers free and custom subscriptions without prices', async () => {
    const free = (await gqlOk(server, GET, { id: 'subscription-customer-free-plan-free' })).getSubscription;
    expect(free).toMatchObject({ pricingType: 'FREE', prices: [], totalPrice: null });
    const custom = (await gqlOk(server, GET, { id: 'subscription-customer-enterprise-plan-enterprise' }))
      .getSubscription;
    expect(custom).toMatchObject({ pricingType: 'CUSTOM', prices: [], totalPrice: null });
  });

  it('takes the customer coupon off the total', async () => {
    await gqlOk(
      server,
      `mutation C { provisionCustomer(input: {refId: "with-coupon", couponRefId: "coupon-launch-20"}) { customer { customerId } } }`,
    );
    const sub = (
      await gqlOk(server, PROVISION, {
        input: { customerId: 'with-coupon', planId: 'plan-pro', billingPeriod: 'MONTHLY' },
      })
    ).provisionSubscriptionV2.subscription;
    expect(sub.totalPrice).toEqual({ subTotal: usd(49), total: usd(39.2) });
  });
});

describe('plan prices', () => {
  it('answers each plan and add-on with its prices', async () => {
    const data = await gqlOk(
      server,
      `query P { paywall(input: {}) { plans { refId pricingType prices { ${PRICE} }
        compatibleAddons { refId pricingType prices { ${PRICE} } } } } }`,
    );
    const plans = Object.fromEntries(data.paywall.plans.map((p: { refId: string }) => [p.refId, p])) as Record<
      string,
      { pricingType: string; prices: unknown[]; compatibleAddons: unknown[] }
    >;
    expect(plans['plan-pro']).toEqual({
      refId: 'plan-pro',
      pricingType: 'PAID',
      prices: [flatFee('MONTHLY', 49), flatFee('ANNUALLY', 490)],
      compatibleAddons: [
        {
          refId: 'addon-extra-seats',
          pricingType: 'PAID',
          prices: [flatFee('MONTHLY', 10), flatFee('ANNUALLY', 100)],
        },
      ],
    });
    expect(plans['plan-free']).toMatchObject({ pricingType: 'FREE', prices: [] });
  });
});
