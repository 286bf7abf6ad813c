/**
 * On simulated data the true per-row probabilities are known, so a model can be judged against them directly
 * instead of only through noisy 0/1 labels: how far each stage is from the truth, and how far its ranking is
 * from the best ranking possible.
 */
import { auc, mae, reliability, rmse, type FunnelLabelsLike } from '../metrics/index.js';
import type { StageArrays } from '../train/predict.js';
import { decompose, TRUTH_COLUMN_OF, truthStages, type PartialTruth } from './decomposition.js';
import type { ProbabilityErrors, TruthErrors, OracleAuc, UncheckedTruth } from '../../../src-shared/types/psc.js';

export type { ProbabilityErrors, TruthErrors, OracleAuc, UncheckedTruth } from '../../../src-shared/types/psc.js';

function errors(model: ArrayLike<number>, truth: ArrayLike<number>, mask?: ArrayLike<number>): ProbabilityErrors {
  let rows = 0;
  for (let i = 0; i < model.length; i++) if (!mask || mask[i]) rows++;
  return {
    rows,
    rmse: rmse(model, truth, mask),
    mae: mae(model, truth, mask),
    ece: reliability(truth, model, mask).ece,
  };
}

/**
 * Every stage both the model and the truth have, on all exposures and on the clicked rows (where the post-click
 * stages are served). The chained product and the PSC gap are compared too when the model decomposes pCVR and the
 * truth has them, since recovering the gap is what the models are meant to get right. A partial truth (a file with
 * only some true_* columns) checks the stages it has.
 */
export function truthErrors(stages: StageArrays, truth: PartialTruth, clickMask: ArrayLike<number>): TruthErrors {
  const truthByStage = truthStages(truth);
  const decomposition = stages.ctr ? decompose(stages) : undefined;
  const pairs: [string, ArrayLike<number> | null | undefined, ArrayLike<number> | undefined][] = [
    ...(Object.keys(truthByStage) as (keyof StageArrays)[]).map(
      (stage): [string, ArrayLike<number> | undefined, ArrayLike<number> | undefined] => [
        stage,
        stages[stage],
        truthByStage[stage],
      ],
    ),
    ['chainedCtcvr', decomposition?.chained, truth.true_chained_ctcvr],
    ['pscGap', decomposition?.gap, truth.true_psc_gap],
  ];
  const result: TruthErrors = {};
  for (const [stage, model, trueValues] of pairs) {
    if (!model || !trueValues) continue;
    result[stage] = { exposure: errors(model, trueValues), clicked: errors(model, trueValues, clickMask) };
  }
  return result;
}

function product(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * b[i];
  return out;
}

/**
 * AUC of the true probabilities under the protocol of evaluateStages (ctr, ctcvr, ctavr on all rows; cvr, avr on
 * clicked rows). The labels were drawn from these probabilities, so no function of the features ranks better in
 * expectation: it is the ceiling for every model's AUC on the same rows (a model can pass it by sampling noise
 * only, and only by little). NaN for a stage the truth (or the labels) lack.
 */
export function oracleAuc(truth: PartialTruth, labels: FunnelLabelsLike): OracleAuc {
  const t = truthStages(truth);
  const clickAction = labels.action && product(labels.click, labels.action);
  return {
    ctr_auc: t.ctr ? auc(labels.click, t.ctr) : NaN,
    cvr_auc: t.cvr ? auc(labels.purchase, t.cvr, labels.click) : NaN,
    ctcvr_auc: t.ctcvr ? auc(product(labels.click, labels.purchase), t.ctcvr) : NaN,
    avr_auc: labels.action && t.avr ? auc(labels.action, t.avr, labels.click) : NaN,
    ctavr_auc: clickAction && t.ctavr ? auc(clickAction, t.ctavr) : NaN,
  };
}

const STAGE_NAMES: Record<string, string> = {
  ctr: 'CTR',
  avr: 'AVR',
  cvr: 'CVR',
  ctavr: 'CTAVR',
  ctcvr: 'CTCVR',
  buyGivenAction: 'P(b|a,c)',
  buyGivenNoAction: 'P(b|¬a,c)',
  chainedCtcvr: 'the chained CTCVR',
  pscGap: 'the PSC gap',
};

/** The stages a partial truth cannot check, each with its missing column: "no true_ctcvr column: CTCVR not checked …". */
export function uncheckedTruth(truth: PartialTruth): UncheckedTruth[] {
  return Object.entries(TRUTH_COLUMN_OF)
    .filter(([, column]) => !truth[column])
    .map(([stage, column]) => ({
      stage,
      column,
      reason: `no ${column} column: ${STAGE_NAMES[stage]} not checked against the truth`,
    }));
}
