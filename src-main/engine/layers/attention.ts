import * as tf from '../tf.js';
import { dense, type DenseLayer } from './mlp.js';
import type { ParameterStore } from './params.js';

/**
 * AITM's adaptive information transfer (Xi et al., KDD 2021): the previous task's representation passes an info
 * layer (dense + ReLU), and a self-attention over the pair {this task's representation, the info} decides, row by
 * row, how much of it this task takes. Score of each item: (x·W_q)·(x·W_k)/√d; output Σ softmax(score)·(x·W_v).
 */
export class InformationTransfer {
  private readonly info: DenseLayer;
  private readonly query: tf.Variable;
  private readonly key: tf.Variable;
  private readonly value: tf.Variable;

  constructor(
    name: string,
    private readonly width: number,
    params: ParameterStore,
  ) {
    this.info = params.linear(`${name}.info`, width, width);
    this.query = params.kernel(`${name}.q`, width, width);
    this.key = params.kernel(`${name}.k`, width, width);
    this.value = params.kernel(`${name}.v`, width, width);
  }

  apply(own: tf.Tensor2D, previous: tf.Tensor2D): tf.Tensor2D {
    const info = dense(previous, this.info, 'relu');
    const score = (x: tf.Tensor2D) =>
      tf.div(
        tf.sum(tf.mul(tf.matMul(x, this.query as tf.Tensor2D), tf.matMul(x, this.key as tf.Tensor2D)), 1),
        Math.sqrt(this.width),
      );
    const attention = tf.softmax(tf.stack([score(own), score(info)], 1) as tf.Tensor2D);
    const [toOwn, toInfo] = tf.split(attention, 2, 1);
    return tf.add(
      tf.mul(toOwn, tf.matMul(own, this.value as tf.Tensor2D)),
      tf.mul(toInfo, tf.matMul(info, this.value as tf.Tensor2D)),
    );
  }
}
