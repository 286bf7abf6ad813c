import * as tf from '../tf.js';
import type { CounterfactualConfig } from '../../../src-shared/types/training.js';

/** Probabilities are clipped before the log, as in every reference implementation, so products of towers never give log(0). */
export const PROBABILITY_EPSILON = 1e-7;

/** Mean binary cross-entropy over all rows. */
export function bce(label: tf.Tensor1D, probability: tf.Tensor1D): tf.Scalar {
  return tf.mean(rowBce(label, probability));
}

/** Mean binary cross-entropy over the rows where mask = 1 (e.g. the clicked space); 0 when there are none. */
export function maskedBce(label: tf.Tensor1D, probability: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  return tf.div(tf.sum(tf.mul(rowBce(label, probability), mask)), tf.maximum(tf.sum(mask), 1));
}

/** Binary cross-entropy of each row. */
export function rowBce(label: tf.Tensor1D, probability: tf.Tensor1D): tf.Tensor1D {
  const p = tf.clipByValue(probability, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
  return tf.neg(tf.add(tf.mul(label, tf.log(p)), tf.mul(tf.sub(1, label), tf.log(tf.sub(1, p)))));
}

/**
 * The supervision every action-aware model of the family shares, all over the exposure space:
 * c ~ pCTR, c·a ~ pCTAVR, c·b ~ pCTCVR.
 */
export function entireSpaceTerms(
  p: { ctr: tf.Tensor1D; ctavr: tf.Tensor1D; ctcvr: tf.Tensor1D },
  y: { click: tf.Tensor1D; action: tf.Tensor1D; purchase: tf.Tensor1D },
): { ctr: tf.Scalar; ctavr: tf.Scalar; ctcvr: tf.Scalar } {
  return {
    ctr: bce(y.click, p.ctr),
    ctavr: bce(tf.mul(y.click, y.action), p.ctavr),
    ctcvr: bce(tf.mul(y.click, y.purchase), p.ctcvr),
  };
}

/**
 * The inverse-propensity weight of each row: observed / propensity, the propensity floored at 1/maxWeight so no
 * weight exceeds maxWeight, and constant to the optimiser (the propensity is the CTR tower's output, which the IPS
 * term must not train: models-reference §12, pitfalls 4–5).
 */
export function inversePropensity(observed: tf.Tensor1D, propensity: tf.Tensor1D, maxWeight: number): tf.Tensor1D {
  return stopGradient(tf.div(observed, tf.maximum(propensity, 1 / maxWeight)));
}

/**
 * Σ weight·loss over the batch divided by its rows ('exposures': unbiased for the mean over every exposure) or by
 * Σ weight ('self': self-normalised, lower variance, slightly biased); 0 when every weight is 0.
 */
export function weightedRisk(
  rowLoss: tf.Tensor1D,
  weight: tf.Tensor1D,
  normalise: CounterfactualConfig['normalise'],
): tf.Scalar {
  const sum = tf.sum(tf.mul(rowLoss, weight));
  return normalise === 'exposures' ? tf.div(sum, rowLoss.shape[0]) : tf.div(sum, tf.maximum(tf.sum(weight), 1e-12));
}

/** Identity forward, zero gradient backward: lets a penalty pull one side without moving the other. */
export const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor),
})) as <T extends tf.Tensor>(x: T) => T;
