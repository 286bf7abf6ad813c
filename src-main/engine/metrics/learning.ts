/**
 * "Did it learn?" A trained model is set against the constant predictor that knows only the training rows' rate
 * of each stage, on held-out rows. Three checks, each with its interval so that noise is not called failure and
 * failure is not hidden by noise: ranking (AUC interval above 0.5), level (mean prediction within a factor of
 * the observed rate's interval) and fit (log-loss below the constant's; the paired interval of the gain is kept for
 * the record).
 */
import { aucInterval, MIN_CLASS_ROWS_FOR_AUC } from '../psc/compare.js';
import { wilsonInterval, Z_95 } from '../psc/empirical.js';
import { auc } from './auc.js';
import { PROBABILITY_CLIP } from './calibration.js';
import { evaluateStages, type FunnelLabelsLike, type StageMetrics, type StagePredictions } from './stages.js';
import { formatPercent } from '../../../src-shared/charts/common.js';
import type { Stage } from '../../../src-shared/types/training.js';
import {
  ASSESSED_STAGES,
  type AssessedStage,
  type LearningAssessment,
  type LearningReason,
  type PartLearning,
  type StageLearning,
} from '../../../src-shared/types/learning.js';

export type { AssessedStage, LearningAssessment, PartLearning, StageLearning };

/** A mean prediction this many times above or below the observed rate's interval is off its level. */
export const CALIBRATION_FACTOR = 2;
/** Predictions whose spread is below this share of their mean are one value for every row. */
const CONSTANT_SPREAD = 1e-3;

/** Clicked rows, actions and purchases of a training part: what the constant predictor knows. */
export interface LabelCounts {
  rows: number;
  clicks: number;
  /** Null without an action label (both). */
  clickedActions: number | null;
  clickedActionPurchases: number | null;
  clickedPurchases: number;
}

export function countLabels(labels: FunnelLabelsLike): LabelCounts {
  let clicks = 0;
  let clickedActions = 0;
  let clickedActionPurchases = 0;
  let clickedPurchases = 0;
  for (let i = 0; i < labels.click.length; i++) {
    if (labels.click[i] <= 0.5) continue;
    clicks++;
    const acted = labels.action !== undefined && labels.action[i] > 0.5;
    const bought = labels.purchase[i] > 0.5;
    if (acted) clickedActions++;
    if (bought) clickedPurchases++;
    if (acted && bought) clickedActionPurchases++;
  }
  const withAction = labels.action !== undefined;
  return {
    rows: labels.click.length,
    clicks,
    clickedActions: withAction ? clickedActions : null,
    clickedActionPurchases: withAction ? clickedActionPurchases : null,
    clickedPurchases,
  };
}

/** Each stage's rate in the rows counted: the constant predictor's values, and where output biases start. */
export function stageRates(counts: LabelCounts): Partial<Record<Stage, number>> {
  const { rows, clicks, clickedActions, clickedActionPurchases, clickedPurchases } = counts;
  const rate = (part: number, whole: number) => (whole > 0 ? part / whole : NaN);
  const rates: Partial<Record<Stage, number>> = {
    ctr: rate(clicks, rows),
    cvr: rate(clickedPurchases, clicks),
    ctcvr: rate(clickedPurchases, rows),
  };
  if (clickedActions !== null && clickedActionPurchases !== null) {
    rates.avr = rate(clickedActions, clicks);
    rates.ctavr = rate(clickedActions, rows);
    rates.buyGivenAction = rate(clickedActionPurchases, clickedActions);
    rates.buyGivenNoAction = rate(clickedPurchases - clickedActionPurchases, clicks - clickedActions);
  }
  return Object.fromEntries(Object.entries(rates).filter(([, value]) => Number.isFinite(value)));
}

const STAGE_NAMES: Record<AssessedStage, { label: string; prediction: string }> = {
  ctr: { label: 'CTR', prediction: 'pCTR' },
  avr: { label: 'AVR', prediction: 'pAVR' },
  cvr: { label: 'CVR', prediction: 'pCVR' },
  ctavr: { label: 'CTAVR', prediction: 'pCTAVR' },
  ctcvr: { label: 'CTCVR', prediction: 'pCTCVR' },
};

/** The label column, the scores and the rows each stage is scored on (evaluateStages' protocol). */
function stageColumns(
  stage: AssessedStage,
  predictions: StagePredictions,
  labels: FunnelLabelsLike,
): { labels: Float32Array; scores: Float32Array; mask?: Float32Array } | undefined {
  const both = (a: Float32Array, b: Float32Array) => a.map((value, i) => value * b[i]);
  switch (stage) {
    case 'ctr':
      return { labels: labels.click, scores: predictions.ctr };
    case 'cvr':
      return { labels: labels.purchase, scores: predictions.cvr, mask: labels.click };
    case 'ctcvr':
      return { labels: both(labels.click, labels.purchase), scores: predictions.ctcvr };
    case 'avr':
      return labels.action && predictions.avr
        ? { labels: labels.action, scores: predictions.avr, mask: labels.click }
        : undefined;
    case 'ctavr':
      return labels.action && predictions.ctavr
        ? { labels: both(labels.click, labels.action), scores: predictions.ctavr }
        : undefined;
  }
}

