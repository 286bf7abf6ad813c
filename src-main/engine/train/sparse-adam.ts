import type { RowGradients } from '../layers/embedding.js';

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** L2 added to the gradient of each touched row (as the dense path adds it to every parameter). */
  weightDecay: number;
}

/** tfjs's Adam defaults (its epsilon is the float32 backend epsilon), so both paths take the same steps. */
export const TFJS_ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/**
 * Lazy Adam for an embedding table on the host: the moments and values of only the rows a batch touched are
 * updated, with the global step's bias correction — the same arithmetic, in the same order, as tfjs's Adam, so
 * a row touched at every step follows exactly the dense path. Untouched rows keep their moments (they do not
 * decay), which is the usual choice for recommender embeddings (TensorFlow's LazyAdam, PyTorch's SparseAdam).
 */
export class SparseAdam {
  private readonly firstMoment: Float32Array;
  private readonly secondMoment: Float32Array;
  private accumulatedBeta1: number;
  private accumulatedBeta2: number;

  constructor(
    private readonly table: Float32Array,
    private readonly dim: number,
    private readonly settings: AdamSettings,
  ) {
    this.firstMoment = new Float32Array(table.length);
    this.secondMoment = new Float32Array(table.length);
    this.accumulatedBeta1 = settings.beta1;
    this.accumulatedBeta2 = settings.beta2;
  }

  step({ rows, gradients }: RowGradients): void {
    const { learningRate, beta1, beta2, epsilon, weightDecay } = this.settings;
    const { table, dim, firstMoment: m, secondMoment: v } = this;
    const oneMinusAccBeta1 = 1 - this.accumulatedBeta1;
    const oneMinusAccBeta2 = 1 - this.accumulatedBeta2;
    for (let r = 0; r < rows.length; r++) {
      const base = rows[r] * dim;
      for (let k = 0; k < dim; k++) {
        const i = base + k;
        const g = gradients[r * dim + k] + weightDecay * table[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        const mHat = m[i] / oneMinusAccBeta1;
        const vHat = v[i] / oneMinusAccBeta2;
        table[i] -= (learningRate * mHat) / (Math.sqrt(vHat) + epsilon);
      }
    }
    this.accumulatedBeta1 *= beta1;
    this.accumulatedBeta2 *= beta2;
  }
}
