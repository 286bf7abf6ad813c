/**
 * Parity with the PyTorch reference (python/esmc_torch/esmc_torch/models.py): same weights, same batch, and every model must
 * serve the same stages, produce the same loss terms and total, and the same gradient of the total for every
 * parameter, on the cpu and wasm backends. The fixtures are written by bench/reference/make_parity_fixtures.py.
 *
 * Tolerance: |tfjs − torch| ≤ 1e-5 · max(1, |torch|), i.e. absolute for values up to 1 (all probabilities, most
 * losses and gradients) and relative above (a large constraint term or total).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backends/index.js';
import type { EncodedDataset, FeatureSchema } from '../../src-main/engine/data/dataset.js';
import {
  createModel,
  MODEL_NAMES,
  type EntireSpaceModel,
  type ModelConfig,
} from '../../src-main/engine/models/index.js';
import type { LabelTensors } from '../../src-main/engine/models/model.js';
import * as tf from '../../src-main/engine/tf.js';
import { disposeInputs } from '../../src-main/engine/layers/embedding.js';

const TOLERANCE = 1e-5;
const BACKENDS = ['cpu', 'wasm'] as const;
const FIXTURE_DIR = new URL('../fixtures/parity/', import.meta.url);

interface TensorJson {
  shape: number[];
  data: number[];
}

interface ParityFixture {
  case: string;
  model: string;
  schema: FeatureSchema;
  config: ModelConfig;
  batch: {
    rows: number;
    categorical: number[][];
    multiHot: number[][][];
    dense: number[][];
    labels: { click: number[]; action: number[]; purchase: number[] };
  };
  weights: Record<string, TensorJson>;
  expected: {
    stages: Record<string, number[]>;
    terms: Record<string, number>;
    total: number;
    gradients: Record<string, TensorJson>;
  };
}

const fixtures: ParityFixture[] = readdirSync(FIXTURE_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => JSON.parse(readFileSync(new URL(file, FIXTURE_DIR), 'utf8')) as ParityFixture);

function dataset(fixture: ParityFixture): EncodedDataset {
  const { batch, schema } = fixture;
  return {
    schema,
    rows: batch.rows,
    categorical: Int32Array.from(batch.categorical.flat()),
    multiHot: batch.multiHot.map((bag) => Int32Array.from(bag.flat())),
    dense: Float32Array.from(batch.dense.flat()),
    labels: {
      click: Float32Array.from(batch.labels.click),
      action: Float32Array.from(batch.labels.action),
      purchase: Float32Array.from(batch.labels.purchase),
    },
  };
}

/** A model holding the fixture's weights, with the batch as tensors; `dispose` frees all of it. */
function build(fixture: ParityFixture) {
  const model: EntireSpaceModel = createModel(fixture.model, fixture.schema, fixture.config);
  model.params.assign(
    Object.fromEntries(
      Object.entries(fixture.weights).map(([name, w]) => [name, { shape: w.shape, data: Float32Array.from(w.data) }]),
    ),
  );
  const data = dataset(fixture);
  const inputs = model.inputs(data);
  const labels: LabelTensors = {
    click: tf.tensor1d(data.labels.click),
    action: tf.tensor1d(data.labels.action!),
    purchase: tf.tensor1d(data.labels.purchase),
  };
  const dispose = () => {
    disposeInputs(inputs);
    tf.dispose(Object.values(labels));
    model.dispose();
  };
  return { model, inputs, labels, dispose };
}

/**
 * tf.variableGrads over the model's own variables, keyed by the parameter store's stable names (the fixtures'
 * names), not by the tfjs variable names, which the store may prefix to keep them globally unique.
 */
function gradients(
  model: EntireSpaceModel,
  f: () => tf.Scalar,
): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const stores = [...model.params.variables];
  const { value, grads } = tf.variableGrads(
    f,
    stores.map(([, variable]) => variable),
  );
  const named: Record<string, tf.Tensor> = {};
  for (const [name, variable] of stores) if (grads[variable.name]) named[name] = grads[variable.name];
  return { value, grads: named };
}

