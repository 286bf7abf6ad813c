import { describe, expect, it } from 'vitest';
import * as tf from '../../src-main/engine/tf.js';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { dense, type Activation, type DenseLayer } from '../../src-main/engine/layers/mlp.js';
import { sumRows } from '../../src-main/engine/backends/sum-leading-axes.js';
import { compiledGemmShapes, transposeLastTwo } from '../../src-main/engine/backends/matmul.js';
import { writtenTensor } from '../../src-main/engine/backends/wasm-heap.js';
import { Random } from '../../src-main/engine/random.js';

/** The fast kernels must compute what the plain ops compute: values and gradients, on every backend. */

function randomValues(size: number, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: size }, () => random.uniform(-1, 1));
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Σ over the leading `axes` of a row-major array, in float64. */
function referenceSum(values: Float32Array, shape: number[], leading: number): Float64Array {
  const rows = shape.slice(0, leading).reduce((a, b) => a * b, 1);
  const width = values.length / rows;
  const out = new Float64Array(width);
  for (let i = 0; i < values.length; i++) out[i % width] += values[i];
  return out;
}

describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
  it('writtenTensor makes a tensor of the values written in place, and frees them with it', async () => {
    await initBackend(backend);
    const dataIdsBefore = tf.engine().backend.numDataIds();
    const x = writtenTensor([3, 4], (values) => values.forEach((_, i) => (values[i] = i * 0.5)));
    expect(x.shape).toEqual([3, 4]);
    expect(Array.from(x.dataSync())).toEqual(Array.from({ length: 12 }, (_, i) => i * 0.5));
    expect(tf.tidy(() => Array.from(tf.sum(x, 1).dataSync()))).toEqual([3, 11, 19]);
    x.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(dataIdsBefore);
  });

  it.each(['relu', 'linear', 'tanh'] as Activation[])(
    'dense(%s) equals activation(x·W + b) in value and in every gradient',
    async (activation) => {
      await initBackend(backend);
      const [rows, inputs, units] = [97, 13, 7];
      const x = tf.tensor2d(randomValues(rows * inputs, 1), [rows, inputs]);
      const layer: DenseLayer = {
        kernel: tf.variable(tf.tensor2d(randomValues(inputs * units, 2), [inputs, units])),
        bias: tf.variable(tf.tensor1d(randomValues(units, 3))),
      };
      const weights = tf.tensor2d(randomValues(rows * units, 4), [rows, units]);
      const plainOps: Record<Activation, (z: tf.Tensor2D) => tf.Tensor2D> = {
        relu: tf.relu,
        linear: (z) => z,
        tanh: tf.tanh,
        sigmoid: tf.sigmoid,
        elu: tf.elu,
      };
      const objective = (f: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D) =>
        tf.grads((xx: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(f(xx as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D), weights)),
        );
      const fast = objective((xx, w, b) => dense(xx, { kernel: w, bias: b } as unknown as DenseLayer, activation));
      const plain = objective((xx, w, b) => plainOps[activation](tf.add(tf.matMul(xx, w), b)));
      const args = [x, layer.kernel, layer.bias];
      const [fastGrads, plainGrads] = [fast(args), plain(args)];
      for (let i = 0; i < 3; i++)
        expect(maxDifference(fastGrads[i].dataSync(), plainGrads[i].dataSync())).toBeLessThan(1e-5);
      const value = dense(x, layer, activation);
      const reference = plainOps[activation](tf.add(tf.matMul(x, layer.kernel as tf.Tensor2D), layer.bias));
      expect(value.shape).toEqual([rows, units]);
      expect(maxDifference(value.dataSync(), reference.dataSync())).toBeLessThan(1e-5);
      // Nothing is left behind by the custom gradient (saved tensors included).
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        fast(args);
      });
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, layer.kernel, layer.bias, weights, value, reference, ...fastGrads, ...plainGrads]);
    },
  );

  it('sums over leading axes like a plain loop, for every shape, axis order and keepDims', async () => {
    await initBackend(backend);
    const x = tf.tensor(randomValues(1024 * 12, 5), [1024, 12]);
    const y = tf.tensor(randomValues(64 * 3 * 5, 6), [64, 3, 5]);
    const cases: [tf.Tensor, number | number[], boolean, number][] = [
      [x, 0, false, 1],
      [x, [0], true, 1],
      [x, -2, false, 1],
      [y, [1, 0], true, 2],
      // The same tensor summed over other axes right after: nothing may be cached by tensor id.
      [y, 0, false, 1],
      [y, [0, 1], false, 2],
    ];
    for (const [tensor, axis, keepDims, leading] of cases) {
      const sum = tf.sum(tensor, axis, keepDims);
      const expected = referenceSum(tensor.dataSync() as Float32Array, tensor.shape, leading);
      const shape = tensor.shape.slice(leading);
      expect(sum.shape).toEqual(keepDims ? [...new Array(leading).fill(1), ...shape] : shape);
      expect(maxDifference(sum.dataSync(), expected)).toBeLessThan(1e-4);
      sum.dispose();
    }
    // Axes that are not leading go to the backend's own kernel.
    expect(maxDifference(tf.sum(y, [0, 2]).dataSync(), tf.sum(tf.sum(y, 2), 0).dataSync())).toBeLessThan(1e-4);
    expect(tf.sum(x, 1).shape).toEqual([1024]);
    tf.dispose([x, y]);
  });
});

