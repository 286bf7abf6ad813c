/** The plain-JSON shapes of the engine's metrics (see src-main/engine/metrics); pure types and constants only. */
/** Flat so that it prints as a table row and serializes as-is; NaN where a metric is undefined for the data. */
export type StageMetrics = Record<string, number>;

/**
 * Users with both outcomes a GAUC needs before it is a figure: it averages one AUC per such user, and from a
 * handful of users it is noise (a Taobao test part gave every model 0.2857, from 7 users of 6,092).
 */
export const MIN_GAUC_USERS = 30;

export const METRIC_DESCRIPTIONS: Record<string, string> = {
  ctr_auc: 'AUC of click vs pCTR, all exposures',
  ctr_logloss: 'log-loss of click vs pCTR, all exposures',
  ctr_ece: 'expected calibration error (10 bins) of click vs pCTR, all exposures',
  ctr_gauc: `user-weighted GAUC of click vs pCTR, all exposures (needs user ids, and ${MIN_GAUC_USERS} users with both outcomes)`,
  cvr_auc: 'AUC of purchase vs pCVR, clicked rows only',
  cvr_logloss: 'log-loss of purchase vs pCVR, clicked rows only',
  cvr_ece: 'expected calibration error (10 bins) of purchase vs pCVR, clicked rows only',
  cvr_gauc: `user-weighted GAUC of purchase vs pCVR, clicked rows only (needs user ids, and ${MIN_GAUC_USERS} users with both outcomes)`,
  ctcvr_auc: 'AUC of click·purchase vs pCTCVR, all exposures',
  ctcvr_logloss: 'log-loss of click·purchase vs pCTCVR, all exposures',
  ctcvr_gauc: `user-weighted GAUC of click·purchase vs pCTCVR, all exposures (needs user ids, and ${MIN_GAUC_USERS} users with both outcomes)`,
  ctr_gauc_users: 'users with both a click and a non-click: the users ctr_gauc averages over',
  cvr_gauc_users: 'users with both a purchase and a non-purchase among their clicks: the users cvr_gauc averages over',
  ctcvr_gauc_users: 'users with both a purchase and a row without one: the users ctcvr_gauc averages over',
  avr_auc: 'AUC of action vs pAVR, clicked rows only (needs action label and pAVR)',
  ctavr_auc: 'AUC of click·action vs pCTAVR, all exposures (needs action label and pCTAVR)',
  ctavr_logloss: 'log-loss of click·action vs pCTAVR, all exposures (needs action label and pCTAVR)',
  rows: 'number of exposures evaluated',
  clicks: 'number of clicked exposures',
  actions: 'number of exposures with an in-shop action (NaN without an action label)',
  purchases: 'number of exposures with a purchase',
};

export interface GaucResult {
  /** Row-weighted mean of per-group AUCs; NaN when no group has both classes. */
  value: number;
  /** Groups that contributed (both classes present among their evaluated rows). */
  groups: number;
  /** Groups left out because all their evaluated rows have the same label. */
  skipped: number;
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

export interface PrCurve {
  recall: number[];
  precision: number[];
  thresholds: number[];
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** NaN for an empty bin. */
  meanPredicted: number;
  /** NaN for an empty bin. */
  observedRate: number;
}

export interface Reliability {
  bins: ReliabilityBin[];
  /** Expected calibration error: Σ_b (n_b/N)·|meanPredicted_b − observedRate_b| over non-empty bins. */
  ece: number;
}