const clip = (p: number) => Math.min(Math.max(p, PROBABILITY_CLIP), 1 - PROBABILITY_CLIP);
const crossEntropy = (y: number, p: number) => -(y * Math.log(clip(p)) + (1 - y) * Math.log(1 - clip(p)));
const decimals = (value: number) => value.toFixed(2);
const interval = ([low, high]: [number, number], format: (v: number) => string) => `[${format(low)}, ${format(high)}]`;

/** One stage on one part: the three checks, or untestable when its rows hold one class. */
export function assessStage(
  stage: AssessedStage,
  predictions: StagePredictions,
  labels: FunnelLabelsLike,
  baseRate: number,
): StageLearning | undefined {
  const columns = stageColumns(stage, predictions, labels);
  if (!columns) return undefined;
  const { label, prediction } = STAGE_NAMES[stage];
  let rows = 0;
  let positives = 0;
  let sum = 0;
  let sumSquares = 0;
  let modelLoss = 0;
  let baseLoss = 0;
  let improvementSum = 0;
  let improvementSquares = 0;
  for (let i = 0; i < columns.labels.length; i++) {
    if (columns.mask && columns.mask[i] <= 0.5) continue;
    const y = columns.labels[i] > 0.5 ? 1 : 0;
    const p = columns.scores[i];
    rows++;
    positives += y;
    sum += p;
    sumSquares += p * p;
    const own = crossEntropy(y, p);
    const constant = crossEntropy(y, baseRate);
    modelLoss += own;
    baseLoss += constant;
    improvementSum += constant - own;
    improvementSquares += (constant - own) ** 2;
  }
  const negatives = rows - positives;
  const meanPrediction = rows > 0 ? sum / rows : NaN;
  const spread = rows > 1 ? Math.sqrt(Math.max(0, sumSquares / rows - meanPrediction ** 2)) : 0;
  const improvement = rows > 0 ? improvementSum / rows : NaN;
  const improvementSd =
    rows > 1 ? Math.sqrt(Math.max(0, (improvementSquares - rows * improvement ** 2) / (rows - 1))) : NaN;
  const improvementHalf = (Z_95 * improvementSd) / Math.sqrt(rows);
  const value = auc(columns.labels, columns.scores, columns.mask);
  const enoughForAuc = positives >= MIN_CLASS_ROWS_FOR_AUC && negatives >= MIN_CLASS_ROWS_FOR_AUC;
  const ci = enoughForAuc ? aucInterval(columns.labels, columns.scores, columns.mask) : null;
  const aucCi = ci && Number.isFinite(ci[0] + ci[1]) ? ci : null;
  const observedRate = rows > 0 ? positives / rows : NaN;
  const observedCi = wilsonInterval(positives, rows);
  const assessed: StageLearning = {
    stage,
    status: 'learned',
    rows,
    positives,
    auc: value,
    aucCi,
    meanPrediction,
    observedRate,
    observedCi,
    baseRate,
    logloss: rows > 0 ? modelLoss / rows : NaN,
    baseLogloss: rows > 0 ? baseLoss / rows : NaN,
    improvement,
    improvementCi: [improvement - improvementHalf, improvement + improvementHalf],
    reasons: [],
    summary: '',
  };
  const reasons = assessed.reasons;
  const add = (code: LearningReason, text: string) => reasons.push({ code, text });
  if (positives === 0 || negatives === 0) {
    const what =
      stage === 'ctr'
        ? positives === 0
          ? 'clicks'
          : 'non-click exposures'
        : positives === 0
          ? 'positives'
          : 'negatives';
    add('single-class', `no ${what} among the ${rows} rows it is scored on`);
    assessed.status = 'untestable';
    assessed.summary = `${label} cannot be tested: ${reasons[0].text}`;
    return assessed;
  }
  if (spread <= CONSTANT_SPREAD * meanPrediction)
    add('constant', `predicts the same ${prediction} (${formatPercent(meanPrediction)}) for every row`);
  if (aucCi && aucCi[0] <= 0.5)
    add('auc', `AUC ${decimals(value)} ${interval(aucCi, decimals)} ${aucCi[1] < 0.5 ? 'is below' : 'includes'} 0.5`);
  const [low, high] = observedCi;
  if (meanPrediction > high * CALIBRATION_FACTOR || meanPrediction < low / CALIBRATION_FACTOR)
    add(
      'calibration',
      `mean ${prediction} ${formatPercent(meanPrediction)} vs ${formatPercent(observedRate)} observed ${interval(observedCi, (v) => formatPercent(v))}`,
    );
  const rarer = Math.min(positives, negatives);
  if (!(assessed.logloss < assessed.baseLogloss))
    add(
      'logloss',
      `log-loss ${assessed.logloss.toFixed(4)} is no better than ${assessed.baseLogloss.toFixed(4)} for the constant ${formatPercent(baseRate)}`,
    );
  else if (!enoughForAuc && assessed.improvementCi[0] <= 0)
    // Without a ranking check, a log-loss a hair below the constant's is what an untrained model gets by chance:
    // only a gain beyond noise shows learning.
    add(
      'few-positives',
      `with ${rarer} rows of the rarer class its ranking cannot be checked, and its log-loss gain over the constant ` +
        `[${(assessed.improvementCi[0] * 1000).toFixed(1)}, ${(assessed.improvementCi[1] * 1000).toFixed(1)}]×10⁻³ includes 0`,
    );
  if (reasons.length > 0) {
    assessed.status = 'not-learned';
    assessed.summary = `${label} not learned: ${reasons.map((r) => r.text).join('; ')}`;
  } else {
    if (!enoughForAuc) add('few-positives', `ranking not checked: ${rarer} rows of the rarer class`);
    assessed.summary =
      `${label} learned: AUC ${decimals(value)}${aucCi ? ` ${interval(aucCi, decimals)}` : ''}, ` +
      `mean ${prediction} ${formatPercent(meanPrediction)} vs ${formatPercent(observedRate)} observed`;
  }
  return assessed;
}

