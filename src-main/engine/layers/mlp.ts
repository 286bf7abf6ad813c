import * as tf from '../tf.js';
import type { ParameterStore } from './params.js';
import type { Activation, TowerConfig } from '../../../src-shared/types/training.js';

export type { Activation, TowerConfig } from '../../../src-shared/types/training.js';

export interface DenseLayer {
  kernel: tf.Variable;
  bias: tf.Variable;
}

const activations: Record<Activation, (x: tf.Tensor2D) => tf.Tensor2D> = {
  relu: tf.relu,
  tanh: tf.tanh,
  sigmoid: tf.sigmoid,
  elu: tf.elu,
  linear: (x) => x,
};

/**
 * x·W + b through an activation, as one fused kernel where the backend has one. tfjs's own `fused.matMul`
 * falls back to three kernels whenever gradients are recorded (unless linear), i.e. in every training step;
 * this custom gradient keeps the fused forward and computes the same backward as the unfused ops.
 */
const fusedDense = (activation: 'relu' | 'linear') =>
  tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const attrs = { transposeA: false, transposeB: false, activation };
    // The kernel takes batched (rank-3) operands, as tfjs's own fused.matMul passes them.
    const [a, b] = [tf.expandDims(x, 0), tf.expandDims(kernel, 0)];
    const y3 = tf.engine().runKernel(tf._FusedMatMul, { a, b, bias }, attrs) as tf.Tensor3D;
    const y = tf.squeeze(y3, [0]) as tf.Tensor2D;
    save([x, kernel, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [savedX, savedKernel, savedY] = saved as tf.Tensor2D[];
        const dz = activation === 'relu' ? tf.mul(dy as tf.Tensor2D, tf.step(savedY)) : (dy as tf.Tensor2D);
        return [tf.matMul(dz, savedKernel, false, true), tf.matMul(savedX, dz, true, false), tf.sum(dz, 0)];
      },
    };
  }) as (x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

const FUSED: Partial<Record<Activation, ReturnType<typeof fusedDense>>> = {
  relu: fusedDense('relu'),
  linear: fusedDense('linear'),
};

/** activation(x·W + b): fused for relu and linear, the plain ops otherwise. */
export function dense(x: tf.Tensor2D, layer: DenseLayer, activation: Activation): tf.Tensor2D {
  const fused = FUSED[activation];
  if (fused) return fused(x, layer.kernel as tf.Tensor2D, layer.bias as tf.Tensor1D);
  return activations[activation](tf.add(tf.matMul(x, layer.kernel as tf.Tensor2D), layer.bias));
}

/** An MLP tower h → logit. Hidden layers are named "<tower>.<i>", the output layer "<tower>.out". */
export class Tower {
  constructor(
    readonly name: string,
    readonly hidden: DenseLayer[],
    readonly output: DenseLayer,
    private readonly config: TowerConfig,
  ) {}

  static create(name: string, inputWidth: number, config: TowerConfig, params: ParameterStore): Tower {
    const hidden = Tower.hiddenLayers(name, inputWidth, config, params);
    const lastWidth = config.hidden.at(-1) ?? inputWidth;
    return new Tower(name, hidden, params.linear(`${name}.out`, lastWidth, 1), config);
  }

  /** A tower that shares `trunk`'s hidden layers and has its own output layer: a siamese pair. */
  static sharingHidden(name: string, trunk: Tower, params: ParameterStore): Tower {
    const lastWidth = trunk.output.kernel.shape[0];
    return new Tower(name, trunk.hidden, params.linear(`${name}.out`, lastWidth, 1), trunk.config);
  }

  private static hiddenLayers(name: string, width: number, config: TowerConfig, params: ParameterStore) {
    return config.hidden.map((units, i) => {
      const layer = params.linear(`${name}.${i}`, i === 0 ? width : config.hidden[i - 1], units);
      return layer;
    });
  }

  /** Every layer, hidden then output; what a parameter constraint between two towers compares. */
  layers(): DenseLayer[] {
    return [...this.hidden, this.output];
  }

  /** The last hidden layer's output: what AITM's information transfer mixes before the output layer. */
  representation(h: tf.Tensor2D, training: boolean, dropoutSeed?: number): tf.Tensor2D {
    let x = h;
    this.hidden.forEach((layer, i) => {
      x = dense(x, layer, this.config.activation);
      if (training && this.config.dropout > 0)
        x = tf.dropout(
          x,
          this.config.dropout,
          undefined,
          dropoutSeed === undefined ? undefined : dropoutSeed + i,
        ) as tf.Tensor2D;
    });
    return x;
  }

  /** The output layer on a representation: one logit per row. */
  head(x: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(dense(x, this.output, 'linear'), [-1]);
  }

  logit(h: tf.Tensor2D, training: boolean, dropoutSeed?: number): tf.Tensor1D {
    return this.head(this.representation(h, training, dropoutSeed));
  }

  probability(h: tf.Tensor2D, training: boolean, dropoutSeed?: number): tf.Tensor1D {
    return tf.sigmoid(this.logit(h, training, dropoutSeed));
  }
}
