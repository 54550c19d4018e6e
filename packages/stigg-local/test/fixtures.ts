import { loadDemoCatalog, type Catalog } from '@tollgate/stigg-local';

/**
 * The demo catalog plus what the demo does not exercise: every reset period, soft limits, a plan that inherits
 * a feature it does not override, a custom plan, and a product with several subscriptions per customer.
 */
export function testCatalog(): Catalog {
  const demo = loadDemoCatalog();
  return {
    ...demo,
    products: [...demo.products, { id: 'product-sites', displayName: 'Sites', multipleSubscriptions: true }],
    features: [
      ...demo.features,
      { id: 'feature-hourly', displayName: 'Hourly', type: 'NUMBER', meterType: 'Incremental', resetPeriod: 'HOUR' },
      { id: 'feature-daily', displayName: 'Daily', type: 'NUMBER', meterType: 'Incremental', resetPeriod: 'DAY' },
      {
        id: 'feature-weekly',
        displayName: 'Weekly',
        type: 'NUMBER',
        meterType: 'Incremental',
        resetPeriod: 'WEEK',
        weeklyAccordingTo: 'EveryMonday',
      },
      { id: 'feature-yearly', displayName: 'Yearly', type: 'NUMBER', meterType: 'Incremental', resetPeriod: 'YEAR' },
      {
        id: 'feature-calendar',
        displayName: 'Calendar month',
        type: 'NUMBER',
        meterType: 'Incremental',
        resetPeriod: 'MONTH',
        monthlyAccordingTo: 'StartOfTheMonth',
      },
      {
        id: 'feature-tokens',
        displayName: 'Tokens',
        type: 'NUMBER',
        meterType: 'Incremental',
        eventName: 'completion',
        eventValueDimension: 'tokens',
      },
      { id: 'feature-pages', displayName: 'Pages', type: 'NUMBER', meterType: 'Fluctuating' },
    ],
    plans: [
      ...demo.plans,
      {
        id: 'plan-periods',
        product: 'product-tollgate-demo',
        displayName: 'Periods',
        entitlements: [
          { feature: 'feature-hourly', limit: 10 },
          { feature: 'feature-daily', limit: 10 },
          { feature: 'feature-weekly', limit: 10 },
          { feature: 'feature-yearly', limit: 10 },
          { feature: 'feature-calendar', limit: 10 },
          { feature: 'feature-api-calls', limit: 10, softLimit: true },
          { feature: 'feature-tokens', limit: 1000 },
        ],
      },
      {
        id: 'plan-team',
        product: 'product-tollgate-demo',
        displayName: 'Team',
        basePlan: 'plan-pro',
        entitlements: [{ feature: 'feature-seats', limit: 25 }],
      },
      {
        id: 'plan-custom',
        product: 'product-tollgate-demo',
        displayName: 'Custom',
        pricingType: 'CUSTOM',
        entitlements: [{ feature: 'feature-analytics' }],
      },
      {
        id: 'plan-site-basic',
        product: 'product-sites',
        displayName: 'Site basic',
        entitlements: [{ feature: 'feature-pages', limit: 5 }],
      },
      {
        id: 'plan-site-plus',
        product: 'product-sites',
        displayName: 'Site plus',
        entitlements: [{ feature: 'feature-pages', limit: 50 }],
      },
    ],
  };
}
