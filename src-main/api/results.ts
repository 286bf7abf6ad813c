/**
 * The results view computed from labels and stage probabilities alone: plain data in, plain JSON out, no
 * project, so it runs on a worker thread as well as here (views.ts reads the data, this computes).
 */
import type { FunnelLabels } from '../engine/data/dataset.js';
import { evaluateStages, prCurve, reliability, rocCurve } from '../engine/metrics/index.js';
import { aucInterval, compareModels } from '../engine/psc/index.js';
import type { StageArrays } from '../engine/train/predict.js';
import type { CurveStage, ResultsView, RunSummary, StageCurves } from '../../src-shared/api/contract.js';
import type { Histogram } from '../../src-shared/types/index.js';

export interface ResultsInput {
  dataset: string;
  part: ResultsView['part'];
  runs: RunSummary[];
  labels: FunnelLabels;
  userIds?: Int32Array;
  /** Per run id, on the rows of `labels`. */
  stages: Record<string, StageArrays>;
}

const CURVE_POINTS = 200;
const SCORE_BINS = 20;

function product(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((value, i) => value * b[i]);
}

/** The labels, scores and rows each curve stage is evaluated on: the protocol of evaluateStages. */
function curveSetup(labels: FunnelLabels, stages: StageArrays, stage: CurveStage) {
  const { click, purchase } = labels;
  if (stage === 'ctr') return { labels: click, scores: stages.ctr };
  if (stage === 'cvr') return { labels: purchase, scores: stages.cvr, mask: click };
  return { labels: product(click, purchase), scores: stages.ctcvr };
}

/** Score histograms of the positive and the negative rows on the same equal-width bins over [0, 1]. */
export function scoreHistograms(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  mask?: ArrayLike<number>,
  bins = SCORE_BINS,
): { positive: Histogram; negative: Histogram } {
  const edges = Array.from({ length: bins + 1 }, (_, k) => k / bins);
  const positive = new Array<number>(bins).fill(0);
  const negative = new Array<number>(bins).fill(0);
  for (let i = 0; i < labels.length; i++) {
    if (mask && !mask[i]) continue;
    const bin = Math.min(Math.max(Math.floor(scores[i] * bins), 0), bins - 1);
    (labels[i] > 0.5 ? positive : negative)[bin]++;
  }
  return { positive: { edges, counts: positive }, negative: { edges, counts: negative } };
}

/** The AUCs' 95% DeLong intervals of one run, on the rows each AUC is defined on. */
function aucIntervals(labels: FunnelLabels, stages: StageArrays): Record<string, [number, number]> {
  const { click, action, purchase } = labels;
  const intervals: Record<string, [number, number]> = {
    ctr_auc: aucInterval(click, stages.ctr),
    cvr_auc: aucInterval(purchase, stages.cvr, click),
    ctcvr_auc: aucInterval(product(click, purchase), stages.ctcvr),
  };
  if (action && stages.avr) intervals.avr_auc = aucInterval(action, stages.avr, click);
  if (action && stages.ctavr) intervals.ctavr_auc = aucInterval(product(click, action), stages.ctavr);
  return Object.fromEntries(Object.entries(intervals).filter(([, [low, high]]) => Number.isFinite(low + high)));
}

export function computeResults(input: ResultsInput): ResultsView {
  const { labels, stages, runs } = input;
  const metrics: ResultsView['metrics'] = {};
  const intervals: ResultsView['intervals'] = {};
  const curves: StageCurves[] = [];
  for (const run of runs) {
    const own = stages[run.id];
    metrics[run.id] = evaluateStages(own, labels, input.userIds);
    intervals[run.id] = aucIntervals(labels, own);
    for (const stage of ['ctr', 'cvr', 'ctcvr'] as const) {
      const setup = curveSetup(labels, own, stage);
      curves.push({
        runId: run.id,
        model: run.model,
        stage,
        roc: rocCurve(setup.labels, setup.scores, setup.mask, CURVE_POINTS),
        pr: prCurve(setup.labels, setup.scores, setup.mask, CURVE_POINTS),
        reliability: reliability(setup.labels, setup.scores, setup.mask),
        scores: scoreHistograms(setup.labels, setup.scores, setup.mask),
      });
    }
  }
  return {
    dataset: input.dataset,
    part: input.part,
    runs,
    metrics,
    intervals,
    comparison: compareModels(labels, stages),
    curves,
  };
}
