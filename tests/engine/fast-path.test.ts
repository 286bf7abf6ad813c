import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src-main/engine/tf.js';
import { disposeInputs } from '../../src-main/engine/layers/embedding.js';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { takeRows } from '../../src-main/engine/data/dataset.js';
import { createModel, DEFAULT_MODEL_CONFIG, type ModelConfig } from '../../src-main/engine/models/index.js';
import { predictRows } from '../../src-main/engine/train/predict.js';
import { resolveTrainSettings, labelTensors, train } from '../../src-main/engine/train/trainer.js';
import { syntheticFunnel } from '../helpers/synthetic.js';

/**
 * The fast path (host embedding table, lazy Adam on the rows a batch touches) must compute what the plain
 * path (tfjs variable, gather in the graph, dense Adam) computes.
 */
const data = syntheticFunnel(600, 21);
const batch = takeRows(
  data,
  Int32Array.from({ length: 256 }, (_, i) => i),
);
const config = (embedding: 'dense' | 'sparse'): ModelConfig => ({
  ...DEFAULT_MODEL_CONFIG,
  embeddingDim: 4,
  tower: { hidden: [8, 4], activation: 'relu', dropout: 0 },
  embedding,
});

beforeAll(async () => {
  await initBackend('wasm');
});

function pair(name: string) {
  const plain = createModel(name, data.schema, config('dense'));
  const fast = createModel(name, data.schema, config('sparse'));
  return { plain, fast };
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe.each(['esmm', 'esm2', 'esmc', 'esms'])('%s fast path', (name) => {
  it('starts from the same weights and gives the same stages and loss', async () => {
    const { plain, fast } = pair(name);
    const [a, b] = [await plain.params.read(), await fast.params.read()];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const key of Object.keys(a)) expect(Array.from(b[key].data)).toEqual(Array.from(a[key].data));
    const [p, q] = [await predictRows(plain, data), await predictRows(fast, data)];
    for (const stage of Object.keys(p) as (keyof typeof p)[])
      expect(maxDifference(p[stage]!, q[stage]!)).toBeLessThan(1e-6);
    const losses = [plain, fast].map((model) =>
      tf.tidy(() => model.loss(model.inputs(batch), labelTensors(batch)).total.dataSync()[0]),
    );
    expect(losses[1]).toBeCloseTo(losses[0], 6);
    plain.dispose();
    fast.dispose();
  });

  it('routes the embedding gradient to the rows the batch used, as the gather gradient does', () => {
    const { plain, fast } = pair(name);
    const dense = tf.tidy(() => {
      const inputs = plain.inputs(batch);
      const { grads } = tf.variableGrads(() => plain.loss(inputs, labelTensors(batch)).total);
      return plain.params.byStableName(grads).embedding.dataSync().slice();
    });
    const scope = tf.engine();
    scope.startScope();
    const inputs = fast.inputs(batch);
    const gradient = tf.grad(
      (embedded: tf.Tensor) => fast.loss({ ...inputs, embedded: embedded as tf.Tensor2D }, labelTensors(batch)).total,
    )(inputs.embedded!);
    const sparse = fast.sparseEmbedding!.rowGradients([
      { lookup: inputs.lookup!, embedded: gradient.dataSync() as Float32Array },
    ]);
    scope.endScope();
    const dim = 4;
    const materialized = new Float32Array(dense.length);
    sparse.rows.forEach((row, r) => materialized.set(sparse.gradients.subarray(r * dim, (r + 1) * dim), row * dim));
    expect(maxDifference(materialized, dense)).toBeLessThan(1e-6);
    const usedRows = new Set<number>();
    for (let row = 0; row < dense.length / dim; row++)
      if (dense.subarray(row * dim, (row + 1) * dim).some((g) => g !== 0)) usedRows.add(row);
    for (const row of usedRows) expect(sparse.rows).toContain(row);
    plain.dispose();
    fast.dispose();
  });

  it('lazy Adam equals dense Adam on the rows touched, and leaves the others alone', async () => {
    const { plain, fast } = pair(name);
    const before = (await fast.params.read()).embedding.data;
    const settings = resolveTrainSettings(
      {
        epochs: 3,
        batchSize: batch.rows,
        learningRate: 0.01,
        patience: null,
        weightDecay: 1e-3,
      },
      10_000,
    );
    await train(plain, { train: batch }, settings);
    await train(fast, { train: batch }, settings);
    const [a, b] = [await plain.params.read(), await fast.params.read()];
    for (const key of Object.keys(a))
      if (key !== 'embedding') expect(maxDifference(b[key].data, a[key].data), key).toBeLessThan(1e-5);
    const inputs = fast.inputs(batch);
    const width = (data.schema.categorical.length + data.schema.multiHot.length) * 4;
    const touched = new Set(
      fast.sparseEmbedding!.rowGradients([{ lookup: inputs.lookup!, embedded: new Float32Array(batch.rows * width) }])
        .rows,
    );
    disposeInputs(inputs);
    for (const row of touched) {
      const slice = (values: Float32Array) => values.subarray(row * 4, row * 4 + 4);
      expect(maxDifference(slice(b.embedding.data), slice(a.embedding.data))).toBeLessThan(1e-5);
    }
    // Rows no batch touched: dense Adam's weight decay moves them, lazy Adam by design does not.
    let untouched = 0;
    for (let row = 0; row < before.length / 4; row++) {
      if (touched.has(row)) continue;
      untouched++;
      expect(Array.from(b.embedding.data.subarray(row * 4, row * 4 + 4))).toEqual(
        Array.from(before.subarray(row * 4, row * 4 + 4)),
      );
    }
    expect(untouched).toBeGreaterThan(0);
    plain.dispose();
    fast.dispose();
  });
});
