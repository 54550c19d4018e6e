/** Record checks without a network: fields, types, enums, dates, the catalog; the duplicate index; the checkpoint. */
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StiggCatalog } from '@tollgate/core';
import { checkRecord, type Entity } from '../../packages/cli/src/import/records.js';
import { HashIndex } from '../../packages/cli/src/import/hash-index.js';
import { Checkpoint, CheckpointError, fingerprintOf } from '../../packages/cli/src/import/checkpoint.js';
import { emptySummary } from '../../packages/cli/src/import/summary.js';

const catalog: StiggCatalog = {
  plans: new Map([
    ['plan-free', { pricingType: 'FREE', productId: 'p' }],
    ['plan-pro', { pricingType: 'PAID', productId: 'p' }],
    ['plan-custom', { pricingType: 'CUSTOM', productId: 'p' }],
  ]),
  addons: new Set(['addon-seats']),
  features: new Map([
    ['feature-seats', { metered: true }],
    ['feature-flag', { metered: false }],
  ]),
};
const problem = (entity: Entity, record: unknown) => {
  const r = checkRecord(entity, record, catalog);
  return r.ok ? 'ok' : `${r.problem.code}: ${r.problem.reason}`;
};

describe('checkRecord', () => {
  it.each([
    ['customers', { customerId: 'a', email: 'a@x', metadata: { k: 'v' }, updatedAt: '2026-01-01T00:00:00Z' }, 'ok'],
    ['customers', { customerId: ' a' }, 'INVALID_FIELD: customerId " a" has leading or trailing spaces'],
    ['customers', { customerId: 7 }, 'INVALID_FIELD: customerId must be a string'],
    [
      'customers',
      { customerId: 'a', emial: 'a@x' },
      'UNKNOWN_FIELD: the customer has an unknown field "emial" (known: customerId, email, name, billingId, paymentMethodId, updatedAt, metadata, additionalMetaData)',
    ],
    [
      'customers',
      { customerId: 'a', metadata: {}, additionalMetaData: {} },
      'INVALID_FIELD: give metadata or additionalMetaData, not both',
    ],
    [
      'customers',
      { customerId: 'a', updatedAt: '2026-02-31T00:00:00Z' },
      'INVALID_DATE: updatedAt "2026-02-31T00:00:00Z" is not an ISO-8601 date',
    ],
    ['customers', { customerId: 'a', updatedAt: '2028-02-29' }, 'ok'],
    [
      'customers',
      { customerId: 'a', updatedAt: '31/01/2026' },
      'INVALID_DATE: updatedAt "31/01/2026" is not an ISO-8601 date',
    ],
    ['customers', 'a', 'INVALID_RECORD: a customer must be an object'],
    [
      'subscriptions',
      { customerId: 'a', planId: 'plan-pro' },
      'MISSING_FIELD: billingPeriod is required: plan "plan-pro" is paid',
    ],
    [
      'subscriptions',
      { customerId: 'a', planId: 'plan-pro', billingPeriod: 'WEEKLY' },
      'INVALID_FIELD: billingPeriod must be one of MONTHLY, ANNUALLY, got "WEEKLY"',
    ],
    [
      'subscriptions',
      { customerId: 'a', planId: 'plan-free', startDate: '2026-02-01', endDate: '2026-01-01' },
      'INVALID_DATE: endDate 2026-01-01 is not after startDate 2026-02-01',
    ],
    [
      'subscriptions',
      { customerId: 'a', planId: 'plan-free', addons: [{ addonId: 'addon-nope' }] },
      'UNKNOWN_ADDON: add-on "addon-nope" is not in Stigg\'s catalog',
    ],
    [
      'subscriptions',
      { customerId: 'a', planId: 'plan-free', billableFeatures: [{ featureId: 'feature-x', quantity: 1 }] },
      'UNKNOWN_FEATURE: feature "feature-x" is not in Stigg\'s catalog',
    ],
    [
      'subscriptions',
      { customerId: 'a', planId: 'plan-free', entitlements: [{ feature: { featureId: 'feature-seats' } }] },
      'INVALID_FIELD: entitlements are only for custom plans; "plan-free" is FREE',
    ],
    [
      'subscriptions',
      {
        customerId: 'a',
        planId: 'plan-custom',
        entitlements: [{ credit: { customCurrencyId: 'c', amount: 5, cadence: 'WEEK' } }],
      },
      'INVALID_FIELD: cadence must be one of MONTH, YEAR, got "WEEK"',
    ],
    [
      'subscriptions',
      { customerId: 'a', planId: 'plan-custom', entitlements: [{}] },
      'FEATURE_AND_CREDIT: entitlements[0] must have exactly one of feature or credit',
    ],
    [
      'subscriptions',
      {
        customerId: 'a',
        planId: 'plan-custom',
        additionalMetaData: { k: 1 },
        entitlements: [{ feature: { featureId: 'feature-seats', usageLimit: 5 } }],
      },
      'ok',
    ],
    ['usage', { customerId: 'a', featureId: 'feature-seats', usage: 0 }, 'ok'],
    ['usage', { customerId: 'a', featureId: 'feature-seats' }, 'MISSING_FIELD: usage is required'],
    [
      'usage',
      { customerId: 'a', featureId: 'feature-seats', usage: '5' },
      'INVALID_FIELD: usage must be a number of at least 0',
    ],
    [
      'usage',
      { customerId: 'a', featureId: 'feature-flag', usage: 1 },
      'NOT_METERED: feature "feature-flag" is not metered: usage cannot be set',
    ],
  ] as const)('%s %j -> %s', (entity, record, expected) => {
    expect(problem(entity, record)).toBe(expected);
  });

  it('maps file fields to the API: metadata becomes additionalMetaData, usage becomes value', () => {
    expect(checkRecord('customers', { customerId: 'a', metadata: { k: 'v' } }, catalog)).toEqual({
      ok: true,
      input: { customerId: 'a', additionalMetaData: { k: 'v' } },
    });
    expect(
      checkRecord('usage', { customerId: 'a', featureId: 'feature-seats', usage: 4, resourceId: 'r' }, catalog),
    ).toEqual({
      ok: true,
      input: { customerId: 'a', featureId: 'feature-seats', value: 4, resourceId: 'r' },
    });
  });
});

