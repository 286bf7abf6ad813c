/**
 * Probability Space Confusion, per row (models reference §4). With c = click, a = in-shop action, b = purchase:
 *
 *   P(b|c)   = P(a|c)·P(b|a,c) + P(¬a|c)·P(b|¬a,c)           (action path + no-action path)
 *   P(c,b)   = P(c)·P(a|c)·P(b|a,c) + P(c)·P(¬a|c)·P(b|¬a,c)  (chained estimate + PSC gap Δ)
 *
 * A chained model's estimate of purchase is the action path alone; Δ = P(b=1, a=0, c=1) is what it misses.
 * Pure TypeScript on typed arrays (no tfjs, no Node): it also runs in a worker.
 */
import { Random } from '../random.js';
import { TRUTH_COLUMNS, type TruthColumn } from '../simulate/world.js';
import type { StageArrays } from '../train/predict.js';
import type { Histogram, DeltaDistribution, ScatterSample } from '../../../src-shared/types/psc.js';

export type { Histogram, DeltaDistribution, ScatterSample } from '../../../src-shared/types/psc.js';

/** The per-row true probabilities of simulated data, keyed by their CSV column names. */
export type SimulationTruth = Record<TruthColumn, Float32Array>;

/** Whichever true-probability columns a file has (e.g. only true_ctr, true_avr, true_cvr). */
export type PartialTruth = Partial<SimulationTruth>;

export function missingTruthColumns(record: Record<string, Float32Array> | undefined): TruthColumn[] {
  return TRUTH_COLUMNS.filter((column) => !record?.[column]);
}

/** Data loaded from a CSV carries whichever truth columns it had; this says whether it has all of them. */
export function isSimulationTruth(record: Record<string, Float32Array> | undefined): record is SimulationTruth {
  return missingTruthColumns(record).length === 0;
}

/** The known truth columns of a dataset's truth, or undefined when it has none of them. */
export function truthOf(record: Record<string, Float32Array> | undefined): PartialTruth | undefined {
  const present = TRUTH_COLUMNS.filter((column) => record?.[column]);
  if (present.length === 0) return undefined;
  return Object.fromEntries(present.map((column) => [column, record![column]])) as PartialTruth;
}

/** The truth column of each stage and of the two PSC quantities, in the order the analysis reports them. */
export const TRUTH_COLUMN_OF: Record<string, TruthColumn> = {
  ctr: 'true_ctr',
  avr: 'true_avr',
  cvr: 'true_cvr',
  ctavr: 'true_ctavr',
  ctcvr: 'true_ctcvr',
  buyGivenAction: 'true_buy_given_action',
  buyGivenNoAction: 'true_buy_given_no_action',
  chainedCtcvr: 'true_chained_ctcvr',
  pscGap: 'true_psc_gap',
};

/** The truth in the shape of a model's output, so every per-model analysis also runs on the truth. */
export function truthStages(truth: SimulationTruth): Required<StageArrays>;
/** With a partial truth, only the stages it has. */
export function truthStages(truth: PartialTruth): Partial<StageArrays>;
export function truthStages(truth: PartialTruth): Partial<StageArrays> {
  const stages: Partial<StageArrays> = {
    ctr: truth.true_ctr,
    avr: truth.true_avr,
    cvr: truth.true_cvr,
    ctavr: truth.true_ctavr,
    ctcvr: truth.true_ctcvr,
    buyGivenAction: truth.true_buy_given_action,
    buyGivenNoAction: truth.true_buy_given_no_action,
  };
  for (const key of Object.keys(stages) as (keyof StageArrays)[]) if (!stages[key]) delete stages[key];
  return stages;
}

export interface Decomposition {
  /** P(a|c)·P(b|a,c). */
  actionPath: Float32Array | null;
  /** (1 − P(a|c))·P(b|¬a,c). */
  noActionPath: Float32Array | null;
  /** actionPath + noActionPath. */
  cvr: Float32Array | null;
  /**
   * max over rows of |cvr − the model's own pCVR|: ≈ 0 for a model that composes pCVR this way (esm2, chain,
   * a consistent truth); a large value says the stages do not add up.
   */
  cvrMismatch: number;
  /** P(c)·P(a|c)·P(b|a,c): what the chain rule through the action gives for P(c,b). */
  chained: Float32Array | null;
  /** P(c)·P(¬a|c)·P(b|¬a,c) = P(b=1, a=0, c=1): the PSC gap Δ. */
  gap: Float32Array | null;
}

