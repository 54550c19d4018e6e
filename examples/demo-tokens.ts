/**
 * The demo apps' API tokens and the demo customers they stand for. A real app authenticates its users and takes
 * the customer id from that, never from a raw header.
 */
export const DEMO_TOKENS: Record<string, string> = {
  'demo-free': 'customer-free',
  'demo-pro': 'customer-pro',
  'demo-enterprise': 'customer-enterprise',
  'demo-nosub': 'customer-nosub',
};