it('matMul with transposed operands equals the product of explicitly transposed tensors (values from the cpu backend)', async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[37, 19], [37, 5], true, false],
    [[19, 37], [5, 37], false, true],
    [[37, 19], [5, 37], true, true],
    [[3, 21, 17], [3, 21, 6], true, false],
    [[3, 17, 21], [3, 6, 21], false, true],
  ];
  const compute = async (backend: 'cpu' | 'wasm') => {
    await initBackend(backend);
    return cases.map(([aShape, bShape, ta, tb], i) => {
      const a = tf.tensor(
        randomValues(
          aShape.reduce((x, y) => x * y),
          10 + i,
        ),
        aShape,
      );
      const b = tf.tensor(
        randomValues(
          bShape.reduce((x, y) => x * y),
          20 + i,
        ),
        bShape,
      );
      const product = tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, ta, tb);
      const values = { shape: product.shape, data: product.dataSync() as Float32Array };
      tf.dispose([a, b, product]);
      return values;
    });
  };
  const before = await compute('cpu');
  await initBackend('wasm');
  const tensorsBefore = tf.memory().numTensors;
  const dataIdsBefore = tf.engine().backend.numDataIds();
  const after = await compute('wasm');
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  // The transposed operands live on the heap only during the product.
  expect(tf.engine().backend.numDataIds()).toBe(dataIdsBefore);
  after.forEach((result, i) => {
    expect(result.shape).toEqual(before[i].shape);
    expect(maxDifference(result.data, before[i].data)).toBeLessThan(1e-5);
  });
});

