/**
 * The whole PSC analysis of one evaluation set as one plain-JSON object: what the CLI prints, the UI charts and
 * the PDF reports. No typed arrays inside (they neither print nor serialize well) and only downsampled per-row
 * data (scatter, histograms), so it stays small whatever the data size. Undefined numbers are NaN, as in
 * evaluateStages (JSON.stringify writes them as null).
 */
import type { FunnelLabelsLike } from '../metrics/index.js';
import type { StageArrays } from '../train/predict.js';
import { compareModels, type ComparisonProtocol, type ModelComparison } from './compare.js';
import {
  compareEstimates,
  decompose,
  isChainedModel,
  isConstrainedModel,
  truthStages,
  type DeltaDistribution,
  type EstimateOptions,
  type ScatterSample,
  type SimulationTruth,
} from './decomposition.js';
import {
  empiricalGap,
  gapBySlice,
  impliedGap,
  pscShare,
  type ImpliedGap,
  type Proportion,
  type SliceGap,
  type SliceOptions,
} from './empirical.js';
import { oracleAuc, truthErrors, type OracleAuc, type TruthErrors } from './truth.js';

/** One categorical field to slice by: ids[i] of row i, vocabulary[id − 1] names id ≥ 1, id 0 = other/missing. */
export interface SliceField {
  field: string;
  ids: Int32Array;
  vocabulary: readonly string[];
  options?: SliceOptions;
}

export interface PscInput {
  labels: FunnelLabelsLike;
  /** Stage probabilities per model on the rows of `labels`, as predictRows returns them. */
  stagesByModel: Record<string, StageArrays>;
  /** Simulated data only. */
  truth?: SimulationTruth;
  slices?: SliceField[];
  options?: { estimates?: EstimateOptions; comparison?: ComparisonProtocol };
}

/** Means of the per-row decomposition (decompose), for a model that has all of pAVR, P(b|a,c), P(b|¬a,c). */
export interface DecompositionSummary {
  /** Mean P(a|c)·P(b|a,c) over the clicked rows. */
  actionPath: number;
  /** Mean (1 − P(a|c))·P(b|¬a,c) over the clicked rows: the implied gap P(b, ¬a | c). */
  noActionPath: number;
  /** Mean of their sum over the clicked rows. */
  cvr: number;
  /** noActionPath / cvr: the implied share of purchases without an action, to set against the empirical PSC share. */
  impliedShare: number;
  /** Mean P(c)·P(a|c)·P(b|a,c) over all exposures. */
  chained: number;
  /** Mean P(c)·P(¬a|c)·P(b|¬a,c) over all exposures: the PSC gap Δ. */
  gap: number;
  /** Largest per-row |action path + no-action path − pCVR|. */
  cvrMismatch: number;
}

/**
 * chained: has pAVR and P(b|a,c), purchase goes through the action (chain, esm2); constrained: has pAVR but no
 * purchase-after-action tower (esmc, esms, esmg); other: no action stage at all (naive, esmm). Decided from the
 * stages, so renamed or new models fall in the right group.
 */
export type ModelRole = 'chained' | 'constrained' | 'other';

export interface ModelPsc {
  role: ModelRole;
  impliedGap: ImpliedGap;
  decomposition: DecompositionSummary | null;
}

export interface EstimatePair {
  chained: string;
  constrained: string;
  clicked: DeltaDistribution & { scatter: ScatterSample };
  exposure: DeltaDistribution;
}

export interface PscAnalysis {
  rows: number;
  clicks: number;
  /** Clicked rows with an action; NaN without an action label. */
  actions: number;
  /** Clicked rows with a purchase. */
  purchases: number;
  empirical: { pscShare: Proportion; gap: Proportion };
  models: Record<string, ModelPsc>;
  /** Every (chained, constrained) pair present: constrained pCVR − chained pAVR·P(b|a,c). */
  estimates: EstimatePair[];
  slices: { field: string; slices: SliceGap[] }[];
  truth: {
    psc: Omit<ModelPsc, 'role'>;
    errors: Record<string, TruthErrors>;
    oracleAuc: OracleAuc;
  } | null;
  comparison: ModelComparison;
}

