/**
 * The evaluation protocol of entire-space CVR models (ESMM and successors): exposure-space tasks are scored on
 * every exposure, post-click tasks on clicked rows only, because that is the only space where their label is
 * observed. Scoring pCVR against purchase on all rows would mix the click decision back in and measure
 * something closer to CTCVR.
 */
import { auc, gauc } from './auc.js';
import { logloss, reliability } from './calibration.js';
import { MIN_GAUC_USERS, type StageMetrics } from '../../../src-shared/types/metrics.js';

export type { StageMetrics } from '../../../src-shared/types/metrics.js';
export { METRIC_DESCRIPTIONS } from '../../../src-shared/types/metrics.js';

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
  /** The GAUC and the users it averages over; NaN without user ids or with fewer than MIN_GAUC_USERS of them. */
  const userAuc = (y: Float32Array, p: Float32Array, mask?: Float32Array): [number, number] => {
    if (!userIds) return [NaN, NaN];
    const { value, groups } = gauc(y, p, userIds, mask);
    return [groups >= MIN_GAUC_USERS ? value : NaN, groups];
  };
  const [ctrGauc, ctrGaucUsers] = userAuc(labels.click, pred.ctr);
  const [cvrGauc, cvrGaucUsers] = userAuc(labels.purchase, pred.cvr, clicked);
  const [ctcvrGauc, ctcvrGaucUsers] = userAuc(clickPurchase, pred.ctcvr);

  return {
    ctr_auc: auc(labels.click, pred.ctr),
    ctr_logloss: logloss(labels.click, pred.ctr),
    ctr_ece: reliability(labels.click, pred.ctr).ece,
    ctr_gauc: ctrGauc,
    ctr_gauc_users: ctrGaucUsers,
    cvr_auc: auc(labels.purchase, pred.cvr, clicked),
    cvr_logloss: logloss(labels.purchase, pred.cvr, clicked),
    cvr_ece: reliability(labels.purchase, pred.cvr, clicked).ece,
    cvr_gauc: cvrGauc,
    cvr_gauc_users: cvrGaucUsers,
    ctcvr_auc: auc(clickPurchase, pred.ctcvr),
    ctcvr_logloss: logloss(clickPurchase, pred.ctcvr),
    ctcvr_gauc: ctcvrGauc,
    ctcvr_gauc_users: ctcvrGaucUsers,
    avr_auc: labels.action && pred.avr ? auc(labels.action, pred.avr, clicked) : NaN,
    ctavr_auc: clickAction && pred.ctavr ? auc(clickAction, pred.ctavr) : NaN,
    ctavr_logloss: clickAction && pred.ctavr ? logloss(clickAction, pred.ctavr) : NaN,
    rows,
    clicks: countPositives(labels.click),
    actions: labels.action ? countPositives(labels.action) : NaN,
    purchases: countPositives(labels.purchase),
  };
}
