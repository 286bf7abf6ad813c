export {
  DELTA_QUANTILES,
  compareEstimates,
  decompose,
  isChainedModel,
  isConstrainedModel,
  isSimulationTruth,
  missingTruthColumns,
  TRUTH_COLUMN_OF,
  truthOf,
  truthStages,
} from './decomposition.js';
export type {
  Decomposition,
  DeltaDistribution,
  EstimateComparison,
  EstimateOptions,
  Histogram,
  PartialTruth,
  ScatterSample,
  SimulationTruth,
} from './decomposition.js';
export { Z_95, empiricalGap, gapBySlice, impliedGap, impliedGapKind, pscShare, wilsonInterval } from './empirical.js';
export type { ImpliedGap, ImpliedGapKind, Proportion, SliceGap, SliceOptions } from './empirical.js';
export { oracleAuc, truthErrors, uncheckedTruth } from './truth.js';
export type { OracleAuc, ProbabilityErrors, TruthErrors, UncheckedTruth } from './truth.js';
export {
  aucInterval,
  compareModels,
  delongComponents,
  delongFromComponents,
  delongTest,
  MIN_CLASS_ROWS_FOR_AUC,
  pairedBootstrap,
  twoSidedNormalPValue,
} from './compare.js';
export type {
  BootstrapOptions,
  BootstrapResult,
  ComparedMetric,
  ComparisonProtocol,
  DelongComponents,
  DelongResult,
  ModelComparison,
  PairedMetric,
  PairwiseComparison,
} from './compare.js';
export { PSC_DEFINITIONS, analysePsc } from './report.js';
export type {
  DecompositionSummary,
  EstimatePair,
  ModelPsc,
  ModelRole,
  PscAnalysis,
  PscInput,
  SliceField,
} from './report.js';
export { pscVerdict } from './verdict.js';
export type { VerdictContext } from './verdict.js';
