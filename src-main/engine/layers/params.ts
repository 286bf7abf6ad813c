import * as tf from '../tf.js';
import type { Random } from '../random.js';

export interface ParameterValue {
  shape: number[];
  data: Float32Array;
}

/**
 * Every trainable tensor of a model, by stable name ("embedding", "ctr.0.kernel", …). Names are the contract
 * with saved models and with the PyTorch reference fixtures, so they never depend on creation order. Most are
 * tfjs variables; a sparse embedding table is a host array (`hostArrays`), updated row by row.
 */
export class ParameterStore {
  /** By stable name; the tfjs variable's own name carries a per-store prefix, since tfjs names are global. */
  readonly variables = new Map<string, tf.Variable>();
  readonly hostArrays = new Map<string, ParameterValue>();
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

  /** A kernel without a bias (AITM's attention projections), drawn as `linear` draws one. */
  kernel(name: string, fanIn: number, fanOut: number): tf.Variable {
    const bound = 1 / Math.sqrt(fanIn);
    return this.add(`${name}.kernel`, [fanIn, fanOut], () => this.random.uniform(-bound, bound));
  }

  normal(name: string, shape: number[], std: number): tf.Variable {
    return this.add(name, shape, () => std * this.random.normal());
  }

  /** The same draws as `normal`, kept in host memory. */
  normalHost(name: string, shape: number[], std: number): ParameterValue {
    this.checkNew(name);
    // In shared memory, so the replicas of a data-parallel step read one table (see `adoptHostArrays`).
    const data = this.draw(shape, () => std * this.random.normal());
    const shared = new Float32Array(new SharedArrayBuffer(data.byteLength));
    shared.set(data);
    const value = { shape, data: shared };
    this.hostArrays.set(name, value);
    return value;
  }

  add(name: string, shape: number[], draw: () => number): tf.Variable {
    this.checkNew(name);
    const variable = tf.variable(tf.tensor(this.draw(shape, draw), shape, 'float32'), true, `${this.scope}/${name}`);
    this.variables.set(name, variable);
    return variable;
  }

  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new Error(`No parameter "${name}"`);
    return variable;
  }

  /** Copies values in (loading a model, restoring the best epoch); names and shapes must match exactly. */
  assign(values: Record<string, ParameterValue>): void {
    const check = (name: string, shape: readonly number[]) => {
      const value = values[name];
      if (!value) throw new Error(`Missing parameter "${name}"`);
      if (value.shape.join('x') !== shape.join('x'))
        throw new Error(`Parameter "${name}" has shape [${value.shape}] but the model expects [${shape}]`);
      return value;
    };
    for (const [name, variable] of this.variables) {
      const value = check(name, variable.shape);
      tf.tidy(() => variable.assign(tf.tensor(value.data, value.shape, 'float32')));
    }
    for (const [name, host] of this.hostArrays) host.data.set(check(name, host.shape).data);
  }

  /** Host arrays by name: shared memory, which a replica on another thread adopts. */
  sharedHostArrays(): Record<string, Float32Array> {
    return Object.fromEntries([...this.hostArrays].map(([name, value]) => [name, value.data]));
  }

  /** Reads and writes another store's host arrays from now on (same names and sizes), instead of its own. */
  adoptHostArrays(arrays: Record<string, Float32Array>): void {
    for (const [name, host] of this.hostArrays) {
      const array = arrays[name];
      if (array?.length !== host.data.length) throw new Error(`Host array "${name}" is missing or has another size`);
      host.data = array;
    }
  }

  /** A copy of every parameter's values. */
  async read(): Promise<Record<string, ParameterValue>> {
    const out: Record<string, ParameterValue> = {};
    for (const [name, variable] of this.variables)
      out[name] = { shape: [...variable.shape], data: (await variable.data()) as Float32Array };
    for (const [name, host] of this.hostArrays) out[name] = { shape: [...host.shape], data: host.data.slice() };
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
    for (const host of this.hostArrays.values()) total += host.data.length;
    return total;
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
    this.hostArrays.clear();
  }

  private checkNew(name: string): void {
    if (this.variables.has(name) || this.hostArrays.has(name)) throw new Error(`Parameter "${name}" is defined twice`);
  }

  private draw(shape: number[], draw: () => number): Float32Array {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = draw();
    return values;
  }
}
