// TypeScript compiled to CommonJS (a .cts file under nodenext): the `require` types and builds.
import assert from 'node:assert/strict';
import { isTollgateError, Tollgate, TollgateError } from '@tollgate/core';
import { createTestTollgate } from '@tollgate/core/testing';
import { entitlements } from '@tollgate/express';

async function main(): Promise<void> {
  const double = createTestTollgate();
  assert.ok(double.tollgate instanceof Tollgate);
  await double.grant('acme', 'feature-api-calls', { limit: 10, usage: 9 });
  const decision = await double.tollgate.check({
    customerId: 'acme',
    featureId: 'feature-api-calls',
    requestedUsage: 2,
  });
  assert.equal(decision.hasAccess, false);
  const err: unknown = await double.tollgate.getCustomer('acme').catch((e: unknown) => e);
  assert.ok(err instanceof TollgateError && isTollgateError(err));
  assert.equal(typeof entitlements({ client: double.tollgate, customerId: () => 'acme' }), 'function');
  await double.close();
  console.log('ts (cts, CommonJS): the double shares core classes; limits decided: ok');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
