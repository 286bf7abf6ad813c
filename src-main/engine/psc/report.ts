/**
 * The whole PSC analysis of one evaluation set as one plain-JSON object: what the CLI prints, the UI charts and
 * the PDF reports. No typed arrays inside (they neither print nor serialize well) and only downsampled per-row
 * data (scatter, histograms), so it stays small whatever the data size. Undefined numbers are NaN, as in
 * evaluateStages (JSON.stringify writes them as null).
 */
import type { FunnelLabelsLike } from '../metrics/index.js';
import type { StageArrays } from '../train/predict.js';
import { compareModels, type ComparisonProtocol } from './compare.js';
import {
  compareEstimates,
  decompose,
  isChainedModel,
  isConstrainedModel,
  truthStages,
  type EstimateOptions,
  type PartialTruth,
} from './decomposition.js';
import { empiricalGap, gapBySlice, impliedGap, pscShare, type SliceOptions } from './empirical.js';
import { oracleAuc, truthErrors, uncheckedTruth } from './truth.js';
import { pscVerdict, type VerdictContext } from './verdict.js';
import type {
  DecompositionSummary,
  ModelRole,
  ModelPsc,
  EstimatePair,
  PscAnalysis,
} from '../../../src-shared/types/psc.js';

export type { DecompositionSummary, ModelRole, ModelPsc, EstimatePair, PscAnalysis };
export { PSC_DEFINITIONS } from '../../../src-shared/types/psc.js';

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
  /** Data with true-probability columns (simulated): all of them, or only some (see PscAnalysis.truth). */
  truth?: PartialTruth;
  slices?: SliceField[];
  options?: { estimates?: EstimateOptions; comparison?: ComparisonProtocol };
  /** What the verdict needs beyond the rows: the runs' "did it learn?" and the whole dataset's PSC share. */
  context?: VerdictContext;
}

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
  if (truth && Object.keys(truth).length > 0) {
    const stages = truthStages(truth);
    // The implied gap and the decomposition need at least the truth's pCTR and pCVR, as a model's do.
    const whole = stages.ctr && stages.cvr ? (stages as StageArrays) : undefined;
    truthAnalysis = {
      psc: {
        impliedGap: whole ? impliedGap(whole, labels.click) : { kind: 'none', value: NaN },
        decomposition: whole ? summariseDecomposition(whole, labels.click) : null,
      },
      errors: Object.fromEntries(
        Object.entries(stagesByModel).map(([name, modelStages]) => [
          name,
          truthErrors(modelStages, truth, labels.click),
        ]),
      ),
      oracleAuc: oracleAuc(truth, labels),
      unchecked: uncheckedTruth(truth),
    };
  }

  const analysis: PscAnalysis = {
    rows,
    clicks: countClicked(labels, labels.click),
    actions: countClicked(labels, labels.action),
    purchases: countClicked(labels, labels.purchase),
    empirical: { pscShare: pscShare(labels), gap: empiricalGap(labels) },
    models,
    estimates,
    // A field none of whose values has enough clicks on these rows is all "other": it says nothing, so it is left out.
    slices: slices
      .map(({ field, ids, vocabulary, options: sliceOptions }) => ({
        field,
        slices: gapBySlice(labels, ids, vocabulary, stagesByModel, sliceOptions),
      }))
      .filter((field) => field.slices.some((slice) => !slice.isOther)),
    truth: truthAnalysis,
    comparison: compareModels(labels, stagesByModel, options.comparison),
  };
  const verdict = pscVerdict({ labels, stagesByModel, truth, analysis }, input.context);
  return verdict ? { ...analysis, verdict } : analysis;
}
