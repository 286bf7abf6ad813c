/**
 * The few statistics both sides need: the engine's intervals (src-main/engine/psc/empirical.ts re-exports these)
 * and the charts' error bars and orderings use the very same formulas. Pure functions, no Node.
 */

/** Two-sided 95% normal quantile, Φ⁻¹(0.975). */
export const Z_95 = 1.959963984540054;

/**
 * Wilson score interval. Unlike the Wald interval it stays inside [0, 1] and keeps its coverage when the
 * proportion is near 0 or the slice is small, which is exactly the regime of purchase rates.
 */
export function wilsonInterval(successes: number, trials: number, z = Z_95): [number, number] {
  if (trials <= 0) return [NaN, NaN];
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const center = (p + z2n / 2) / (1 + z2n);
  const halfWidth = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials));
  return [Math.max(0, center - halfWidth), Math.min(1, center + halfWidth)];
}

/**
 * How far a part's proportion lies from the whole's, in standard errors: |p̂_part − p̂_all| / SE, where SE is
 * the standard deviation of that difference if the part had the whole's proportion, p̂(1 − p̂)(1/n_part − 1/n_all)
 * (the part is inside the whole, hence the minus). Using the whole's proportion keeps a slice at 0% or 100%
 * from getting a zero SE, and the 1/n_part term keeps a far-off but tiny slice from leading. 0 when the part
 * is the whole or nothing varies; NaN when either has no trials.
 */
export function standardisedDistance(
  successes: number,
  trials: number,
  allSuccesses: number,
  allTrials: number,
): number {
  if (!(trials > 0) || !(allTrials > 0)) return NaN;
  const part = successes / trials;
  const all = allSuccesses / allTrials;
  const variance = all * (1 - all) * Math.max(0, 1 / trials - 1 / allTrials);
  const difference = Math.abs(part - all);
  if (difference === 0) return 0;
  return variance > 0 ? difference / Math.sqrt(variance) : 0;
}

/** Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
const T_95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Φ⁻¹(0.975) for Student's t with `df` degrees of freedom (the table to 30, then Cornish–Fisher's first term). */
export function t95(df: number): number {
  if (!(df >= 1)) return NaN;
  if (df <= T_95.length) return T_95[Math.floor(df) - 1];
  return Z_95 + (Z_95 ** 3 + Z_95) / (4 * df);
}

/**
 * The mean of `values` with its 95% t-interval: for paired differences (one per seed), the interval of the
 * mean difference. The interval is NaN with fewer than two values.
 */
export function meanInterval(values: readonly number[]): { mean: number; ci95: [number, number] } {
  const n = values.length;
  const mean = values.reduce((sum, x) => sum + x, 0) / n;
  if (n < 2) return { mean, ci95: [NaN, NaN] };
  const sd = Math.sqrt(values.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1));
  const half = (t95(n - 1) * sd) / Math.sqrt(n);
  return { mean, ci95: [mean - half, mean + half] };
}
