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
 * - 'none': the model does not split its purchases by the action: naive, esmm, escm2-ips, escm2-dr and dcmt have no
 *   pAVR; esmc, esms, esmg and aitm have pCVR and pAVR but nothing ties them (their bounds, max(0, pCVR − pAVR) to min(pCVR, 1 − pAVR), are
 *   too wide to tell anything, so no implied gap is shown for them).
 */
export type ImpliedGapKind = 'decomposed' | 'none';

export interface ImpliedGap {
  kind: ImpliedGapKind;
  /** Mean over the clicked rows; NaN for 'none' or when there are no clicked rows. */
  value: number;
  /** For 'none': why the model implies no gap, in words. */
  reason?: string;
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
  /**
   * |slice gap − overall gap| over its standard error (src-shared/stats.ts, standardisedDistance): how far the
   * slice's gap stands from the whole's beyond noise. Slices come ordered by it, largest first, "other" last.
   * NaN when the gap is not available.
   */
  distance: number;
  /**
   * Why the slice cannot tell anything about PSC: no purchases, or every purchase with an action, or every one
   * without. Absent for a slice that can.
   */
  note?: string;
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
 * purchase-after-action tower (esmc, esms, esmg, aitm); other: no action stage at all (naive, esmm, escm2-ips,
 * escm2-dr, dcmt). Decided from the
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

/** A mean with its 95% interval (normal approximation over rows unless said otherwise). */
export interface Estimate {
  value: number;
  ci95: [number, number];
}

/** What one model's numbers say for the analyst's question; built by the engine's pscVerdict. */
export interface ModelVerdict {
  model: string;
  /** The run's "did it learn?" status; 'unknown' for runs trained before the check. Only learned runs are ranked. */
  learned: 'learned' | 'not-learned' | 'untestable' | 'unknown';
  learningSummary?: string;
  /** 1 for the model to trust; null when not ranked (did not learn). */
  rank: number | null;
  /** Mean pCVR − observed purchase rate over the clicked rows. */
  cvrBias: Estimate;
  /**
   * Models that route purchases through the action (chain, esm2): their implied mass on each path minus the observed
   * one, over the clicked rows: pAVR·P(b|a,c) − 1[a, b] and (1 − pAVR)·P(b|¬a,c) − 1[¬a, b].
   */
  actionPathBias?: Estimate;
  noActionPathBias?: Estimate;
  /** Share of the model's purchases it puts on the no-action path, against the measured PSC share. */
  impliedShare?: number;
  cvrLogloss: number;
  cvrAuc: Estimate;
  /** RMSE of pCVR against the true CVR on the clicked rows, when the data has it. */
  truthRmse?: number;
  /**
   * Against the model to trust: this − trusted for the ranking measure, CVR log-loss (> 0: worse) and CVR AUC
   * (< 0: worse), paired 95% intervals; withinNoise when the ranking measure's interval includes 0.
   */
  versusTrusted?: { model: string; measure: Estimate; logloss: Estimate; auc: Estimate; withinNoise: boolean };
  /** Hurt by PSC: it routes purchases through the action and puts too little on the no-action path, beyond noise. */
  hurt: boolean;
  /** One sentence about this model, with its numbers. */
  sentence: string;
}

/** A model the verdict may rank: it learned, or it trained before the "did it learn?" check. */
export const mayBeRanked = (model: Pick<ModelVerdict, 'learned'>) =>
  model.learned === 'learned' || model.learned === 'unknown';

/** Why a model that may not be ranked is not: its data could not test it, or it failed the test. */
export const notLearnedText = (model: Pick<ModelVerdict, 'learned'>) =>
  model.learned === 'untestable' ? 'could not be tested' : 'did not learn';

/**
 * The answer to the analyst's question, in one place: how much of the purchases bypass the in-shop action, which
 * model is hurt by that and by how much, and which model to trust for pCVR. The PSC view, the Results view and the
 * report's first page show these sentences as they are.
 */
export interface PscVerdict {
  share: {
    /** On the whole dataset (the Data view's figure); null when the analysis was given no dataset counts. */
    dataset: Proportion | null;
    /** On the part analysed. */
    part: Proportion;
    partName: 'validation' | 'test';
    /** Why the part's figure differs from the dataset's, when it is shown beside it. */
    difference?: string;
  };
  /**
   * material: the share's interval lies above PSC_MATERIAL_SHARE; not-material: below it; uncertain: it straddles
   * it; unknown: no in-shop action label.
   */
  materiality: 'material' | 'not-material' | 'uncertain' | 'unknown';
  /** truth: RMSE of pCVR against the simulator's true CVR; logloss: CVR log-loss on the clicked rows. */
  rankedBy: 'truth' | 'logloss';
  /** Ranked models first (rank 1 = trust), then the ones not ranked. */
  models: ModelVerdict[];
  trust: string | null;
  /**
   * Why no model is ranked although some learned: the analysed part's clicks are all purchases or all not (ranked
   * by log-loss only; the truth ranks them still), where whoever predicts nearest 0 (or 1) would come first.
   */
  unranked?: string;
  /** Models whose ranking measure is within noise of the trusted one's. */
  tiedWithTrust: string[];
  hurt: string[];
  /** The first sentence: the answer in short. */
  headline: string;
  /** Every sentence in reading order: share, who is hurt, whom to trust, who is not ranked. */
  sentences: string[];
  /** What limits the answer: few purchases, untestable stages, runs not checked. */
  caveats: string[];
}

/** Below this share of purchases without an action, PSC is not material: the chain rule holds closely enough. */
export const PSC_MATERIAL_SHARE = 0.05;

export interface PscAnalysis {
  rows: number;
  clicks: number;
  /** Clicked rows with an action; NaN without an action label. */
  actions: number;
  /** Clicked rows with a purchase. */
  purchases: number;
  empirical: { pscShare: Proportion; gap: Proportion };
  models: Record<string, ModelPsc>;
  /** Every (chained, constrained) pair present: constrained pCVR − the chained model's full chain. */
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
  /** The answer in sentences (see PscVerdict); absent when no model has pCVR to judge. */
  verdict?: PscVerdict;
}

/** What each definition in the analysis means, for the UI's tooltips and the PDF's glossary. */
export const PSC_DEFINITIONS: Record<string, string> = {
  pscShare: 'P(a=0 | b=1, c=1): share of clicked purchases made without an in-shop action (Wilson 95% CI)',
  gap: 'P(b=1, a=0 | c=1): clicked rows with a purchase and no in-shop action, per click (Wilson 95% CI)',
  impliedGap:
    "a model's P(b, ¬a | c) averaged over clicked rows: (1 − pAVR)·P(b|¬a,c) for a model that splits its purchases " +
    'by the action (esm2; 0 for chain, which routes every purchase through it); none for models that do not split ' +
    'them (naive, esmm, escm2-ips, escm2-dr, dcmt, esmc, esms, esmg, aitm)',
  impliedShare: "a model's implied gap over its mean pCVR: the share of its purchases it puts on the no-action path",
  estimates:
    "Δ = constrained pCVR − the chained model's own full chain, pAVR·P(b|a,c) + (1 − pAVR)·P(b|¬a,c) (for chain " +
    'the second term is 0), on clicked rows; on exposures the same × each model’s pCTR',
  pathBias:
    "a model's implied mass on a path minus the observed one, over clicked rows: pAVR·P(b|a,c) − 1[action, buy] " +
    '(action path) and (1 − pAVR)·P(b|¬a,c) − 1[no action, buy] (no-action path), mean with a 95% interval',
  cvrBias: 'mean pCVR − observed purchase rate over the clicked rows, with a 95% interval',
  materiality: `PSC is material when the 95% interval of the PSC share lies above ${PSC_MATERIAL_SHARE * 100}%, not material when it lies below`,
  trust:
    'the learned model with the lowest error against the true CVR (simulated data), else the lowest CVR log-loss on ' +
    'the clicked rows (none when those are all purchases or none: nothing about pCVR is tested there); models ' +
    'whose paired difference has a 95% interval including 0 are within noise of it',
  decomposition: 'pCVR = pAVR·P(b|a,c) + (1 − pAVR)·P(b|¬a,c); pCTCVR = chained P(c)·P(a|c)·P(b|a,c) + gap',
  truthErrors: 'RMSE, MAE and 10-bin calibration error of each stage against the true probability',
  oracleAuc: 'AUC of the true probabilities under the same protocol: the ceiling for any model',
  comparison: 'DeLong test of two correlated AUCs on the same rows; significant at p < alpha, unadjusted',
};
