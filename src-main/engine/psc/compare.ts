/**
 * Is one model's AUC really higher than another's on the same rows? The two AUCs are correlated (same rows,
 * same labels), so their standard errors cannot be combined as if independent: DeLong's test accounts for it,
 * the paired bootstrap is the assumption-light cross-check.
 */
import { assertAligned } from '../metrics/aligned.js';
import { auc, type FunnelLabelsLike } from '../metrics/index.js';
import { Random } from '../random.js';
import type { StageArrays } from '../train/predict.js';
import { quantileOfSorted } from './decomposition.js';
import { Z_95 } from './empirical.js';
import type {
  DelongResult,
  BootstrapResult,
  ComparedMetric,
  ComparisonProtocol,
  PairwiseComparison,
  ModelComparison,
} from '../../../src-shared/types/psc.js';

export type { DelongResult, BootstrapResult, ComparedMetric, ComparisonProtocol, PairwiseComparison, ModelComparison };

/**
 * erfc to near double precision: the power series of erf where it converges fast, the continued fraction of
 * erfc in the tail, where 1 − erf would cancel to nothing and the p-values of clear differences live.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) {
    // erf(x) = 2/√π · e^(−x²) · Σ_k (2x²)^k · x / (1·3·…·(2k+1)), all terms positive.
    let term = x;
    let sum = x;
    for (let k = 1; term > sum * 1e-17; k++) {
      term *= (2 * x * x) / (2 * k + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
  let fraction = x;
  for (let k = 80; k >= 1; k--) fraction = x + k / 2 / fraction;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * fraction);
}

/** P(|Z| ≥ |z|) for a standard normal Z. */
export function twoSidedNormalPValue(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}

/**
 * DeLong's structural components (placements) of one score vector. With m positives X and n negatives Y and
 * ψ(x, y) = 1 if x > y, ½ if x = y, 0 otherwise:
 *   V10_i = (1/n)·Σ_j ψ(X_i, Y_j),  V01_j = (1/m)·Σ_i ψ(X_i, Y_j),  AUC = mean V10 = mean V01.
 * Computed in O(N log N) from midranks (Sun & Xu 2014) instead of the O(m·n) pairs: V10_i = (R_i − R^X_i)/n,
 * V01_j = 1 − (R_j − R^Y_j)/m, R the midrank over all rows, R^X among positives, R^Y among negatives.
 */
export interface DelongComponents {
  auc: number;
  /** V10, one per positive row, in row order. */
  positive: Float64Array;
  /** V01, one per negative row, in row order. */
  negative: Float64Array;
}

interface Classes {
  positives: Uint32Array;
  negatives: Uint32Array;
}

function splitClasses(labels: ArrayLike<number>, mask: ArrayLike<number> | undefined): Classes {
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (mask && !mask[i]) continue;
    (labels[i] > 0.5 ? positives : negatives).push(i);
  }
  return { positives: Uint32Array.from(positives), negatives: Uint32Array.from(negatives) };
}

function componentsOf(scores: ArrayLike<number>, { positives, negatives }: Classes): DelongComponents {
  const m = positives.length;
  const n = negatives.length;
  // Keys 0..m−1 are the positives, m..m+n−1 the negatives; one sort of all of them serves both classes.
  const keys = new Float64Array(m + n);
  positives.forEach((row, k) => (keys[k] = scores[row]));
  negatives.forEach((row, k) => (keys[m + k] = scores[row]));
  const order = new Uint32Array(m + n);
  for (let k = 0; k < order.length; k++) order[k] = k;
  order.sort((a, b) => keys[a] - keys[b]);
  // Within a run of tied keys: R − R^X = negatives below + ½·negatives tied, and m − (R − R^Y) = positives
  // above + ½·positives tied, where R, R^X, R^Y are the midranks overall, among positives, among negatives.
  const positive = new Float64Array(m);
  const negative = new Float64Array(n);
  let positivesBelow = 0;
  let negativesBelow = 0;
  let sum = 0;
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && keys[order[end]] === keys[order[start]]) end++;
    let tiedPositives = 0;
    for (let k = start; k < end; k++) if (order[k] < m) tiedPositives++;
    const tiedNegatives = end - start - tiedPositives;
    const positivePlacement = (negativesBelow + tiedNegatives / 2) / n;
    const negativePlacement = (m - positivesBelow - tiedPositives / 2) / m;
    for (let k = start; k < end; k++) {
      if (order[k] < m) positive[order[k]] = positivePlacement;
      else negative[order[k] - m] = negativePlacement;
    }
    sum += tiedPositives * positivePlacement;
    positivesBelow += tiedPositives;
    negativesBelow += tiedNegatives;
    start = end;
  }
  return { auc: sum / m, positive, negative };
}

/** Why the comparison is undefined on these rows, or null when it is defined. */
function undefinedReason(classes: Classes, scores: ArrayLike<number>[]): string | null {
  const { positives, negatives } = classes;
  if (positives.length === 0 || negatives.length === 0)
    return `only one class among the evaluated rows (${positives.length} positives, ${negatives.length} negatives)`;
  for (const column of scores) {
    for (const rows of [positives, negatives])
      for (const row of rows) if (Number.isNaN(column[row])) return 'a score is NaN';
  }
  return null;
}

