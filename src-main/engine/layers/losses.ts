import * as tf from '../tf.js';

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

function rowBce(label: tf.Tensor1D, probability: tf.Tensor1D): tf.Tensor1D {
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

/** Identity forward, zero gradient backward: lets a penalty pull one side without moving the other. */
export const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor),
})) as <T extends tf.Tensor>(x: T) => T;
