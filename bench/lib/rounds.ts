import { fmt, median } from './load.js';

/**
 * Measures variants side by side: many short rounds, each variant once per round, the order rotated each round.
 * On a shared machine the load from elsewhere drifts over seconds: short rounds keep a round's variants under the
 * same load, and many rounds let the median ignore the rounds a burst hit.
 */
export async function alternatingRounds<V extends string, R>(
  variants: readonly V[],
  rounds: number,
  measure: (variant: V, round: number) => Promise<R>,
): Promise<Record<V, R[]>> {
  const out = Object.fromEntries(variants.map((v) => [v, [] as R[]])) as Record<V, R[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]!;
      out[v].push(await measure(v, round));
    }
  }
  return out;
}

/** Ratios `a[i] / b[i]` of measurements taken in the same round: their median and how far they spread. */
export function pairedRatios(a: number[], b: number[]) {
  const values = a.map((x, i) => x / b[i]!).sort((x, y) => x - y);
  const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))]!;
  return { median: median(values), q1: at(0.25), q3: at(0.75), min: values[0]!, max: values[values.length - 1]! };
}

/** How a ratio spread over the rounds: the middle half (interquartile range) and the whole range. */
export function spreadOf(r: ReturnType<typeof pairedRatios>, digits = 3): string {
  return `IQR ${fmt(r.q1, digits)}-${fmt(r.q3, digits)}, all ${fmt(r.min, digits)}-${fmt(r.max, digits)}`;
}
