import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src-main/engine/tf.js';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { takeRows } from '../../src-main/engine/data/dataset.js';
import { towerDistance } from '../../src-main/engine/layers/constraint.js';
import {
  createModel,
  DEFAULT_MODEL_CONFIG,
  MODEL_NAMES,
  type ModelConfig,
} from '../../src-main/engine/models/index.js';
import { loadModel, saveModel } from '../../src-main/engine/train/checkpoint.js';
import { predictRows } from '../../src-main/engine/train/predict.js';
import { resolveTrainSettings, labelTensors, train, type TrainConfig } from '../../src-main/engine/train/trainer.js';
import type { Tower } from '../../src-main/engine/layers/mlp.js';
import { syntheticFunnel } from '../helpers/synthetic.js';

const small: ModelConfig = {
  ...DEFAULT_MODEL_CONFIG,
  embeddingDim: 4,
  tower: { hidden: [16, 8], activation: 'relu', dropout: 0 },
};
const quick: TrainConfig = resolveTrainSettings(
  { epochs: 8, batchSize: 256, learningRate: 1e-2, patience: null },
  10_000,
);
const data = syntheticFunnel(4000, 11);
const order = Int32Array.from({ length: data.rows }, (_, i) => i);
const trainRows = takeRows(data, order.subarray(0, 3000));
const validationRows = takeRows(data, order.subarray(3000));
let workdir: string;

beforeAll(async () => {
  await initBackend('wasm');
  workdir = mkdtempSync(join(tmpdir(), 'esmc-models-'));
});
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

function towerOf(model: object, field: string): Tower {
  return (model as Record<string, Tower>)[field];
}

describe.each(MODEL_NAMES)('%s', (name) => {
  it('serves probabilities that respect the funnel, learns, and does not leak tensors', async () => {
    const model = createModel(name, data.schema, small);
    const before = await predictRows(model, validationRows);
    const result = await train(model, { train: trainRows, validation: validationRows }, quick);
    const after = await predictRows(model, validationRows);
    for (const p of [before, after]) {
      for (const values of Object.values(p))
        for (const v of values as Float32Array) expect(v >= 0 && v <= 1).toBe(true);
      for (let i = 0; i < p.ctr.length; i++) {
        expect(p.ctcvr[i]).toBeLessThanOrEqual(p.ctr[i] + 1e-6);
        if (p.ctavr) expect(p.ctavr[i]).toBeLessThanOrEqual(p.ctr[i] + 1e-6);
      }
    }
    const firstLoss = result.curve[0].losses.total;
    const lastLoss = result.curve.at(-1)!.losses.total;
    expect(lastLoss).toBeLessThan(firstLoss * 0.9);
    const metrics = result.epochs.at(-1)!.validation!;
    expect(metrics.ctr_auc).toBeGreaterThan(0.8);
    expect(metrics.ctcvr_auc).toBeGreaterThan(0.7);
    expect(metrics.cvr_auc).toBeGreaterThan(0.65);

    const tensorsBefore = tf.memory().numTensors;
    await train(model, { train: takeRows(trainRows, order.subarray(0, 512)) }, { ...quick, epochs: 1 });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    model.dispose();
  });
});

