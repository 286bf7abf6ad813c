/**
 * The plain-JSON shapes of the PSC analysis (see src-main/engine/psc): what the CLI prints, the UI charts and the
 * PDF reports. Pure types and constants only.
 */
export type Proportion =
  | { available: true; estimate: number; ci95: [number, number]; successes: number; trials: number }
  | { available: false; reason: string };

/**
 * How a model's implied gap P(b, ¬a | c) is obtained:
 * - 'decomposed': the model has P(b|¬a,c) (esm2, chain, the truth): mean of (1 − pAVR)·P(b|¬a,c). For chain
 *   that tower is identically 0, so its implied gap is exactly 0: the chain rule assumes PSC away.
 * - 'lower-bound': the model has pCVR and pAVR but no purchase split (esmc, esms, esmg). Since
 *   P(b,a|c) ≤ P(a|c), P(b,¬a|c) = P(b|c) − P(b,a|c) ≥ max(0, pCVR − pAVR): value is the mean of that per-row
 *   lower bound; upperBound is the mean of min(pCVR, 1 − pAVR), from P(b,¬a|c) ≤ P(b|c) and ≤ P(¬a|c).
 * - 'none': no pAVR (naive, esmm): the model says nothing about the action.
 */
export type ImpliedGapKind = 'decomposed' | 'lower-bound' | 'none';

export interface ImpliedGap {
  kind: ImpliedGapKind;
  /** Mean over the clicked rows; NaN for 'none' or when there are no clicked rows. */
  value: number;
  /** Only for 'lower-bound'. */
  upperBound?: number;
}

export interface SliceGap {
  value: string;
  /** The merged slice: id 0 (missing / out of vocabulary), values beyond the top K and values under minClicks. */
  isOther: boolean;
  /** Distinct ids in the slice (1 for a kept value). */
  distinctValues: number;
  rows: number;
  clicks: number;
  /** Clicked rows with an action; NaN without an action label. */
  actions: number;
  /** Clicked rows with a purchase. */
  purchases: number;
  empiricalGap: Proportion;
  pscShare: Proportion;
  /** Each model's implied P(b, ¬a | c) on this slice's clicked rows. */
  models: Record<string, ImpliedGap>;
}

export interface Histogram {
  /** bins + 1 ascending edges; bin k is [edges[k], edges[k+1]), the last one closed. */
  edges: number[];
  counts: number[];
}

export interface DeltaDistribution {
  rows: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  median: number;
  quantiles: { levels: number[]; values: number[] };
  /** Share of rows with Δ > 0, i.e. where the constrained model puts more purchase mass than the chain. */
  positiveShare: number;
  meanChained: number;
  meanConstrained: number;
  histogram: Histogram;
}

export interface ScatterSample {
  /** Row indices of the sampled points, ascending. */
  rows: number[];
  chained: number[];
  constrained: number[];
}

export interface ProbabilityErrors {
  rows: number;
  rmse: number;
  mae: number;
  /**
   * ECE-style calibration error against the true probability instead of the label: over 10 equal-width bins of
   * the model's probability, Σ_b (n_b/N)·|mean model probability − mean true probability|. 0 when the model is
   * calibrated in the mean per bin, even if it ranks badly (which RMSE then shows).
   */
  ece: number;
}

/** Keyed by stage (ctr, avr, cvr, ctavr, ctcvr, buyGivenAction, buyGivenNoAction, chainedCtcvr, pscGap). */
export type TruthErrors = Record<string, { exposure: ProbabilityErrors; clicked: ProbabilityErrors }>;

/** A stage the truth could not check because the data lacks its true-probability column. */
export interface UncheckedTruth {
  /** A key of TruthErrors: ctr, avr, cvr, ctavr, ctcvr, buyGivenAction, buyGivenNoAction, chainedCtcvr, pscGap. */
  stage: string;
  /** The missing column, e.g. true_ctcvr. */
  column: string;
  /** What to tell a person: "no true_ctcvr column: CTCVR not checked against the truth". */
  reason: string;
}

export interface OracleAuc {
  ctr_auc: number;
  cvr_auc: number;
  ctcvr_auc: number;
  avr_auc: number;
  ctavr_auc: number;
}

export interface DelongResult {
  aucA: number;
  aucB: number;
  /** aucA − aucB. */
  difference: number;
  standardError: number;
  z: number;
  /** Two-sided. */
  pValue: number;
  ci95: [number, number];
  positives: number;
  negatives: number;
  /** Set when the test is undefined on these rows; every number is then NaN. */
  reason?: string;
}

export interface BootstrapResult {
  /** metric(A) − metric(B) on the rows themselves. */
  difference: number;
  /** Percentile interval of the resampled differences. */
  ci95: [number, number];
  /** Two-sided: 2·min(share of differences ≤ 0, share ≥ 0), at most 1. */
  pValue: number;
  /** Standard deviation of the resampled differences. */
  standardError: number;
  /** Resamples whose difference was defined. */
  resamples: number;
  reason?: string;
}

export type ComparedMetric = 'cvr_auc' | 'ctcvr_auc';

export interface ComparisonProtocol {
  /** Default both, under the protocol of evaluateStages: cvr_auc on clicked rows, ctcvr_auc on all rows. */
  metrics?: ComparedMetric[];
  /** Significance level of the flag; default 0.05, per pair and not adjusted for the number of pairs. */
  alpha?: number;
  /** 'delong' (default) or the stratified paired 'bootstrap'. */
  method?: 'delong' | 'bootstrap';
  /** The resampling of the paired bootstrap (the engine's BootstrapOptions); its defaults apply. */
  bootstrap?: { resamples?: number; seed?: number };
}

export interface PairwiseComparison {
  metric: ComparedMetric;
  modelA: string;
  modelB: string;
  aucA: number;
  aucB: number;
  /** aucA − aucB. */
  difference: number;
  standardError: number;
  pValue: number;
  ci95: [number, number];
  /** pValue < alpha. */
  significant: boolean;
  reason?: string;
}

export interface ModelComparison {
  method: 'delong' | 'bootstrap';
  alpha: number;
  pairs: PairwiseComparison[];
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
  /**
   * Against the true probabilities, for data with true_* columns (the simulator writes all of them); null without
   * any. A file with only some of them is checked on the stages it has: the others have no errors, NaN oracle AUCs,
   * and are listed in `unchecked`. The truth's implied gap and decomposition need true_ctr and true_cvr (and the
   * split of purchases); without them the implied gap is 'none' and the decomposition null.
   */
  truth: {
    psc: Omit<ModelPsc, 'role'>;
    errors: Record<string, TruthErrors>;
    oracleAuc: OracleAuc;
    /** The stages not checked for want of their column; empty with the simulator's full truth. */
    unchecked: UncheckedTruth[];
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
