import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogError, loadCatalogFile, loadDemoCatalog, validateCatalog } from '@tollgate/stigg-local';

describe('catalog files', () => {
  it('ships a valid demo catalog with the ids the project relies on', () => {
    const demo = loadDemoCatalog();
    expect(demo.features.map((f) => f.id)).toEqual([
      'feature-analytics',
      'feature-max-projects',
      'feature-seats',
      'feature-api-calls',
      'feature-export-formats',
    ]);
    expect(demo.plans.map((p) => p.id)).toEqual(['plan-free', 'plan-pro', 'plan-enterprise']);
    expect(demo.customers?.map((c) => c.id)).toEqual([
      'customer-free',
      'customer-pro',
      'customer-enterprise',
      'customer-nosub',
    ]);
  });

  it('reads YAML as well as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    const file = join(dir, 'catalog.yaml');
    writeFileSync(
      file,
      [
        'products: [{id: p, displayName: P}]',
        'features: [{id: f, displayName: F, type: BOOLEAN}]',
        'plans: [{id: plan, product: p, displayName: Plan, entitlements: [{feature: f}]}]',
      ].join('\n'),
    );
    expect(loadCatalogFile(file).plans[0]?.id).toBe('plan');
  });

  it('names every problem with its path', () => {
    let error: CatalogError | undefined;
    try {
      validateCatalog({
        products: [{ id: 'p', displayName: 'P' }],
        features: [
          { id: 'n', displayName: 'N', type: 'NUMBER', meterType: 'Sometimes' },
          { id: 'n', displayName: 'dup', type: 'BOOLEAN' },
        ],
        plans: [
          { id: 'a', product: 'nope', displayName: 'A', basePlan: 'b', entitlements: [{ feature: 'n' }] },
          { id: 'b', product: 'p', displayName: 'B', basePlan: 'a', entitlements: [] },
        ],
      });
    } catch (err) {
      error = err as CatalogError;
    }
    expect(error).toBeInstanceOf(CatalogError);
    expect(error!.problems).toEqual(
      expect.arrayContaining([
        'features[0].meterType: must be one of None, Fluctuating, Incremental, got "Sometimes"',
        'features[1].id: duplicate id "n"',
        'plans[0].product: unknown product "nope"',
        'plans[0].entitlements[0].limit: NUMBER features need a limit (a number or "unlimited")',
        'plans: base plans form a cycle through "a"',
      ]),
    );
  });

  it('says which file could not be parsed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"products": [');
    expect(() => loadCatalogFile(file)).toThrow(/broken\.json[\s\S]*not valid JSON/);
  });
});
