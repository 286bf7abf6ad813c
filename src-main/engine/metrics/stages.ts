/**
 * The evaluation protocol of entire-space CVR models (ESMM and successors): exposure-space tasks are scored on
 * every exposure, post-click tasks on clicked rows only, because that is the only space where their label is
 * observed. Scoring pCVR against purchase on all rows would mix the click decision back in and measure
 * something closer to CTCVR.
 */
import { auc, gauc } from './auc.js';
import { logloss, reliability } from './calibration.js';

export interface StagePredictions {
  ctr: Float32Array;
  cvr: Float32Array;
  ctcvr: Float32Array;
  avr?: Float32Array;
  ctavr?: Float32Array;
}

export interface FunnelLabelsLike {
  click: Float32Array;
  action?: Float32Array;
  purchase: Float32Array;
}

/** Flat so that it prints as a table row and serializes as-is; NaN where a metric is undefined for the data. */
export type StageMetrics = Record<string, number>;

export const METRIC_DESCRIPTIONS: Record<string, string> = {
  ctr_auc: 'AUC of click vs pCTR, all exposures',
  ctr_logloss: 'log-loss of click vs pCTR, all exposures',
  ctr_ece: 'expected calibration error (10 bins) of click vs pCTR, all exposures',
  ctr_gauc: 'user-weighted GAUC of click vs pCTR, all exposures (needs user ids)',
  cvr_auc: 'AUC of purchase vs pCVR, clicked rows only',
  cvr_logloss: 'log-loss of purchase vs pCVR, clicked rows only',
  cvr_ece: 'expected calibration error (10 bins) of purchase vs pCVR, clicked rows only',
  cvr_gauc: 'user-weighted GAUC of purchase vs pCVR, clicked rows only (needs user ids)',
  ctcvr_auc: 'AUC of click·purchase vs pCTCVR, all exposures',
  ctcvr_logloss: 'log-loss of click·purchase vs pCTCVR, all exposures',
  ctcvr_gauc: 'user-weighted GAUC of click·purchase vs pCTCVR, all exposures (needs user ids)',
  avr_auc: 'AUC of action vs pAVR, clicked rows only (needs action label and pAVR)',
  ctavr_auc: 'AUC of click·action vs pCTAVR, all exposures (needs action label and pCTAVR)',
  ctavr_logloss: 'log-loss of click·action vs pCTAVR, all exposures (needs action label and pCTAVR)',
  rows: 'number of exposures evaluated',
  clicks: 'number of clicked exposures',
  actions: 'number of exposures with an in-shop action (NaN without an action label)',
  purchases: 'number of exposures with a purchase',
};

function product(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * b[i];
  return out;
}

function countPositives(labels: Float32Array): number {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0.5) positives++;
  return positives;
}

/** Every key of METRIC_DESCRIPTIONS is present, so runs on different data line up column by column. */
export function evaluateStages(
  pred: StagePredictions,
  labels: FunnelLabelsLike,
  userIds?: ArrayLike<number>,
): StageMetrics {
  const rows = labels.click.length;
  for (const [name, column] of Object.entries({ ...pred, ...labels, userIds })) {
    if (column && column.length !== rows) throw new Error(`${name} has ${column.length} rows, expected ${rows}`);
  }
  const clicked = labels.click;
  const clickPurchase = product(labels.click, labels.purchase);
  const clickAction = labels.action && product(labels.click, labels.action);
  const userAuc = (y: Float32Array, p: Float32Array, mask?: Float32Array) =>
    userIds ? gauc(y, p, userIds, mask).value : NaN;

  return {
    ctr_auc: auc(labels.click, pred.ctr),
    ctr_logloss: logloss(labels.click, pred.ctr),
    ctr_ece: reliability(labels.click, pred.ctr).ece,
    ctr_gauc: userAuc(labels.click, pred.ctr),
    cvr_auc: auc(labels.purchase, pred.cvr, clicked),
    cvr_logloss: logloss(labels.purchase, pred.cvr, clicked),
    cvr_ece: reliability(labels.purchase, pred.cvr, clicked).ece,
    cvr_gauc: userAuc(labels.purchase, pred.cvr, clicked),
    ctcvr_auc: auc(clickPurchase, pred.ctcvr),
    ctcvr_logloss: logloss(clickPurchase, pred.ctcvr),
    ctcvr_gauc: userAuc(clickPurchase, pred.ctcvr),
    avr_auc: labels.action && pred.avr ? auc(labels.action, pred.avr, clicked) : NaN,
    ctavr_auc: clickAction && pred.ctavr ? auc(clickAction, pred.ctavr) : NaN,
    ctavr_logloss: clickAction && pred.ctavr ? logloss(clickAction, pred.ctavr) : NaN,
    rows,
    clicks: countPositives(labels.click),
    actions: labels.action ? countPositives(labels.action) : NaN,
    purchases: countPositives(labels.purchase),
  };
}
