/**
 * Calibration and error metrics. An optional 0/1 mask restricts each metric to rows where it is 1; a metric
 * over no rows is NaN.
 */
import { assertAligned } from './aligned.js';
import type { ReliabilityBin, Reliability } from '../../../src-shared/types/metrics.js';

export type { ReliabilityBin, Reliability } from '../../../src-shared/types/metrics.js';

/** Keeps log-loss finite for a confidently wrong prediction, as a float32 model output can hit exactly 0 or 1. */
export const PROBABILITY_CLIP = 1e-7;

/** Mean binary cross-entropy with probabilities clipped to [PROBABILITY_CLIP, 1 − PROBABILITY_CLIP]. */
export function logloss(labels: ArrayLike<number>, probs: ArrayLike<number>, mask?: ArrayLike<number>): number {
  assertAligned(labels.length, { probs, mask });
  let sum = 0;
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    if (mask && !mask[i]) continue;
    const p = Math.min(Math.max(probs[i], PROBABILITY_CLIP), 1 - PROBABILITY_CLIP);
    const y = labels[i];
    sum -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
    count++;
  }
  return count > 0 ? sum / count : NaN;
}

/** Reliability diagram over `bins` equal-width bins on [0, 1]; p = 1 falls in the last bin. */
export function reliability(
  labels: ArrayLike<number>,
  probs: ArrayLike<number>,
  mask?: ArrayLike<number>,
  bins = 10,
): Reliability {
  assertAligned(labels.length, { probs, mask });
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a positive integer, got ${bins}`);
  const counts = new Float64Array(bins);
  const predictedSums = new Float64Array(bins);
  const labelSums = new Float64Array(bins);
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    if (mask && !mask[i]) continue;
    const bin = Math.min(Math.max(Math.floor(probs[i] * bins), 0), bins - 1);
    counts[bin]++;
    predictedSums[bin] += probs[i];
    labelSums[bin] += labels[i];
    total++;
  }
  let ece = 0;
  const result: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const count = counts[b];
    const meanPredicted = count > 0 ? predictedSums[b] / count : NaN;
    const observedRate = count > 0 ? labelSums[b] / count : NaN;
    if (count > 0) ece += (count / total) * Math.abs(meanPredicted - observedRate);
    result.push({ lower: b / bins, upper: (b + 1) / bins, count, meanPredicted, observedRate });
  }
  return { bins: result, ece: total > 0 ? ece : NaN };
}

export function rmse(a: ArrayLike<number>, b: ArrayLike<number>, mask?: ArrayLike<number>): number {
  assertAligned(a.length, { b, mask });
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask[i]) continue;
    sum += (a[i] - b[i]) ** 2;
    count++;
  }
  return count > 0 ? Math.sqrt(sum / count) : NaN;
}

export function mae(a: ArrayLike<number>, b: ArrayLike<number>, mask?: ArrayLike<number>): number {
  assertAligned(a.length, { b, mask });
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask[i]) continue;
    sum += Math.abs(a[i] - b[i]);
    count++;
  }
  return count > 0 ? sum / count : NaN;
}
