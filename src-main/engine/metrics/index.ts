export { auc, gauc, rocCurve, prCurve } from './auc.js';
export type { GaucResult, RocCurve, PrCurve } from './auc.js';
export { PROBABILITY_CLIP, logloss, reliability, rmse, mae } from './calibration.js';
export type { Reliability, ReliabilityBin } from './calibration.js';
export { METRIC_DESCRIPTIONS, evaluateStages } from './stages.js';
export type { FunnelLabelsLike, StageMetrics, StagePredictions } from './stages.js';
