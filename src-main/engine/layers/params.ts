import * as tf from '../tf.js';
import type { Random } from '../random.js';

/**
 * Every trainable tensor of a model, by stable name ("embedding", "ctr.0.kernel", …). Names are the contract
 * with saved models and with the PyTorch reference fixtures, so they never depend on creation order.
 */
export class ParameterStore {
  /** By stable name; the tfjs variable's own name carries a per-store prefix, since tfjs names are global. */
  readonly variables = new Map<string, tf.Variable>();
  private static stores = 0;
  private readonly scope = `params${ParameterStore.stores++}`;

  constructor(private readonly random: Random) {}

  /** PyTorch's nn.Linear default, U(−1/√fanIn, 1/√fanIn), so both implementations start alike. */
  linear(name: string, fanIn: number, fanOut: number): { kernel: tf.Variable; bias: tf.Variable } {
    const bound = 1 / Math.sqrt(fanIn);
    return {
      kernel: this.add(`${name}.kernel`, [fanIn, fanOut], () => this.random.uniform(-bound, bound)),
      bias: this.add(`${name}.bias`, [fanOut], () => this.random.uniform(-bound, bound)),
    };
  }

  normal(name: string, shape: number[], std: number): tf.Variable {
    return this.add(name, shape, () => std * this.random.normal());
  }

  add(name: string, shape: number[], draw: () => number): tf.Variable {
    if (this.variables.has(name)) throw new Error(`Parameter "${name}" is defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = draw();
    const variable = tf.variable(tf.tensor(values, shape, 'float32'), true, `${this.scope}/${name}`);
    this.variables.set(name, variable);
    return variable;
  }

  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new Error(`No parameter "${name}"`);
    return variable;
  }

  /** Copies values in (loading a model, restoring the best epoch); shapes must match exactly. */
  assign(values: Record<string, { shape: number[]; data: Float32Array }>): void {
    for (const [name, variable] of this.variables) {
      const value = values[name];
      if (!value) throw new Error(`Missing parameter "${name}"`);
      if (value.shape.join('x') !== variable.shape.join('x'))
        throw new Error(`Parameter "${name}" has shape [${value.shape}] but the model expects [${variable.shape}]`);
      tf.tidy(() => variable.assign(tf.tensor(value.data, value.shape, 'float32')));
    }
  }

  async read(): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, variable] of this.variables)
      out[name] = { shape: [...variable.shape], data: (await variable.data()) as Float32Array };
    return out;
  }

  /** Re-keys what tfjs returns by variable (e.g. `variableGrads`'s grads) to the stable names. */
  byStableName<T>(byTfjsName: Record<string, T>): Record<string, T> {
    const out: Record<string, T> = {};
    for (const [name, variable] of this.variables)
      if (variable.name in byTfjsName) out[name] = byTfjsName[variable.name];
    return out;
  }

  count(): number {
    let total = 0;
    for (const variable of this.variables.values()) total += variable.size;
    return total;
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}