export function delongComponents(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  mask?: ArrayLike<number>,
): DelongComponents | { reason: string } {
  assertAligned(labels.length, { scores, mask });
  const classes = splitClasses(labels, mask);
  const reason = undefinedReason(classes, [scores]);
  return reason ? { reason } : componentsOf(scores, classes);
}

function sampleCovariance(a: Float64Array, meanA: number, b: Float64Array, meanB: number): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - meanA) * (b[i] - meanB);
  return sum / (a.length - 1);
}

/**
 * Fewer rows of either class than this and an AUC interval says nothing: DeLong's variance from a handful of
 * placements is 0 for any perfect ordering (5 clicks ranked above 5 non-clicks gave an interval of [1, 1]).
 */
export const MIN_CLASS_ROWS_FOR_AUC = 10;

/**
 * The 95% interval of one AUC by DeLong's variance, Var(AUC) = S10/m + S01/n (the single-model case of
 * delongFromComponents), clipped to [0, 1]; NaN bounds when the AUC is undefined or either class has fewer than
 * MIN_CLASS_ROWS_FOR_AUC rows.
 */
export function aucInterval(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  mask?: ArrayLike<number>,
): [number, number] {
  const components = delongComponents(labels, scores, mask);
  if (
    'reason' in components ||
    components.positive.length < MIN_CLASS_ROWS_FOR_AUC ||
    components.negative.length < MIN_CLASS_ROWS_FOR_AUC
  )
    return [NaN, NaN];
  const { auc: value, positive, negative } = components;
  const variance =
    sampleCovariance(positive, value, positive, value) / positive.length +
    sampleCovariance(negative, value, negative, value) / negative.length;
  const half = Z_95 * Math.sqrt(variance);
  return [Math.max(0, value - half), Math.min(1, value + half)];
}

function undefinedResult(reason: string, positives: number, negatives: number): DelongResult {
  return {
    aucA: NaN,
    aucB: NaN,
    difference: NaN,
    standardError: NaN,
    z: NaN,
    pValue: NaN,
    ci95: [NaN, NaN],
    positives,
    negatives,
    reason,
  };
}

/**
 * DeLong's test from the components of two score vectors on the same rows (DeLong, DeLong & Clarke-Pearson
 * 1988): Var(AUC_A − AUC_B) = (S10_AA + S10_BB − 2·S10_AB)/m + (S01_AA + S01_BB − 2·S01_AB)/n, S the sample
 * covariances of the components. A zero variance (the same ranking twice) gives z = 0, p = 1 when the AUCs are
 * equal, as pROC does, rather than 0/0.
 */
export function delongFromComponents(a: DelongComponents, b: DelongComponents): DelongResult {
  const m = a.positive.length;
  const n = a.negative.length;
  if (b.positive.length !== m || b.negative.length !== n) throw new Error('the components are not from the same rows');
  if (m < 2 || n < 2) return undefinedResult('the variance needs at least two positives and two negatives', m, n);
  const positiveTerm =
    sampleCovariance(a.positive, a.auc, a.positive, a.auc) +
    sampleCovariance(b.positive, b.auc, b.positive, b.auc) -
    2 * sampleCovariance(a.positive, a.auc, b.positive, b.auc);
  const negativeTerm =
    sampleCovariance(a.negative, a.auc, a.negative, a.auc) +
    sampleCovariance(b.negative, b.auc, b.negative, b.auc) -
    2 * sampleCovariance(a.negative, a.auc, b.negative, b.auc);
  const variance = Math.max(0, positiveTerm / m + negativeTerm / n);
  const difference = a.auc - b.auc;
  const standardError = Math.sqrt(variance);
  const z = standardError > 0 ? difference / standardError : difference === 0 ? 0 : Math.sign(difference) * Infinity;
  return {
    aucA: a.auc,
    aucB: b.auc,
    difference,
    standardError,
    z,
    pValue: twoSidedNormalPValue(z),
    ci95: [difference - Z_95 * standardError, difference + Z_95 * standardError],
    positives: m,
    negatives: n,
  };
}

/** DeLong's test for two correlated AUCs on the rows where mask is 1 (all rows without a mask). */
export function delongTest(
  labels: ArrayLike<number>,
  scoresA: ArrayLike<number>,
  scoresB: ArrayLike<number>,
  mask?: ArrayLike<number>,
): DelongResult {
  assertAligned(labels.length, { scoresA, scoresB, mask });
  const classes = splitClasses(labels, mask);
  const reason = undefinedReason(classes, [scoresA, scoresB]);
  if (reason) return undefinedResult(reason, classes.positives.length, classes.negatives.length);
  return delongFromComponents(componentsOf(scoresA, classes), componentsOf(scoresB, classes));
}

export type PairedMetric = (labels: ArrayLike<number>, scores: ArrayLike<number>) => number;

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  mask?: ArrayLike<number>;
  /** The difference reported is metric(A) − metric(B); default AUC. */
  metric?: PairedMetric;
}

