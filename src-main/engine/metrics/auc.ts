/**
 * Ranking metrics. Labels are 0/1 per row; an optional 0/1 mask restricts the evaluation to rows where it is 1,
 * which is how post-click metrics are computed on clicked rows only without copying the columns.
 */
import { assertAligned } from './aligned.js';
import type { GaucResult, RocCurve, PrCurve } from '../../../src-shared/types/metrics.js';

export type { GaucResult, RocCurve, PrCurve } from '../../../src-shared/types/metrics.js';

function isPositive(label: number): boolean {
  return label > 0.5;
}

/** Evaluated row indices; null when a score is NaN, since a NaN cannot be ranked and the metric is undefined. */
function evaluatedRows(scores: ArrayLike<number>, mask: ArrayLike<number> | undefined): Uint32Array | null {
  let count = 0;
  for (let i = 0; i < scores.length; i++) {
    if (mask && !mask[i]) continue;
    if (Number.isNaN(scores[i])) return null;
    count++;
  }
  const rows = new Uint32Array(count);
  for (let i = 0, next = 0; i < scores.length; i++) if (!mask || mask[i]) rows[next++] = i;
  return rows;
}

/**
 * Mann–Whitney AUC over order[start, end), which must be sorted by ascending score. Tied scores share their
 * average rank, so a tie between a positive and a negative counts one half, exactly as sklearn does.
 */
function rankAuc(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  order: Uint32Array,
  start: number,
  end: number,
): number {
  let positives = 0;
  let positiveRankSum = 0;
  for (let i = start; i < end;) {
    let j = i + 1;
    while (j < end && scores[order[j]] === scores[order[i]]) j++;
    const averageRank = (i - start + 1 + (j - start)) / 2;
    let tiedPositives = 0;
    for (let k = i; k < j; k++) if (isPositive(labels[order[k]])) tiedPositives++;
    positives += tiedPositives;
    positiveRankSum += tiedPositives * averageRank;
    i = j;
  }
  const negatives = end - start - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Exact ROC AUC (equal to sklearn's roc_auc_score, ties included); NaN when only one class is present. */
export function auc(labels: ArrayLike<number>, scores: ArrayLike<number>, mask?: ArrayLike<number>): number {
  assertAligned(labels.length, { scores, mask });
  const order = evaluatedRows(scores, mask);
  if (!order) return NaN;
  order.sort((a, b) => scores[a] - scores[b]);
  return rankAuc(labels, scores, order, 0, order.length);
}

/**
 * Group AUC: Σ_u n_u·AUC_u / Σ_u n_u over groups (users) with both classes, n_u being the group's evaluated
 * row count. One sort by (group, score) serves every group.
 */
export function gauc(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  groups: ArrayLike<number>,
  mask?: ArrayLike<number>,
): GaucResult {
  assertAligned(labels.length, { scores, groups, mask });
  const order = evaluatedRows(scores, mask);
  if (!order) return { value: NaN, groups: 0, skipped: 0 };
  order.sort((a, b) => groups[a] - groups[b] || scores[a] - scores[b]);
  let weightedSum = 0;
  let weight = 0;
  let qualified = 0;
  let skipped = 0;
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && groups[order[end]] === groups[order[start]]) end++;
    const groupAuc = rankAuc(labels, scores, order, start, end);
    if (Number.isNaN(groupAuc)) {
      skipped++;
    } else {
      qualified++;
      weightedSum += (end - start) * groupAuc;
      weight += end - start;
    }
    start = end;
  }
  return { value: weight > 0 ? weightedSum / weight : NaN, groups: qualified, skipped };
}

/** Evenly spaced indices into a curve of `length` points, always keeping both ends. */
function downsampledIndices(length: number, maxPoints: number): number[] {
  if (maxPoints < 2) throw new Error(`maxPoints must be at least 2, got ${maxPoints}`);
  if (length <= maxPoints) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: maxPoints }, (_, k) => Math.round((k * (length - 1)) / (maxPoints - 1)));
}

interface ConfusionSweep {
  thresholds: number[];
  truePositives: number[];
  falsePositives: number[];
  positives: number;
  negatives: number;
}

/**
 * Cumulative true/false positive counts as the threshold descends through the distinct scores, starting from
 * an infinite threshold where nothing is predicted positive (sklearn's convention).
 */
function confusionSweep(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
): ConfusionSweep | null {
  assertAligned(labels.length, { scores, mask });
  const order = evaluatedRows(scores, mask);
  if (!order) return null;
  order.sort((a, b) => scores[b] - scores[a]);
  const sweep: ConfusionSweep = {
    thresholds: [Infinity],
    truePositives: [0],
    falsePositives: [0],
    positives: 0,
    negatives: 0,
  };
  for (let i = 0; i < order.length;) {
    const threshold = scores[order[i]];
    for (; i < order.length && scores[order[i]] === threshold; i++) {
      if (isPositive(labels[order[i]])) sweep.positives++;
      else sweep.negatives++;
    }
    sweep.thresholds.push(threshold);
    sweep.truePositives.push(sweep.positives);
    sweep.falsePositives.push(sweep.negatives);
  }
  return sweep;
}

/**
 * ROC points from threshold +∞ (0, 0) down to the lowest score (1, 1), at most `maxPoints` of them.
 * Empty when either class is missing, since one of the rates is then undefined.
 */
export function rocCurve(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  mask?: ArrayLike<number>,
  maxPoints = 200,
): RocCurve {
  const curve: RocCurve = { fpr: [], tpr: [], thresholds: [] };
  const sweep = confusionSweep(labels, scores, mask);
  if (!sweep || sweep.positives === 0 || sweep.negatives === 0) return curve;
  for (const k of downsampledIndices(sweep.thresholds.length, maxPoints)) {
    curve.fpr.push(sweep.falsePositives[k] / sweep.negatives);
    curve.tpr.push(sweep.truePositives[k] / sweep.positives);
    curve.thresholds.push(sweep.thresholds[k]);
  }
  return curve;
}

/**
 * Precision–recall points from threshold +∞ (recall 0, precision 1 by convention) down to the lowest score,
 * at most `maxPoints` of them. Empty when there is no positive, since recall is then undefined.
 */
export function prCurve(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  mask?: ArrayLike<number>,
  maxPoints = 200,
): PrCurve {
  const curve: PrCurve = { recall: [], precision: [], thresholds: [] };
  const sweep = confusionSweep(labels, scores, mask);
  if (!sweep || sweep.positives === 0) return curve;
  for (const k of downsampledIndices(sweep.thresholds.length, maxPoints)) {
    const predictedPositive = sweep.truePositives[k] + sweep.falsePositives[k];
    curve.recall.push(sweep.truePositives[k] / sweep.positives);
    curve.precision.push(predictedPositive > 0 ? sweep.truePositives[k] / predictedPositive : 1);
    curve.thresholds.push(sweep.thresholds[k]);
  }
  return curve;
}