/** What each definition in the analysis means, for the UI's tooltips and the PDF's glossary. */
export const PSC_DEFINITIONS: Record<string, string> = {
  pscShare: 'P(a=0 | b=1, c=1): share of clicked purchases made without an in-shop action (Wilson 95% CI)',
  gap: 'P(b=1, a=0 | c=1): clicked rows with a purchase and no in-shop action, per click (Wilson 95% CI)',
  impliedGap:
    "a model's P(b, ¬a | c) averaged over clicked rows: (1 − pAVR)·P(b|¬a,c) when it has that tower (0 for chain); " +
    'for esmc/esms/esmg the lower bound max(0, pCVR − pAVR) and upper bound min(pCVR, 1 − pAVR); none without pAVR',
  estimates: 'Δ = constrained pCVR − chained pAVR·P(b|a,c) on clicked rows; on exposures pCTCVR − pCTR·pAVR·P(b|a,c)',
  decomposition: 'pCVR = pAVR·P(b|a,c) + (1 − pAVR)·P(b|¬a,c); pCTCVR = chained P(c)·P(a|c)·P(b|a,c) + gap',
  truthErrors: 'RMSE, MAE and 10-bin calibration error of each stage against the true probability',
  oracleAuc: 'AUC of the true probabilities under the same protocol: the ceiling for any model',
  comparison: 'DeLong test of two correlated AUCs on the same rows; significant at p < alpha, unadjusted',
};

function meanOver(values: ArrayLike<number>, mask?: ArrayLike<number>): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask && !mask[i]) continue;
    sum += values[i];
    count++;
  }
  return count > 0 ? sum / count : NaN;
}

function summariseDecomposition(stages: StageArrays, clickMask: ArrayLike<number>): DecompositionSummary | null {
  const parts = decompose(stages);
  if (!parts.actionPath || !parts.noActionPath || !parts.cvr || !parts.chained || !parts.gap) return null;
  const noActionPath = meanOver(parts.noActionPath, clickMask);
  const cvr = meanOver(parts.cvr, clickMask);
  return {
    actionPath: meanOver(parts.actionPath, clickMask),
    noActionPath,
    cvr,
    impliedShare: noActionPath / cvr,
    chained: meanOver(parts.chained),
    gap: meanOver(parts.gap),
    cvrMismatch: parts.cvrMismatch,
  };
}

function roleOf(stages: StageArrays): ModelRole {
  if (isChainedModel(stages)) return 'chained';
  if (isConstrainedModel(stages)) return 'constrained';
  return 'other';
}

function countClicked(labels: FunnelLabelsLike, column: Float32Array | undefined): number {
  if (!column) return NaN;
  let count = 0;
  for (let i = 0; i < column.length; i++) if (labels.click[i] > 0.5 && column[i] > 0.5) count++;
  return count;
}

export function analysePsc(input: PscInput): PscAnalysis {
  const { labels, stagesByModel, truth, slices = [], options = {} } = input;
  const rows = labels.click.length;
  const columns: Record<string, ArrayLike<number> | undefined> = { ...labels, ...truth };
  for (const [model, stages] of Object.entries(stagesByModel))
    for (const [stage, column] of Object.entries(stages)) columns[`${model}.${stage}`] = column;
  for (const slice of slices) columns[`slice ${slice.field}`] = slice.ids;
  for (const [name, column] of Object.entries(columns)) {
    if (column && column.length !== rows) throw new Error(`${name} has ${column.length} rows, expected ${rows}`);
  }

  const models = Object.fromEntries(
    Object.entries(stagesByModel).map(([name, stages]): [string, ModelPsc] => [
      name,
      {
        role: roleOf(stages),
        impliedGap: impliedGap(stages, labels.click),
        decomposition: summariseDecomposition(stages, labels.click),
      },
    ]),
  );
  const names = Object.keys(stagesByModel);
  const estimates: EstimatePair[] = [];
  for (const chained of names.filter((name) => models[name].role === 'chained')) {
    for (const constrained of names.filter((name) => models[name].role === 'constrained')) {
      const comparison = compareEstimates(
        stagesByModel[chained],
        stagesByModel[constrained],
        labels.click,
        options.estimates,
      );
      estimates.push({ chained, constrained, clicked: comparison.clicked, exposure: comparison.exposure });
    }
  }

  let truthAnalysis: PscAnalysis['truth'] = null;
  if (truth) {
    const stages = truthStages(truth);
    truthAnalysis = {
      psc: {
        impliedGap: impliedGap(stages, labels.click),
        decomposition: summariseDecomposition(stages, labels.click),
      },
      errors: Object.fromEntries(
        Object.entries(stagesByModel).map(([name, modelStages]) => [
          name,
          truthErrors(modelStages, truth, labels.click),
        ]),
      ),
      oracleAuc: oracleAuc(truth, labels),
    };
  }

  return {
    rows,
    clicks: countClicked(labels, labels.click),
    actions: countClicked(labels, labels.action),
    purchases: countClicked(labels, labels.purchase),
    empirical: { pscShare: pscShare(labels), gap: empiricalGap(labels) },
    models,
    estimates,
    slices: slices.map(({ field, ids, vocabulary, options: sliceOptions }) => ({
      field,
      slices: gapBySlice(labels, ids, vocabulary, stagesByModel, sliceOptions),
    })),
    truth: truthAnalysis,
    comparison: compareModels(labels, stagesByModel, options.comparison),
  };
}
