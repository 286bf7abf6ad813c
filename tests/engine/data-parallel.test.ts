import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { sliceRows, takeRows } from '../../src-main/engine/data/dataset.js';
import { createModel, DEFAULT_MODEL_CONFIG, type ModelConfig } from '../../src-main/engine/models/index.js';
import { combineGradients, hostGradients } from '../../src-main/engine/train/gradients.js';
import { predictRows } from '../../src-main/engine/train/predict.js';
import { ModelReplica } from '../../src-main/engine/train/replica.js';
import { resolveTrainSettings, train, type TrainConfig } from '../../src-main/engine/train/trainer.js';
import { syntheticFunnel } from '../helpers/synthetic.js';
import type { SparseLookup } from '../../src-main/engine/layers/embedding.js';
import { DEFAULT_SPLIT, splitRows, takeSplit } from '../../src-main/engine/data/split.js';
import { trainModel } from '../../src-main/engine/run.js';

/**
 * Data parallelism must compute what one thread computes: the halves' gradients combined equal the batch's,
 * a training run with a replica takes the steps a run without one takes, and predictions split across two
 * threads equal predictions on one.
 */
const data = syntheticFunnel(20_000, 5);
const config: ModelConfig = {
  ...DEFAULT_MODEL_CONFIG,
  embeddingDim: 4,
  tower: { hidden: [8, 4], activation: 'relu', dropout: 0 },
  embedding: 'sparse',
};
const trainConfig: TrainConfig = resolveTrainSettings(
  {
    epochs: 1,
    // Odd: the halves differ by a row, so a wrong weighting of the parts shows.
    batchSize: 513,
    learningRate: 0.01,
    weightDecay: 1e-4,
    patience: null,
  },
  10_000,
);
const trainRows = takeRows(
  data,
  Int32Array.from({ length: 2048 }, (_, i) => i),
);

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(['esmm', 'esm2', 'esmc'])('%s', (name) => {
  const replicas: ModelReplica[] = [];
  afterAll(async () => Promise.all(replicas.map((replica) => replica.close())));

  it("combines the halves' gradients into the batch's (uneven halves included)", () => {
    const model = createModel(name, data.schema, config);
    const batch = sliceRows(trainRows, 0, 301);
    const whole = hostGradients(model, batch);
    const combined = combineGradients([
      hostGradients(model, sliceRows(batch, 0, 150)),
      hostGradients(model, sliceRows(batch, 150, 301)),
    ]);
    expect(combined.rows).toBe(301);
    for (const key of Object.keys(whole.losses)) expect(combined.losses[key]).toBeCloseTo(whole.losses[key], 5);
    whole.variables.forEach((gradient, i) =>
      expect(maxDifference(combined.variables[i]!, gradient!)).toBeLessThan(1e-6),
    );
    model.dispose();
  });

  it('trains to the same weights and losses with a replica as without one', async () => {
    const [alone, paired] = [createModel(name, data.schema, config), createModel(name, data.schema, config)];
    const replica = await ModelReplica.start(paired);
    replicas.push(replica);
    const one = await train(alone, { train: trainRows }, trainConfig);
    const two = await train(paired, { train: trainRows }, trainConfig, { replica });
    expect(replica.requestsServed).toBe(Math.ceil(trainRows.rows / trainConfig.batchSize));
    expect(two.curve.length).toBe(one.curve.length);
    two.curve.forEach((point, i) => expect(point.losses.total).toBeCloseTo(one.curve[i].losses.total, 4));
    const [a, b] = [await alone.params.read(), await paired.params.read()];
    for (const key of Object.keys(a)) expect(maxDifference(b[key].data, a[key].data), key).toBeLessThan(1e-4);
    // The steps moved the weights: equal because both trained, not because neither did.
    const initial = await createModel(name, data.schema, config).params.read();
    expect(maxDifference(a['ctr.0.kernel'].data, initial['ctr.0.kernel'].data)).toBeGreaterThan(1e-3);
    alone.dispose();
    paired.dispose();
  });

  it('computes a short last batch on this thread, the table still updated by the replica', async () => {
    const [alone, paired] = [createModel(name, data.schema, config), createModel(name, data.schema, config)];
    const replica = await ModelReplica.start(paired);
    replicas.push(replica);
    // 1,027 rows in batches of 513: two split batches, then one of a single row.
    const rows = takeRows(
      data,
      Int32Array.from({ length: 1027 }, (_, i) => i),
    );
    await train(alone, { train: rows }, trainConfig);
    await train(paired, { train: rows }, trainConfig, { replica });
    expect(replica.requestsServed).toBe(2);
    const [a, b] = [await alone.params.read(), await paired.params.read()];
    for (const key of Object.keys(a)) expect(maxDifference(b[key].data, a[key].data), key).toBeLessThan(1e-4);
    alone.dispose();
    paired.dispose();
  });

  it("weighs the halves' embedding gradients by their rows into the batch's row gradients", () => {
    const model = createModel(name, data.schema, config);
    const batch = sliceRows(trainRows, 0, 301);
    const rowsOf = (parts: { lookup: SparseLookup; embedded: Float32Array; weight?: number }[]) => {
      const { rows, gradients } = model.sparseEmbedding!.rowGradients(parts);
      const dim = config.embeddingDim;
      return new Map(Array.from(rows, (row, r) => [row, Array.from(gradients.subarray(r * dim, (r + 1) * dim))]));
    };
    const whole = hostGradients(model, batch);
    const expected = rowsOf([{ lookup: whole.lookup!, embedded: whole.embedded! }]);
    const [a, b] = [hostGradients(model, sliceRows(batch, 0, 150)), hostGradients(model, sliceRows(batch, 150, 301))];
    const combined = rowsOf([
      { lookup: a.lookup!, embedded: a.embedded!, weight: 150 / 301 },
      { lookup: b.lookup!, embedded: b.embedded!, weight: 151 / 301 },
    ]);
    expect([...combined.keys()].sort((x, y) => x - y)).toEqual([...expected.keys()].sort((x, y) => x - y));
    for (const [row, gradient] of expected) expect(maxDifference(combined.get(row)!, gradient)).toBeLessThan(1e-7);
    model.dispose();
  });

  it('predicts into a target at an offset (shared memory: the replica writes its half there), and writes nowhere else', async () => {
    const model = createModel(name, data.schema, config);
    const replica = await ModelReplica.start(model);
    replicas.push(replica);
    const plain = await predictRows(model, data, 4096);
    for (const shared of [false, true]) {
      const target = { stages: {}, rows: data.rows + 10, offset: 7, shared };
      const views = await predictRows(model, data, 4096, replica, target);
      for (const stage of Object.keys(plain) as (keyof typeof plain)[]) {
        const written = (target.stages as Record<string, Float32Array>)[stage];
        expect(written.length).toBe(data.rows + 10);
        expect(maxDifference(written.subarray(7, 7 + data.rows), plain[stage]!)).toBe(0);
        expect([...written.subarray(0, 7), ...written.subarray(7 + data.rows)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        expect(views[stage]!.buffer).toBe(written.buffer);
        expect(written.buffer instanceof SharedArrayBuffer).toBe(shared);
      }
    }
    expect(replica.requestsServed).toBe(2);
    model.dispose();
  });

  it('predicts the same stages with half of the rows on the replica', async () => {
    const model = createModel(name, data.schema, config);
    await train(model, { train: sliceRows(trainRows, 0, 1024) }, trainConfig);
    const replica = await ModelReplica.start(model);
    replicas.push(replica);
    const [one, two] = [await predictRows(model, data, 4096), await predictRows(model, data, 4096, replica)];
    expect(replica.requestsServed).toBe(1);
    expect(Object.keys(two).sort()).toEqual(Object.keys(one).sort());
    for (const stage of Object.keys(one) as (keyof typeof one)[])
      expect(maxDifference(two[stage]!, one[stage]!)).toBe(0);
    model.dispose();
  });
});

it('a model whose loss averages over clicked rows only trains on one thread, replica or not', async () => {
  const [alone, paired] = [createModel('naive', data.schema, config), createModel('naive', data.schema, config)];
  const replica = await ModelReplica.start(paired);
  await train(alone, { train: trainRows }, trainConfig);
  await train(paired, { train: trainRows }, trainConfig, { replica });
  expect(replica.requestsServed).toBe(0);
  await replica.close();
  const [a, b] = [await alone.params.read(), await paired.params.read()];
  for (const key of Object.keys(a)) expect(Array.from(b[key].data), key).toEqual(Array.from(a[key].data));
  alone.dispose();
  paired.dispose();
});

it('trains on one thread when the towers use dropout (the halves would draw the same masks)', async () => {
  const model = createModel('esmc', data.schema, { ...config, tower: { ...config.tower, dropout: 0.2 } });
  const replica = await ModelReplica.start(model);
  await train(model, { train: trainRows }, trainConfig, { replica });
  expect(replica.requestsServed).toBe(0);
  await replica.close();
  model.dispose();
});

it('fails the training with the reason when the replica goes away mid-run, and nothing is left unhandled', async () => {
  const model = createModel('esmc', data.schema, config);
  const replica = await ModelReplica.start(model);
  const training = train(model, { train: trainRows }, trainConfig, {
    replica,
    onEvent: (event) => {
      if (event.type === 'step' && event.step === 1) void replica.close();
    },
  });
  await expect(training).rejects.toThrow(/the model replica was closed/);
  await expect(replica.gradients(model, sliceRows(trainRows, 0, 8))).rejects.toThrow(/closed/);
  model.dispose();
});

it('after a run, a replica computes with the weights the model has now, not those it shared during the run', async () => {
  const model = createModel('esmm', data.schema, config);
  const replica = await ModelReplica.start(model);
  await train(model, { train: trainRows }, { ...trainConfig, batchSize: 512, maxSteps: 2 }, { replica });
  expect(replica.requestsServed).toBe(2);
  const other = createModel('esmm', data.schema, { ...config, seed: config.seed + 1 });
  model.params.assign(await other.params.read());
  const batch = sliceRows(trainRows, 0, 64);
  const [here, there] = [hostGradients(model, batch), await replica.gradients(model, batch)];
  here.variables.forEach((gradient, i) => expect(maxDifference(there.variables[i]!, gradient!)).toBeLessThan(1e-6));
  await replica.close();
  model.dispose();
  other.dispose();
});

it('a replica answers a request that does not fit its model with a clear error, and keeps working', async () => {
  const model = createModel('esmm', data.schema, config);
  const other = createModel('esmc', data.schema, config);
  const replica = await ModelReplica.start(model);
  await expect(replica.gradients(other, sliceRows(trainRows, 0, 64))).rejects.toThrow(/weights do not match the model/);
  const gradients = await replica.gradients(model, sliceRows(trainRows, 0, 64));
  expect(gradients.rows).toBe(64);
  await replica.close();
  model.dispose();
  other.dispose();
});

it('sliceRows gives views of the rows asked for, labels and ids included', () => {
  const part = sliceRows(data, 10, 13);
  const fields = data.schema.categorical.length;
  expect(part.rows).toBe(3);
  expect(Array.from(part.categorical)).toEqual(Array.from(data.categorical.subarray(10 * fields, 13 * fields)));
  expect(Array.from(part.labels.click)).toEqual(Array.from(data.labels.click.subarray(10, 13)));
  expect(part.labels.action && Array.from(part.labels.action)).toEqual(
    Array.from(data.labels.action!.subarray(10, 13)),
  );
  expect(part.categorical.buffer).toBe(data.categorical.buffer);
});

it('trainModel with two threads trains, evaluates and hands back its replica for the caller to predict with', async () => {
  const big = syntheticFunnel(50_000, 9);
  const parts = takeSplit(big, splitRows(big.rows, DEFAULT_SPLIT, 1));
  const source = { parts, schema: big.schema, findings: [], path: 'synthetic', sha256: '', rows: big.rows };
  const options = { modelConfig: config, trainConfig: { ...trainConfig, batchSize: 1024, maxSteps: 12 } };
  const one = await trainModel('esmc', source, { ...options, threads: 1 });
  const two = await trainModel('esmc', source, { ...options, threads: 2 });
  expect(one.replica).toBeUndefined();
  expect([one.record.training.threads, two.record.training.threads]).toEqual([1, 2]);
  expect(two.record.backend!.device).toMatch(/, 2 threads$/);
  expect(one.record.backend!.device).not.toMatch(/threads/);
  // 12 steps; the validation and test parts (5,000 rows each) are too few to split.
  expect(two.replica!.requestsServed).toBe(12);
  expect(two.record.metrics.test!.cvr_auc).toBeCloseTo(one.record.metrics.test!.cvr_auc, 4);
  const [a, b] = [
    await predictRows(one.model, parts.train),
    await predictRows(two.model, parts.train, 4096, two.replica),
  ];
  expect(maxDifference(b.cvr, a.cvr)).toBeLessThan(1e-4);
  expect(two.replica!.requestsServed).toBe(13);
  await two.replica!.close();
  one.model.dispose();
  two.model.dispose();
});

it('splitFields shares the fields by their lookups, and row gradients summed per range add up to the whole', () => {
  const model = createModel('esmm', data.schema, config);
  const embedding = model.sparseEmbedding!;
  const [fields, bag] = [data.schema.categorical.length, data.schema.multiHot[0].maxLength];
  const all = embedding.fields;
  expect(all).toEqual({ from: 0, to: fields + 1 });
  for (const share of [0, 0.3, 0.5, 1]) {
    const [first, second] = embedding.splitFields(share);
    expect([first.from, first.to, second.to]).toEqual([0, second.from, all.to]);
    // The first range's lookups are the share's nearest (a multi-hot field counts its length).
    const lookups = (to: number) => Math.min(to, fields) + (to > fields ? bag : 0);
    expect(Math.abs(lookups(first.to) / (fields + bag) - share)).toBeLessThanOrEqual(bag / (fields + bag));
  }
  const batch = sliceRows(trainRows, 0, 200);
  const [a, b] = [hostGradients(model, sliceRows(batch, 0, 120)), hostGradients(model, sliceRows(batch, 120, 200))];
  const parts = [a, b].map((part) => ({ lookup: part.lookup!, embedded: part.embedded!, weight: part.rows / 200 }));
  const byRow = (result: { rows: Int32Array; gradients: Float32Array }) =>
    new Map(Array.from(result.rows, (row, i) => [row, Array.from(result.gradients.subarray(i * 4, i * 4 + 4))]));
  const whole = byRow(embedding.rowGradients(parts));
  const [first, second] = embedding.splitFields(0.3);
  const incremental = embedding.sumRowGradients(first);
  parts.forEach((part) => incremental.add(part));
  const pieces = new Map([...byRow(incremental.result()), ...byRow(embedding.rowGradients(parts, second))]);
  expect(pieces.size).toBe(whole.size);
  for (const [row, gradient] of whole) expect(pieces.get(row)).toEqual(gradient);
  model.dispose();
});