describe('model family contracts', () => {
  it('esms ties the action and purchase towers: one set of hidden layers, two heads', () => {
    const model = createModel('esms', data.schema, small);
    const action = towerOf(model, 'actionTower');
    const cvr = towerOf(model, 'cvrTower');
    expect(cvr.hidden).toBe(action.hidden);
    expect(cvr.output.kernel).not.toBe(action.output.kernel);
    expect([...model.params.variables.keys()].filter((n) => n.startsWith('cvr.'))).toEqual([
      'cvr.out.kernel',
      'cvr.out.bias',
    ]);
    model.dispose();
  });

  it('esmc with λ = 0 trains its towers independently: the action gradient ignores the purchase tower', () => {
    const actionGradient = (lambda: number, perturbPurchaseTower: boolean) => {
      const model = createModel('esmc', data.schema, { ...small, constraint: { ...small.constraint, lambda } });
      if (perturbPurchaseTower) {
        const kernel = model.params.get('cvr.0.kernel');
        tf.tidy(() => kernel.assign(tf.add(kernel, tf.randomNormal(kernel.shape, 0, 0.5, 'float32', 3))));
      }
      const batch = takeRows(trainRows, order.subarray(0, 256));
      const gradient = tf.tidy(() => {
        const inputs = model.inputs(batch);
        const variables = [...model.params.variables.values()];
        const { grads } = tf.variableGrads(() => model.loss(inputs, labelTensors(batch)).total, variables);
        return model.params.byStableName(grads)['act.0.kernel'].dataSync().slice();
      });
      model.dispose();
      return Array.from(gradient);
    };
    expect(actionGradient(0, true)).toEqual(actionGradient(0, false));
    const coupled = actionGradient(1, true);
    const reference = actionGradient(1, false);
    expect(coupled.reduce((sum, v, i) => sum + Math.abs(v - reference[i]), 0)).toBeGreaterThan(1e-3);
  });

  it('esmc with a large λ pulls its two towers together, towards esms', async () => {
    const config = { ...small, constraint: { ...small.constraint, lambda: 10 } };
    const model = createModel('esmc', data.schema, config);
    const distance = () =>
      tf.tidy(
        () => towerDistance(towerOf(model, 'actionTower'), towerOf(model, 'cvrTower'), config.constraint).dataSync()[0],
      );
    const initial = distance();
    await train(model, { train: trainRows }, { ...quick, epochs: 3 });
    // Adam's step does not shrink with the gradient, so the towers end within a jitter of lr, not at 0.
    expect(distance()).toBeLessThan(initial * 0.03);
    model.dispose();
  });

  it('refuses data without an action label for models that need one', async () => {
    const noAction = syntheticFunnel(300, 3, false);
    for (const name of ['chain', 'esm2', 'esmc', 'esms', 'esmg', 'aitm']) {
      const model = createModel(name, noAction.schema, small);
      await expect(train(model, { train: noAction }, quick)).rejects.toThrow(/needs an in-shop action label/);
      model.dispose();
    }
    for (const name of ['esmm', 'escm2-ips', 'escm2-dr', 'dcmt']) {
      const model = createModel(name, noAction.schema, small);
      await expect(train(model, { train: noAction }, { ...quick, epochs: 1 })).resolves.toMatchObject({
        status: 'completed',
      });
      model.dispose();
    }
  });

  it('escm2-ips, escm2-dr and dcmt hold the propensity constant: their weighted terms move no CTR-tower weight', () => {
    const batch = takeRows(trainRows, order.subarray(0, 256));
    for (const name of ['escm2-ips', 'escm2-dr', 'dcmt']) {
      // Only the propensity-weighted terms (and dcmt's twin) count: ctr and ctcvr are the CTR tower's own.
      const model = createModel(name, data.schema, { ...small, lossWeights: { ctr: 0, ctcvr: 0 } });
      const gradients = tf.tidy(() => {
        const inputs = model.inputs(batch);
        const variables = [...model.params.variables.values()];
        const { grads } = tf.variableGrads(() => model.loss(inputs, labelTensors(batch)).total, variables);
        const named = model.params.byStableName(grads);
        return Object.fromEntries(Object.entries(named).map(([key, g]) => [key, tf.sum(tf.abs(g)).dataSync()[0]]));
      });
      for (const [key, size] of Object.entries(gradients))
        if (key.startsWith('ctr.')) expect(size, `${name} ${key}`).toBe(0);
        else if (key.startsWith('cvr.')) expect(size, `${name} ${key}`).toBeGreaterThan(0);
      model.dispose();
    }
  });

  it('serve only stages: escm2-dr’s imputed loss and dcmt’s counterfactual tower stay inside the loss', async () => {
    for (const name of ['escm2-dr', 'dcmt']) {
      const model = createModel(name, data.schema, small);
      expect(Object.keys(await predictRows(model, validationRows)).sort()).toEqual(['ctcvr', 'ctr', 'cvr']);
      model.dispose();
    }
  });

  it('weigh their own terms by default (aitm’s calibrator 0.6, dcmt’s twin 0.001) unless the config says otherwise', () => {
    const aitm = createModel('aitm', data.schema, small);
    expect([aitm.lossWeight('calibrator'), aitm.lossWeight('ctr')]).toEqual([0.6, 1]);
    aitm.dispose();
    const dcmt = createModel('dcmt', data.schema, { ...small, lossWeights: { twin: 2 } });
    expect(dcmt.lossWeight('twin')).toBe(2);
    dcmt.dispose();
  });

  it('train a self-normalised IPS loss on one thread: it is no mean over rows', () => {
    const rowMean = (normalise: 'exposures' | 'self') => {
      const model = createModel('escm2-ips', data.schema, { ...small, counterfactual: { maxWeight: 15, normalise } });
      const answer = model.lossIsRowMean;
      model.dispose();
      return answer;
    };
    expect([rowMean('exposures'), rowMean('self')]).toEqual([true, false]);
  });

  it('fails in the constructor on a bad configuration', () => {
    expect(() => createModel('nope', data.schema, small)).toThrow(/Unknown model "nope"/);
    expect(() => createModel('esmm', data.schema, { ...small, tower: { ...small.tower, dropout: 1 } })).toThrow(
      /dropout/,
    );
    expect(() =>
      createModel('esmc', data.schema, { ...small, tower: { ...small.tower, hidden: [] } }).loss(
        createModel('esmm', data.schema, small).inputs(trainRows),
        labelTensors(trainRows),
      ),
    ).toThrow(/no layer to tie/);
  });
});

