/**
 * `npm run chaos -- [--minutes N] [--seed S] [--rate R] [--faults kind,kind]`: the chaos soak (see soak.ts). Prints the fault log, the
 * figures and the invariants; exits 1 when an invariant fails, 2 when the soak itself could not run.
 */
import { parseArgs } from 'node:util';
import { KINDS, type Kind } from './faults.js';
import { report, runSoak } from './soak.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    seed: { type: 'string' },
    rate: { type: 'string', default: '150' },
    faults: { type: 'string' },
  },
});

const number = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number, got ${v}`);
    process.exit(2);
  }
  return n;
};

const faultKinds = values.faults?.split(',').map((k) => k.trim()) as Kind[] | undefined;
const unknown = faultKinds?.filter((k) => !KINDS.includes(k));
if (unknown?.length) {
  console.error(`unknown fault kinds ${unknown.join(', ')}; known: ${KINDS.join(', ')}`);
  process.exit(2);
}

try {
  const result = await runSoak({
    minutes: number('minutes', values.minutes),
    seed: number('seed', values.seed),
    rate: number('rate', values.rate),
    faultKinds,
  });
  for (const line of report(result)) console.log(line);
  process.exit(result.ok ? 0 : 1);
} catch (err) {
  console.error('chaos soak could not run:', err);
  process.exit(2);
}