function rowwise(rows: number, value: (i: number) => number): Float32Array {
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) out[i] = value(i);
  return out;
}

/** Null fields where the model lacks a stage: naive/esmm have no pAVR, esmc/esms/esmg no purchase towers. */
export function decompose(stages: StageArrays): Decomposition {
  const { ctr, avr, cvr, buyGivenAction, buyGivenNoAction } = stages;
  const rows = ctr.length;
  // Products are formed in double precision and rounded once, so the identities hold to float32 rounding.
  const actionPath = avr && buyGivenAction ? rowwise(rows, (i) => avr[i] * buyGivenAction[i]) : null;
  const noActionPath = avr && buyGivenNoAction ? rowwise(rows, (i) => (1 - avr[i]) * buyGivenNoAction[i]) : null;
  const total =
    avr && buyGivenAction && buyGivenNoAction
      ? rowwise(rows, (i) => avr[i] * buyGivenAction[i] + (1 - avr[i]) * buyGivenNoAction[i])
      : null;
  let cvrMismatch = NaN;
  if (total) {
    cvrMismatch = 0;
    for (let i = 0; i < rows; i++) cvrMismatch = Math.max(cvrMismatch, Math.abs(total[i] - cvr[i]));
  }
  return {
    actionPath,
    noActionPath,
    cvr: total,
    cvrMismatch,
    chained: avr && buyGivenAction ? rowwise(rows, (i) => ctr[i] * avr[i] * buyGivenAction[i]) : null,
    gap: avr && buyGivenNoAction ? rowwise(rows, (i) => ctr[i] * (1 - avr[i]) * buyGivenNoAction[i]) : null,
  };
}

/** Has the action tower and the purchase-after-action tower, so its action-path product is defined (chain, esm2). */
export function isChainedModel(stages: StageArrays): boolean {
  return stages.avr !== undefined && stages.buyGivenAction !== undefined;
}

/** Models pAVR but not purchase through the action: the parameter-constrained family (esmc, esms, esmg) and aitm. */
export function isConstrainedModel(stages: StageArrays): boolean {
  return stages.avr !== undefined && stages.buyGivenAction === undefined;
}

export interface EstimateComparison {
  /** On the clicked rows (all rows when no click mask is given): pCVR vs pAVR·P(b|a,c). */
  clicked: DeltaDistribution & { scatter: ScatterSample };
  /** On every exposure: pCTCVR vs pCTR·pAVR·P(b|a,c). */
  exposure: DeltaDistribution;
  /** Per row, every row: constrained pCVR − the chained model's full chain (see compareEstimates). */
  delta: Float32Array;
  /** Per row, every row: constrained pCTCVR − chained pCTR·pAVR·P(b|a,c). */
  exposureDelta: Float32Array;
}

export interface EstimateOptions {
  bins?: number;
  scatterPoints?: number;
  seed?: number;
}

export const DELTA_QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

/** Linear interpolation between order statistics (R type 7, numpy's default) on an ascending array. */
export function quantileOfSorted(sorted: ArrayLike<number>, level: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * level;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

/** Six significant digits: the UI and the PDF plot these, and float32 noise in JSON only costs bytes. */
export function compactNumber(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(6)) : value;
}

/**
 * Equal-width bins over a range symmetric around 0 (±max|Δ|), so that the sign of Δ, which says which model
 * puts more mass on purchase, reads off the chart; with an even bin count 0 is an edge.
 */
function symmetricHistogram(sortedValues: Float64Array, bins: number): Histogram {
  const extent = Math.max(Math.abs(sortedValues[0] ?? 0), Math.abs(sortedValues[sortedValues.length - 1] ?? 0)) || 1;
  const width = (2 * extent) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const value of sortedValues) counts[Math.min(Math.max(Math.floor((value + extent) / width), 0), bins - 1)]++;
  const edges = Array.from({ length: bins + 1 }, (_, k) => compactNumber(-extent + k * width));
  return { edges, counts };
}