export function assessPart(
  part: PartLearning['part'],
  predictions: StagePredictions,
  labels: FunnelLabelsLike,
  baseRates: Partial<Record<AssessedStage, number>>,
): PartLearning {
  const stages = ASSESSED_STAGES.flatMap((stage) => {
    const rate = baseRates[stage];
    const assessed = rate === undefined ? undefined : assessStage(stage, predictions, labels, rate);
    return assessed ? [assessed] : [];
  });
  return { part, stages };
}

/**
 * The stages a model serves (pCTR, pCVR, pCTCVR): a run that fails one of them did not learn. The action stages
 * only feed its path split; failing them there (often on a handful of actions) is said, not disqualifying.
 */
const SERVED_STAGES: ReadonlySet<AssessedStage> = new Set(['ctr', 'cvr', 'ctcvr']);

/** The run's verdict from its parts: read on the test part when there is one. */
export function learningVerdict(parts: LearningAssessment['parts']): LearningAssessment | undefined {
  const chosen = parts.test ?? parts.validation;
  if (!chosen) return undefined;
  const label = (stage: StageLearning) => STAGE_NAMES[stage.stage].label;
  const reasons = (stage: StageLearning) => stage.reasons.map((reason) => reason.text).join('; ');
  const failing = chosen.stages.filter((s) => s.status === 'not-learned');
  const notLearned = failing.filter((s) => SERVED_STAGES.has(s.stage));
  const weak = failing.filter((s) => !SERVED_STAGES.has(s.stage));
  const untestable = chosen.stages.filter((s) => s.status === 'untestable');
  const learned = chosen.stages.filter((s) => s.status === 'learned').map(label);
  const servedTested = chosen.stages.some((s) => SERVED_STAGES.has(s.stage) && s.status !== 'untestable');
  const summary = [
    notLearned.length > 0
      ? `Not learned: ${notLearned.map((s) => `${label(s)} (${reasons(s)})`).join('; ')}`
      : learned.length > 0
        ? `Learned ${learned.join(', ')} on the ${chosen.part} rows`
        : 'Nothing to check',
    ...(weak.length > 0
      ? [`Not shown to be learned: ${weak.map((s) => `${label(s)} (${reasons(s)})`).join('; ')}`]
      : []),
    ...untestable.map((s) => `${label(s)} cannot be tested: ${reasons(s)}`),
  ].join('. ');
  return {
    part: chosen.part,
    status: notLearned.length > 0 ? 'not-learned' : servedTested ? 'learned' : 'untestable',
    notLearned: notLearned.map((s) => s.stage),
    weak: weak.map((s) => s.stage),
    untestable: untestable.map((s) => s.stage),
    summary,
    parts,
  };
}

/** One held-out part's predictions beside its labels (and users, for GAUC). */
export interface ScoredPart {
  predictions: StagePredictions;
  labels: FunnelLabelsLike;
  userIds?: ArrayLike<number>;
}

/**
 * A run's metrics and "did it learn?" verdict from its validation and test parts, however the predictions were
 * made: by a model the lab trained, or read from a file made elsewhere (an external run).
 */
export function scoreHeldOut(
  parts: Partial<Record<'validation' | 'test', ScoredPart>>,
  baseRates: Partial<Record<Stage, number>>,
): { metrics: { validation?: StageMetrics; test?: StageMetrics }; learning?: LearningAssessment } {
  const metrics: { validation?: StageMetrics; test?: StageMetrics } = {};
  const learning: LearningAssessment['parts'] = {};
  for (const part of ['validation', 'test'] as const) {
    const scored = parts[part];
    if (!scored) continue;
    metrics[part] = evaluateStages(scored.predictions, scored.labels, scored.userIds);
    learning[part] = assessPart(part, scored.predictions, scored.labels, baseRates);
  }
  return { metrics, learning: learningVerdict(learning) };
}