it('wasm products through its GEMM equal the cpu backend: bias, relu, transposes, batches, broadcasts, fallbacks', async () => {
  type Case = {
    a: number[];
    b: number[];
    ta?: boolean;
    tb?: boolean;
    bias?: boolean;
    activation?: 'relu' | 'linear' | 'elu';
  };
  const cases: Case[] = [
    { a: [37, 19], b: [19, 16] },
    { a: [37, 19], b: [19, 16], bias: true, activation: 'relu' },
    { a: [5, 160], b: [160, 128], bias: true, activation: 'linear' },
    { a: [19, 37], b: [19, 24], ta: true },
    { a: [37, 19], b: [8, 19], tb: true, activation: 'relu' },
    { a: [3, 21, 17], b: [3, 17, 8] },
    { a: [1, 21, 17], b: [3, 17, 8] },
    { a: [3, 17, 21], b: [3, 17, 8], ta: true },
    { a: [3, 21, 17], b: [1, 17, 8], bias: true },
    // Fallbacks: a width that is not a multiple of 8, an activation the GEMM does not fuse.
    { a: [37, 19], b: [19, 12], bias: true, activation: 'relu' },
    { a: [37, 19], b: [19, 16], bias: true, activation: 'elu' },
  ];
  const compute = async (backend: 'cpu' | 'wasm') => {
    await initBackend(backend);
    return cases.map(({ a: aShape, b: bShape, ta = false, tb = false, bias, activation }, i) =>
      tf.tidy(() => {
        const size = (shape: number[]) => shape.reduce((x, y) => x * y);
        const a = tf.tensor(randomValues(size(aShape), 40 + i), aShape) as tf.Tensor;
        const b = tf.tensor(randomValues(size(bShape), 60 + i), bShape) as tf.Tensor;
        const n = tb ? bShape.at(-2)! : bShape.at(-1)!;
        const product =
          bias || activation
            ? tf.fused.matMul({
                a,
                b,
                transposeA: ta,
                transposeB: tb,
                bias: bias ? tf.tensor1d(randomValues(n, 80 + i)) : undefined,
                activation,
              })
            : tf.matMul(a, b, ta, tb);
        return { shape: product.shape, data: product.dataSync() as Float32Array };
      }),
    );
  };
  const expected = await compute('cpu');
  await initBackend('wasm');
  const [tensorsBefore, dataIdsBefore] = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
  const actual = await compute('wasm');
  expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual([tensorsBefore, dataIdsBefore]);
  actual.forEach((result, i) => {
    expect(result.shape).toEqual(expected[i].shape);
    expect(maxDifference(result.data, expected[i].data)).toBeLessThan(1e-5);
  });
  expect(compiledGemmShapes()).toEqual(
    expect.arrayContaining([
      '19×16',
      '19×16+bias relu',
      '160×128+bias',
      '19×24 aᵀ m=37',
      '19×8 relu',
      '17×8',
      '17×8+bias',
      '17×8 aᵀ m=21',
    ]),
  );
  expect(compiledGemmShapes().some((shape) => shape.startsWith('19×12'))).toBe(false);
});

it('a clone on wasm shares its data, outlives the original, and frees the memory with the last of them', async () => {
  await initBackend('wasm');
  const dataIdsBefore = tf.engine().backend.numDataIds();
  const x = tf.tensor2d(randomValues(12, 30), [3, 4]);
  const values = Array.from(x.dataSync());
  const y = tf.clone(x);
  expect(tf.engine().backend.numDataIds()).toBe(dataIdsBefore + 1);
  x.dispose();
  expect(Array.from(y.dataSync())).toEqual(values);
  const sum = tf.tidy(() => Array.from(tf.add(y, 1).dataSync()));
  expect(sum).toEqual(values.map((v) => Math.fround(v + 1)));
  y.dispose();
  expect(tf.engine().backend.numDataIds()).toBe(dataIdsBefore);
});

it('transposeLastTwo swaps the last two axes of every leading index, across block edges', () => {
  const [batches, rows, cols] = [2, 35, 18];
  const values = Float32Array.from({ length: batches * rows * cols }, (_, i) => i);
  const out = new Float32Array(values.length);
  transposeLastTwo(values, rows, cols, out);
  for (let b = 0; b < batches; b++)
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++)
        expect(out[b * rows * cols + j * rows + i]).toBe(values[b * rows * cols + i * cols + j]);
});

it('sumRows adds four rows per pass and the remainder one by one', () => {
  const values = Float32Array.from({ length: 7 * 3 }, (_, i) => i);
  const out = new Float32Array(3);
  sumRows(values, 7, 3, out);
  expect(Array.from(out)).toEqual([63, 70, 77]);
});
