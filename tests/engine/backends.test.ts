import { describe, expect, it } from 'vitest';
import * as tf from '../../src-main/engine/tf.js';
import { activeBackend, initBackend } from '../../src-main/engine/backends/index.js';
import { segmentSumRows } from '../../src-main/engine/backends/segment-sum.js';
import { Random } from '../../src-main/engine/random.js';

const nativeInstalled = await import('@tensorflow/tfjs-node' as string).then(
  () => true,
  () => false,
);

describe('backend resolution', () => {
  it('falls back in order node-gpu → webgpu → node → wasm, saying why each was passed over', async () => {
    const info = await initBackend();
    expect(activeBackend()).toBe(info);
    if (nativeInstalled) {
      expect(['node-gpu', 'node']).toContain(info.name);
    } else {
      expect(info.name).toBe('wasm');
      expect(info.device).toMatch(/wasm/);
      expect(info.skipped.map((s) => s.name)).toEqual(['node-gpu', 'webgpu', 'node']);
      for (const { reason } of info.skipped) expect(reason.length).toBeGreaterThan(0);
    }
  });

  it('fails loudly when a backend asked for by name cannot start', async () => {
    if (nativeInstalled) return;
    await expect(initBackend('node')).rejects.toThrow(/Backend "node" is not available here: /);
  });

  it('switches to the backend asked for, and records it', async () => {
    expect((await initBackend('cpu')).tfjsBackend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend('wasm')).tfjsBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('segment sum (the gradient of every embedding lookup)', () => {
  it('adds each row into its segment, ignores out-of-range ids', () => {
    const values = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = segmentSumRows(values, [2, 0, 2, 9], 3, 2);
    expect(Array.from(out)).toEqual([3, 4, 0, 0, 1 + 5, 2 + 6]);
  });

  it.each(['cpu', 'wasm'] as const)('matches a dense one-hot reference on %s', async (backend) => {
    await initBackend(backend);
    const random = new Random(5);
    const [vocab, dim, n] = [50, 3, 200];
    const ids = Int32Array.from({ length: n }, () => random.int(vocab));
    const upstream = Float32Array.from({ length: n * dim }, () => random.normal());
    const table = tf.variable(tf.zeros([vocab, dim]));
    const weights = tf.tensor2d(upstream, [n, dim]);
    const indices = tf.tensor1d(ids, 'int32');
    const gradient = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, indices), weights)))(table);
    const expected = tf.matMul(tf.oneHot(indices, vocab), weights, true, false);
    const difference = tf.max(tf.abs(tf.sub(gradient, expected))).dataSync()[0];
    expect(difference).toBeLessThan(1e-5);
    tf.dispose([table, weights, indices, gradient, expected]);
  });
});

describe('matMul with transposed operands on wasm (explicit transpose, then the plain kernel)', () => {
  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('transposeA=%s transposeB=%s equals the cpu backend, for plain and batched products', async (ta, tb) => {
    const random = new Random(11);
    const cases = [
      { a: [37, 19], b: [19, 23] },
      { a: [3, 7, 5], b: [3, 5, 4] },
    ];
    for (const { a, b } of cases) {
      const shapeA = ta ? [...a.slice(0, -2), a.at(-1)!, a.at(-2)!] : a;
      const shapeB = tb ? [...b.slice(0, -2), b.at(-1)!, b.at(-2)!] : b;
      const valuesA = Float32Array.from({ length: shapeA.reduce((x, y) => x * y, 1) }, () => random.normal());
      const valuesB = Float32Array.from({ length: shapeB.reduce((x, y) => x * y, 1) }, () => random.normal());
      const product = async (backend: 'cpu' | 'wasm') => {
        await initBackend(backend);
        return tf.tidy(() => tf.matMul(tf.tensor(valuesA, shapeA), tf.tensor(valuesB, shapeB), ta, tb).dataSync());
      };
      const [expected, actual] = [await product('cpu'), await product('wasm')];
      expect(actual.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], 4);
    }
    expect((tf.getKernel(tf.BatchMatMul, 'wasm') as { wrapped?: boolean }).wrapped).toBe(true);
  });
});
