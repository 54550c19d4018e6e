import { loadDemoCatalog, type Catalog } from '@tollgate/stigg-local';

/** The demo catalog plus a feature paid in AI-token credits (the demo has the currency) and a plan granting it. */
export function creditCatalog(): Catalog {
  const demo = loadDemoCatalog();
  return {
    ...demo,
    features: [
      ...demo.features,
      {
        id: 'feature-ai-tokens',
        displayName: 'AI tokens',
        type: 'NUMBER',
        meterType: 'Incremental',
        creditRate: { currency: 'credits-ai-tokens', amount: 2 },
      },
    ],
    plans: [
      ...demo.plans,
      {
        id: 'plan-ai',
        product: 'product-tollgate-demo',
        displayName: 'AI',
        entitlements: [{ feature: 'feature-ai-tokens', limit: 'unlimited' }],
      },
    ],
  };
}