/** max_i |actual − expected| / max(1, |expected|); NaN stays NaN so that it fails every comparison. */
function deviation(actual: ArrayLike<number>, expected: number[]): number {
  if (actual.length !== expected.length) return NaN;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    worst = d > worst || Number.isNaN(d) ? d : worst;
  }
  return worst;
}

/** Largest deviation seen per backend and kind, printed at the end for the record. */
const observed: Record<string, number> = {};
function record(backend: string, kind: string, value: number): number {
  const key = `${backend} ${kind}`;
  observed[key] = Math.max(observed[key] ?? 0, value);
  return value;
}

afterAll(() => {
  console.log(
    'max |tfjs − torch| / max(1, |torch|):\n' +
      Object.entries(observed)
        .map(([key, value]) => `  ${key.padEnd(17)} ${value.toExponential(2)}`)
        .join('\n'),
  );
});

it('has a fixture for every model', () => {
  const models = new Set(fixtures.map((f) => f.model));
  expect([...models].sort()).toEqual([...MODEL_NAMES].sort());
});

describe.each(BACKENDS)('%s backend', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it.each(fixtures.map((f) => [f.case, f] as const))('%s matches PyTorch', (_, fixture) => {
    expect(tf.getBackend()).toBe(backend);
    const { model, inputs, labels, dispose } = build(fixture);
    try {
      const { expected } = fixture;

      const stages = tf.tidy(() => model.predict(inputs) as unknown as Record<string, tf.Tensor>);
      expect(Object.keys(stages).sort()).toEqual(Object.keys(expected.stages).sort());
      for (const [name, tensor] of Object.entries(stages)) {
        const d = record(backend, 'stages', deviation(tensor.dataSync(), expected.stages[name]));
        expect(d, `stage ${name}`).toBeLessThanOrEqual(TOLERANCE);
      }
      tf.dispose(Object.values(stages));

      const { total, terms } = tf.tidy(() => model.loss(inputs, labels));
      expect(Object.keys(terms).sort()).toEqual(Object.keys(expected.terms).sort());
      for (const [name, term] of Object.entries(terms)) {
        const d = record(backend, 'loss terms', deviation(term.dataSync(), [expected.terms[name]]));
        expect(d, `loss term ${name}`).toBeLessThanOrEqual(TOLERANCE);
      }
      const d = record(backend, 'loss total', deviation(total.dataSync(), [expected.total]));
      expect(d, 'total loss').toBeLessThanOrEqual(TOLERANCE);
      tf.dispose([total, ...Object.values(terms)]);

      const { value, grads } = gradients(model, () => model.loss(inputs, labels).total);
      expect(deviation(value.dataSync(), [expected.total])).toBeLessThanOrEqual(TOLERANCE);
      expect(Object.keys(grads).sort()).toEqual(Object.keys(expected.gradients).sort());
      for (const [name, grad] of Object.entries(grads)) {
        expect(grad.shape, `gradient ${name}`).toEqual(expected.gradients[name].shape);
        const dg = record(backend, 'gradients', deviation(grad.dataSync(), expected.gradients[name].data));
        expect(dg, `gradient of ${name}`).toBeLessThanOrEqual(TOLERANCE);
      }
      tf.dispose([value, ...Object.values(grads)]);
    } finally {
      dispose();
    }
  });

  it.each(fixtures.map((f) => [f.case, f] as const))('%s leaks no tensor across forward + backward', (_, fixture) => {
    const { model, inputs, labels, dispose } = build(fixture);
    try {
      const step = () => {
        const stages = tf.tidy(() => model.predict(inputs) as unknown as Record<string, tf.Tensor>);
        tf.dispose(Object.values(stages));
        const { value, grads } = gradients(model, () => model.loss(inputs, labels).total);
        tf.dispose([value, ...Object.values(grads)]);
      };
      step(); // burn-in: lazily created backend state, if any, is not a leak
      const before = tf.memory().numTensors;
      step();
      step();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      dispose();
    }
  });
});