describe('HashIndex', () => {
  it('keeps every key through growth, with its latest value', () => {
    const index = new HashIndex();
    const key = (i: number) => 1 + i * 2654435761 * 997;
    for (let i = 0; i < 100_000; i++) index.set(key(i), i);
    index.set(key(7), 4_000_000_000);
    expect(index.size).toBe(100_000);
    for (let i = 0; i < 100_000; i += 113) expect(index.get(key(i))).toBe(i === 7 ? 4_000_000_000 : i);
    expect(index.get(key(7))).toBe(4_000_000_000);
    expect(index.has(key(100_001))).toBe(false);
  });
});

describe('Checkpoint', () => {
  const summary = () => emptySummary({ dryRun: false, baseUrl: 'http://x', errorsFile: null });

  it('remembers confirmed batches out of order, and refuses to resume over changed input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-checkpoint-'));
    const input = join(dir, 'usage.json');
    writeFileSync(input, '{"usages": []}');
    const path = join(dir, 'checkpoint.json');
    const first = Checkpoint.open(path, fingerprintOf([input], [100]), false, summary());
    for (const batch of [0, 1, 3, 5]) first.markDone('usage', batch);
    expect(() => Checkpoint.open(path, fingerprintOf([input], [100]), false, summary())).toThrow(
      /interrupted import: continue it with --resume/,
    );
    const resumed = Checkpoint.open(path, fingerprintOf([input], [100]), true, summary());
    expect([0, 1, 2, 3, 4, 5, 6].map((b) => resumed.isDone('usage', b))).toEqual([
      true,
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    expect(() => Checkpoint.open(path, fingerprintOf([input], [50]), true, summary())).toThrow(CheckpointError);
    utimesSync(input, new Date(), new Date(Date.now() + 5000));
    expect(() => Checkpoint.open(path, fingerprintOf([input], [100]), true, summary())).toThrow(
      /other input files or settings/,
    );
    resumed.finish();
    expect(() => Checkpoint.open(path, fingerprintOf([input], [100]), true, summary())).toThrow(
      /there is no checkpoint/,
    );
  });
});