/**
 * Paired bootstrap: the same resampled rows score both models, which keeps their correlation. Resampling is
 * stratified by label (positives from positives, negatives from negatives, as pROC does by default) so every
 * resample has both classes and a rank metric stays defined on rare purchases.
 */
export function pairedBootstrap(
  labels: ArrayLike<number>,
  scoresA: ArrayLike<number>,
  scoresB: ArrayLike<number>,
  options: BootstrapOptions = {},
): BootstrapResult {
  const { resamples = 1000, seed = 1, mask, metric = auc } = options;
  assertAligned(labels.length, { scoresA, scoresB, mask });
  const classes = splitClasses(labels, mask);
  const reason = undefinedReason(classes, [scoresA, scoresB]);
  if (reason) return { difference: NaN, ci95: [NaN, NaN], pValue: NaN, standardError: NaN, resamples: 0, reason };
  const { positives, negatives } = classes;
  const m = positives.length;
  const rows = m + negatives.length;
  const evaluated = new Uint32Array(rows);
  evaluated.set(positives);
  evaluated.set(negatives, m);
  const resampledLabels = Float64Array.from({ length: rows }, (_, k) => (k < m ? 1 : 0));
  const originalA = Float64Array.from(evaluated, (row) => scoresA[row]);
  const originalB = Float64Array.from(evaluated, (row) => scoresB[row]);
  const difference = metric(resampledLabels, originalA) - metric(resampledLabels, originalB);

  const random = new Random(seed);
  const a = new Float64Array(rows);
  const b = new Float64Array(rows);
  const differences: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let k = 0; k < rows; k++) {
      const row = k < m ? positives[random.int(m)] : negatives[random.int(rows - m)];
      a[k] = scoresA[row];
      b[k] = scoresB[row];
    }
    const resampled = metric(resampledLabels, a) - metric(resampledLabels, b);
    if (Number.isFinite(resampled)) differences.push(resampled);
  }
  const sorted = Float64Array.from(differences).sort();
  const count = sorted.length;
  let atMostZero = 0;
  let atLeastZero = 0;
  let sum = 0;
  for (const value of sorted) {
    if (value <= 0) atMostZero++;
    if (value >= 0) atLeastZero++;
    sum += value;
  }
  let squares = 0;
  for (const value of sorted) squares += (value - sum / count) ** 2;
  return {
    difference,
    ci95: [quantileOfSorted(sorted, 0.025), quantileOfSorted(sorted, 0.975)],
    pValue: count > 0 ? Math.min(1, (2 * Math.min(atMostZero, atLeastZero)) / count) : NaN,
    standardError: count > 1 ? Math.sqrt(squares / (count - 1)) : NaN,
    resamples: count,
  };
}

function product(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * b[i];
  return out;
}

/** Every pair of models (in the given order), for each metric. */
export function compareModels(
  labels: FunnelLabelsLike,
  stagesByModel: Record<string, StageArrays>,
  protocol: ComparisonProtocol = {},
): ModelComparison {
  const { metrics = ['cvr_auc', 'ctcvr_auc'], alpha = 0.05, method = 'delong', bootstrap = {} } = protocol;
  const names = Object.keys(stagesByModel);
  const setups: Record<
    ComparedMetric,
    { labels: ArrayLike<number>; mask?: ArrayLike<number>; stage: 'cvr' | 'ctcvr' }
  > = {
    cvr_auc: { labels: labels.purchase, mask: labels.click, stage: 'cvr' },
    ctcvr_auc: { labels: product(labels.click, labels.purchase), stage: 'ctcvr' },
  };
  const pairs: PairwiseComparison[] = [];
  for (const metric of metrics) {
    const setup = setups[metric];
    const scores = names.map((name) => stagesByModel[name][setup.stage]);
    // Each model's components serve all of its pairs: the sorts are the cost, not the covariances.
    const classes = splitClasses(setup.labels, setup.mask);
    const components =
      method === 'delong'
        ? scores.map((column) => (undefinedReason(classes, [column]) ? null : componentsOf(column, classes)))
        : [];
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        let test: Omit<PairwiseComparison, 'metric' | 'modelA' | 'modelB' | 'significant'>;
        if (method === 'delong') {
          const reason = undefinedReason(classes, [scores[i], scores[j]]);
          test = reason
            ? undefinedResult(reason, classes.positives.length, classes.negatives.length)
            : delongFromComponents(components[i]!, components[j]!);
        } else {
          const result = pairedBootstrap(setup.labels, scores[i], scores[j], { ...bootstrap, mask: setup.mask });
          test = {
            ...result,
            aucA: auc(setup.labels, scores[i], setup.mask),
            aucB: auc(setup.labels, scores[j], setup.mask),
          };
        }
        pairs.push({
          metric,
          modelA: names[i],
          modelB: names[j],
          aucA: test.aucA,
          aucB: test.aucB,
          difference: test.difference,
          standardError: test.standardError,
          pValue: test.pValue,
          ci95: test.ci95,
          significant: test.pValue < alpha,
          ...(test.reason ? { reason: test.reason } : {}),
        });
      }
    }
  }
  return { method, alpha, pairs };
}