describe('training', () => {
  it('is reproducible with the same seeds on one backend', async () => {
    const run = async () => {
      const model = createModel('esm2', data.schema, { ...small, tower: { ...small.tower, dropout: 0.2 } });
      const result = await train(model, { train: trainRows }, { ...quick, epochs: 2 });
      const weights = await model.params.read();
      model.dispose();
      return { losses: result.curve.map((c) => c.losses.total), embedding: Array.from(weights.embedding.data) };
    };
    const [a, b] = [await run(), await run()];
    expect(a.losses).toEqual(b.losses);
    expect(a.embedding).toEqual(b.embedding);
  });

  it('stops early on validation CVR AUC and keeps the best epoch', async () => {
    const model = createModel('esmm', data.schema, small);
    const result = await train(
      model,
      { train: trainRows, validation: validationRows },
      { ...quick, epochs: 30, learningRate: 0.05, patience: 1 },
    );
    expect(result.status).toBe('early-stopped');
    const aucs = result.epochs.map((e) => e.validation!.cvr_auc);
    expect(result.bestEpoch).toBe(aucs.indexOf(Math.max(...aucs)) + 1);
    const restored = await predictRows(model, validationRows);
    const { evaluateStages } = await import('../../src-main/engine/metrics/index.js');
    expect(evaluateStages(restored, validationRows.labels).cvr_auc).toBeCloseTo(Math.max(...aucs), 6);
    model.dispose();
  });

  it('can be cancelled between steps and leaves a usable model', async () => {
    const model = createModel('esmc', data.schema, small);
    const controller = new AbortController();
    let steps = 0;
    const result = await train(
      model,
      { train: trainRows },
      { ...quick, batchSize: 64, progressIntervalMs: 0 },
      {
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'step' && ++steps === 3) controller.abort();
        },
      },
    );
    expect(result.status).toBe('cancelled');
    expect(result.epochsRun).toBe(0);
    const p = await predictRows(model, validationRows);
    expect(p.cvr.every(Number.isFinite)).toBe(true);
    model.dispose();
  });

  it('rejects an invalid configuration with every problem named', async () => {
    const model = createModel('esmm', data.schema, small);
    await expect(train(model, { train: trainRows }, { ...quick, epochs: 0, learningRate: -1 })).rejects.toThrow(
      'epochs must be a whole number from 1 to 1,000, or auto; got 0; learning rate must be a number above 0 and at most 10, or auto; got -1',
    );
    model.dispose();
  });
});

describe('saved models', () => {
  it('round-trip weights, config and encoding exactly', async () => {
    const model = createModel('esmg', data.schema, small);
    await train(model, { train: trainRows }, { ...quick, epochs: 1 });
    const path = join(workdir, 'model.esmc');
    await saveModel(path, model, { vocabulary: ['a', 'b'] }, { note: 'test' });
    const { model: loaded, header } = await loadModel<{ vocabulary: string[] }, { note: string }>(path);
    expect(header.encoding.vocabulary).toEqual(['a', 'b']);
    expect(header.meta.note).toBe('test');
    expect(loaded.config).toEqual(model.config);
    const [a, b] = [await predictRows(model, validationRows), await predictRows(loaded, validationRows)];
    expect(Array.from(b.cvr)).toEqual(Array.from(a.cvr));
    expect(existsSync(`${path}.partial-${process.pid}`)).toBe(false);
    model.dispose();
    loaded.dispose();
  });

  it('refuse a file that is not a model or is truncated', async () => {
    const notModel = join(workdir, 'not-a-model.esmc');
    writeFileSync(notModel, 'click,purchase\n1,0\n');
    await expect(loadModel(notModel)).rejects.toThrow(/is not an ESMC Lab model file/);
    const model = createModel('esmm', data.schema, small);
    const path = join(workdir, 'full.esmc');
    await saveModel(path, model, null, null);
    const bytes = readFileSync(path);
    const truncated = join(workdir, 'truncated.esmc');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(loadModel(truncated)).rejects.toThrow(/is truncated/);
    model.dispose();
  });
});

describe('loss weights', () => {
  it('scale the named term and reject names the model does not have', () => {
    const batch = takeRows(trainRows, order.subarray(0, 128));
    const totals = [1, 3].map((weight) => {
      const model = createModel('esmm', data.schema, { ...small, lossWeights: { ctcvr: weight } });
      const { total, ctcvr } = tf.tidy(() => {
        const loss = model.loss(model.inputs(batch), labelTensors(batch));
        return { total: loss.total.dataSync()[0], ctcvr: loss.terms.ctcvr.dataSync()[0] };
      });
      model.dispose();
      return { total, ctcvr };
    });
    expect(totals[1].total - totals[0].total).toBeCloseTo(2 * totals[0].ctcvr, 5);
    const model = createModel('esmm', data.schema, { ...small, lossWeights: { ctavr: 1 } });
    expect(() => tf.tidy(() => model.loss(model.inputs(batch), labelTensors(batch)))).toThrow(
      /esmm has no loss term ctavr/,
    );
    model.dispose();
  });
});