function distribution(
  delta: Float32Array,
  chained: ArrayLike<number>,
  constrained: ArrayLike<number>,
  rows: Uint32Array,
  bins: number,
): DeltaDistribution {
  const values = new Float64Array(rows.length);
  let sum = 0;
  let chainedSum = 0;
  let constrainedSum = 0;
  let positives = 0;
  rows.forEach((row, k) => {
    values[k] = delta[row];
    sum += delta[row];
    chainedSum += chained[row];
    constrainedSum += constrained[row];
    if (delta[row] > 0) positives++;
  });
  const n = rows.length;
  const mean = sum / n;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  values.sort();
  return {
    rows: n,
    mean,
    std: n > 1 ? Math.sqrt(squares / (n - 1)) : NaN,
    min: n > 0 ? values[0] : NaN,
    max: n > 0 ? values[n - 1] : NaN,
    median: quantileOfSorted(values, 0.5),
    quantiles: { levels: DELTA_QUANTILES, values: DELTA_QUANTILES.map((level) => quantileOfSorted(values, level)) },
    positiveShare: positives / n,
    meanChained: chainedSum / n,
    meanConstrained: constrainedSum / n,
    histogram: symmetricHistogram(values, bins),
  };
}

/** A uniform sample without replacement of at most `points` of the rows (partial Fisher–Yates), seeded. */
export function sampleRows(rows: Uint32Array, points: number, seed: number): Uint32Array {
  if (rows.length <= points) return rows.slice();
  const pool = rows.slice();
  const random = new Random(seed);
  for (let k = 0; k < points; k++) {
    const j = k + random.int(pool.length - k);
    const picked = pool[j];
    pool[j] = pool[k];
    pool[k] = picked;
  }
  return pool.subarray(0, points).sort();
}

export function selectedRows(length: number, mask?: ArrayLike<number>): Uint32Array {
  let count = 0;
  for (let i = 0; i < length; i++) if (!mask || mask[i]) count++;
  const rows = new Uint32Array(count);
  for (let i = 0, next = 0; i < length; i++) if (!mask || mask[i]) rows[next++] = i;
  return rows;
}

/**
 * Chained vs constrained estimate of purchase. The chained estimate is the chained model's own full chain,
 * pAVR·P(b|a,c) + (1 − pAVR)·P(b|¬a,c) (for chain the second term is 0, so Δ estimates the PSC gap it misses;
 * for esm2 it is its pCVR), the constrained estimate is pCVR of esmc/esms/esmg, which is not forced through the
 * action. Summaries are on the clicked rows (where pCVR is served and evaluated) and, × pCTR of each model, on
 * all exposures.
 */
export function compareEstimates(
  chained: StageArrays,
  constrained: StageArrays,
  clickMask?: ArrayLike<number>,
  options: EstimateOptions = {},
): EstimateComparison {
  const { bins = 40, scatterPoints = 500, seed = 1 } = options;
  if (!isChainedModel(chained)) throw new Error('the chained model needs pAVR and P(b|a,c)');
  const { avr, buyGivenAction } = chained as Required<StageArrays>;
  const rows = chained.ctr.length;
  for (const [name, column] of Object.entries({ ...constrained, clickMask })) {
    if (column && column.length !== rows) throw new Error(`${name} has ${column.length} rows, expected ${rows}`);
  }
  const noAction = chained.buyGivenNoAction;
  const chainedCvr = rowwise(rows, (i) => avr[i] * buyGivenAction[i] + (noAction ? (1 - avr[i]) * noAction[i] : 0));
  const chainedCtcvr = rowwise(rows, (i) => chained.ctr[i] * chainedCvr[i]);
  const delta = rowwise(rows, (i) => constrained.cvr[i] - chainedCvr[i]);
  const exposureDelta = rowwise(rows, (i) => constrained.ctcvr[i] - chainedCtcvr[i]);

  const clickedRows = selectedRows(rows, clickMask);
  const sampled = sampleRows(clickedRows, scatterPoints, seed);
  const scatter: ScatterSample = {
    rows: Array.from(sampled),
    chained: Array.from(sampled, (row) => compactNumber(chainedCvr[row])),
    constrained: Array.from(sampled, (row) => compactNumber(constrained.cvr[row])),
  };
  return {
    clicked: { ...distribution(delta, chainedCvr, constrained.cvr, clickedRows, bins), scatter },
    exposure: distribution(exposureDelta, chainedCtcvr, constrained.ctcvr, selectedRows(rows), bins),
    delta,
    exposureDelta,
  };
}
