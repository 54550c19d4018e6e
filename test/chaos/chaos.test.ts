/**
 * The chaos soak for one minute with a fixed fault schedule (seed): three apps (Express, Hono, Nest) sharing a
 * persistent Redis, stigg-local at Stigg's published limits, steady metered load, and every kind of fault. Run by
 * the slow config (`npm run test:slow`), not by `npm test`; `npm run chaos -- --minutes N --seed S` runs it longer.
 */
import { expect, it } from 'vitest';
import { report, runSoak } from '../../chaos/soak.js';

const SEED = 20_240_601;

it('a one-minute chaos soak keeps every invariant', async () => {
  const lines: string[] = [];
  const result = await runSoak({ minutes: 1, seed: SEED, log: (line) => void lines.push(line) });
  console.info([...lines, ...report(result)].join('\n'));
  expect(result.invariants.filter((i) => !i.ok).map((i) => `${i.name}: ${i.detail}`)).toEqual([]);
  expect(result.invariants.map((i) => i.ok)).toHaveLength(6);
}, 240_000);
