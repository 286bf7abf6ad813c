/**
 * On simulated data the true per-row probabilities are known, so a model can be judged against them directly
 * instead of only through noisy 0/1 labels: how far each stage is from the truth, and how far its ranking is
 * from the best ranking possible.
 */
import { evaluateStages, mae, reliability, rmse, type FunnelLabelsLike } from '../metrics/index.js';
import type { StageArrays } from '../train/predict.js';
import { decompose, truthStages, type SimulationTruth } from './decomposition.js';
import type { ProbabilityErrors, TruthErrors, OracleAuc } from '../../../src-shared/types/psc.js';

export type { ProbabilityErrors, TruthErrors, OracleAuc } from '../../../src-shared/types/psc.js';

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
 * stages are served). The chained product and the PSC gap are compared too when the model decomposes pCVR, since
 * recovering the gap is what the models are meant to get right.
 */
export function truthErrors(stages: StageArrays, truth: SimulationTruth, clickMask: ArrayLike<number>): TruthErrors {
  const truthByStage = truthStages(truth);
  const decomposition = decompose(stages);
  const pairs: [string, ArrayLike<number> | null | undefined, ArrayLike<number>][] = [
    ...(Object.keys(truthByStage) as (keyof StageArrays)[]).map(
      (stage): [string, ArrayLike<number> | undefined, ArrayLike<number>] => [
        stage,
        stages[stage],
        truthByStage[stage],
      ],
    ),
    ['chainedCtcvr', decomposition.chained, truth.true_chained_ctcvr],
    ['pscGap', decomposition.gap, truth.true_psc_gap],
  ];
  const result: TruthErrors = {};
  for (const [stage, model, trueValues] of pairs) {
    if (!model) continue;
    result[stage] = { exposure: errors(model, trueValues), clicked: errors(model, trueValues, clickMask) };
  }
  return result;
}

/**
 * AUC of the true probabilities under the protocol of evaluateStages (ctr, ctcvr, ctavr on all rows; cvr, avr on
 * clicked rows). The labels were drawn from these probabilities, so no function of the features ranks better in
 * expectation: it is the ceiling for every model's AUC on the same rows (a model can pass it by sampling noise
 * only, and only by little).
 */
export function oracleAuc(truth: SimulationTruth, labels: FunnelLabelsLike): OracleAuc {
  const metrics = evaluateStages(truthStages(truth), labels);
  return {
    ctr_auc: metrics.ctr_auc,
    cvr_auc: metrics.cvr_auc,
    ctcvr_auc: metrics.ctcvr_auc,
    avr_auc: metrics.avr_auc,
    ctavr_auc: metrics.ctavr_auc,
  };
}
