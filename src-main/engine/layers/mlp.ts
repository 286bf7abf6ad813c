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

  logit(h: tf.Tensor2D, training: boolean, dropoutSeed?: number): tf.Tensor1D {
    let x = h;
    this.hidden.forEach((layer, i) => {
      x = activations[this.config.activation](tf.add(tf.matMul(x, layer.kernel), layer.bias));
      if (training && this.config.dropout > 0)
        x = tf.dropout(
          x,
          this.config.dropout,
          undefined,
          dropoutSeed === undefined ? undefined : dropoutSeed + i,
        ) as tf.Tensor2D;
    });
    return tf.reshape(tf.add(tf.matMul(x, this.output.kernel), this.output.bias), [-1]);
  }

  probability(h: tf.Tensor2D, training: boolean, dropoutSeed?: number): tf.Tensor1D {
    return tf.sigmoid(this.logit(h, training, dropoutSeed));
  }
}
