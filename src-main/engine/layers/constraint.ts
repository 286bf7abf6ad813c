import * as tf from '../tf.js';
import { stopGradient } from './losses.js';
import type { DenseLayer, Tower } from './mlp.js';
import type { ConstraintConfig } from '../../../src-shared/types/training.js';

export type { ConstraintConfig } from '../../../src-shared/types/training.js';
export { DEFAULT_CONSTRAINT } from '../../../src-shared/types/training.js';

export function constrainedLayers(tower: Tower, layers: ConstraintConfig['layers']): DenseLayer[] {
  return layers === 'all' ? tower.layers() : tower.hidden;
}

/** Σ over the tied layers of d(anchor, pulled), unweighted (λ is applied with the other loss weights). */
export function towerDistance(anchor: Tower, pulled: Tower, config: ConstraintConfig): tf.Scalar {
  const anchorLayers = constrainedLayers(anchor, config.layers);
  const pulledLayers = constrainedLayers(pulled, config.layers);
  if (anchorLayers.length === 0)
    throw new Error('The parameter constraint has no layer to tie: give the towers hidden layers or use layers "all"');
  const fix = config.gradient === 'cvr-only' ? stopGradient : <T extends tf.Tensor>(x: T) => x;
  const perLayer = anchorLayers.map((layer, i) => {
    const a = [fix(layer.kernel), fix(layer.bias)];
    const b = [pulledLayers[i].kernel, pulledLayers[i].bias];
    return config.distance === 'l2' ? squaredDistance(a, b) : cosineDistance(a, b);
  });
  return tf.addN(perLayer) as tf.Scalar;
}

function squaredDistance(a: tf.Tensor[], b: tf.Tensor[]): tf.Scalar {
  return tf.addN(a.map((x, i) => tf.sum(tf.squaredDifference(x, b[i])))) as tf.Scalar;
}

/** 1 − cos between the layers' flattened kernel+bias vectors; scale-free, so λ means the same for any width. */
function cosineDistance(a: tf.Tensor[], b: tf.Tensor[]): tf.Scalar {
  const flat = (xs: tf.Tensor[]) => tf.concat(xs.map((x) => tf.reshape(x, [-1])));
  const u = flat(a);
  const v = flat(b);
  const cosine = tf.div(tf.sum(tf.mul(u, v)), tf.maximum(tf.mul(tf.norm(u), tf.norm(v)), 1e-12));
  return tf.sub(1, cosine);
}

/** Loss terms of the parameters alone, the same on any rows: left out of a validation loss. */
export const PARAMETER_TERMS: ReadonlySet<string> = new Set(['constraint']);
