import { describe, expect, it } from 'vitest';
import type { ModelDescription } from '../../src-shared/api/index.js';
import { checkSetting, MODEL_SETTINGS, TRAIN_SETTINGS } from '../../src-shared/settings.js';
import {
  DEFAULT_MODEL_CONFIG,
  DEFAULT_TRAIN_SETTINGS,
  resolveTrainSettings,
  type TrainConfig,
} from '../../src-shared/types/index.js';
import {
  ADVANCED_FIELDS,
  BASIC_FIELDS,
  FORM_FIELDS,
  fieldProblem,
  formFromDefaults,
  formProblems,
  formatDuration,
  modelState,
  secondsLeft,
  planBlocked,
  planLine,
  planParts,
  planRequest,
  settingProblems,
  trainRequest,
  usableModels,
  type FormField,
} from '../../src-renderer/train-form.js';

const defaults = { model: DEFAULT_MODEL_CONFIG, train: DEFAULT_TRAIN_SETTINGS };
const field = (key: string): FormField => FORM_FIELDS.find((f) => f.key === key)!;

describe('the Train form', () => {
  it('has a field for every declared setting with a form, basic ones shown and advanced ones under More', () => {
    const declared = (form: 'basic' | 'advanced') => [
      ...Object.entries(TRAIN_SETTINGS)
        .filter(([, s]) => 'form' in s && s.form === form)
        .map(([name]) => `train.${name}`),
      ...Object.entries(MODEL_SETTINGS)
        .filter(([, s]) => 'form' in s && s.form === form)
        .map(([name]) => `model.${name}`),
    ];
    expect(BASIC_FIELDS.map((f) => f.key)).toEqual(declared('basic'));
    expect(ADVANCED_FIELDS.map((f) => f.key)).toEqual(declared('advanced'));
    // One Seed, the training's: the model seed has no field of its own.
    expect(BASIC_FIELDS.filter((f) => f.label === 'Seed').map((f) => f.key)).toEqual(['train.seed']);
    expect(FORM_FIELDS.some((f) => f.key === 'model.seed' || f.key === 'train.progressIntervalMs')).toBe(false);
    expect(field('train.learningRate')).toMatchObject({ label: 'Learning rate', placeholder: 'auto' });
    expect(field('train.maxSteps')).toMatchObject({ label: 'Stop after steps', placeholder: 'none' });
  });

  it("starts from the lab's defaults, auto and none as words", () => {
    const form = formFromDefaults(defaults);
    expect(form).toMatchObject({
      'train.epochs': 'auto',
      'train.batchSize': 'auto',
      'train.learningRate': 'auto',
      'train.seed': String(DEFAULT_TRAIN_SETTINGS.seed),
      'train.maxSteps': 'none',
      'train.monitor': 'loss',
      'model.embeddingDim': String(DEFAULT_MODEL_CONFIG.embeddingDim),
      'model.hidden': DEFAULT_MODEL_CONFIG.tower.hidden.join(', '),
      'model.lambda': String(DEFAULT_MODEL_CONFIG.constraint.lambda),
      'model.lossWeights': '',
    });
    expect(Object.keys(form)).toEqual(FORM_FIELDS.map((f) => f.key));
    expect(settingProblems(form)).toEqual(new Map());
  });

  it("refuses a bad value with checkSetting's own message, the one the API and the CLI give", () => {
    expect(fieldProblem(field('train.learningRate'), '-1')).toBe(checkSetting(TRAIN_SETTINGS.learningRate, -1));
    expect(fieldProblem(field('train.learningRate'), '-1')).toBe(
      'learning rate must be a number above 0 and at most 10, or auto; got -1',
    );
    expect(fieldProblem(field('train.epochs'), '2.5')).toBe(checkSetting(TRAIN_SETTINGS.epochs, 2.5));
    expect(fieldProblem(field('train.batchSize'), 'many')).toBe(checkSetting(TRAIN_SETTINGS.batchSize, 'many'));
    expect(fieldProblem(field('model.hidden'), '64, x')).toBe(checkSetting(MODEL_SETTINGS.hidden, '64, x'));
    expect(fieldProblem(field('model.embeddingDim'), 'auto')).toBe(checkSetting(MODEL_SETTINGS.embeddingDim, 'auto'));
    const form = { ...formFromDefaults(defaults), 'train.learningRate': '-1', 'model.lambda': '-2' };
    expect([...settingProblems(form).values()]).toEqual([
      checkSetting(TRAIN_SETTINGS.learningRate, -1),
      checkSetting(MODEL_SETTINGS.lambda, -2),
    ]);
    expect(planBlocked(settingProblems(form))).toBe(true);
    // A model setting's problem does not stop the plan, which only reads the training settings.
    expect(planBlocked(settingProblems({ ...form, 'train.learningRate': '0.01' }))).toBe(false);
  });

  it('accepts auto (typed, or an emptied auto field) and none, and 1e-6 as a number', () => {
    expect(fieldProblem(field('train.epochs'), 'auto')).toBeUndefined();
    expect(fieldProblem(field('train.epochs'), ' ')).toBeUndefined();
    expect(fieldProblem(field('train.maxSteps'), '')).toBeUndefined();
    expect(fieldProblem(field('train.patience'), 'none')).toBeUndefined();
    expect(fieldProblem(field('train.learningRate'), '1e-6')).toBeUndefined();
    const form = { ...formFromDefaults(defaults), 'train.epochs': '', 'train.learningRate': '1e-6' };
    expect(planRequest(form, 'sales').trainConfig).toMatchObject({ epochs: 'auto', learningRate: 1e-6 });
  });

  it('builds the request with every setting parsed and the one seed as both seeds', () => {
    const form = {
      ...formFromDefaults(defaults),
      'train.epochs': '2',
      'train.seed': '7',
      'train.maxSteps': '30',
      'train.monitor': 'cvr_auc',
      'model.hidden': '16 8',
      'model.lossWeights': 'ctcvr=2',
      'model.activation': 'tanh',
    };
    const request = trainRequest(form, 'sales', ['esmm', 'esmc']);
    expect(request).toEqual({
      dataset: 'sales',
      models: ['esmm', 'esmc'],
      trainConfig: {
        epochs: 2,
        batchSize: 'auto',
        learningRate: 'auto',
        weightDecay: 0,
        seed: 7,
        monitor: 'cvr_auc',
        patience: 3,
        minSteps: 'auto',
        maxSteps: 30,
      },
      modelConfig: {
        embeddingDim: 8,
        tower: { hidden: [16, 8], activation: 'tanh', dropout: 0 },
        constraint: { lambda: 0.01, layers: 'hidden', distance: 'l2', gradient: 'both' },
        counterfactual: { maxWeight: 15, normalise: 'exposures' },
        lossWeights: { ctcvr: 2 },
        outputBias: 'base-rate',
        embedding: 'sparse',
        seed: 7,
      },
    });
    expect(trainRequest({ ...form, 'train.maxSteps': '' }, 'sales', ['esmm']).trainConfig?.maxSteps).toBeNull();
  });

  it('keeps only the checks that are not settings: a dataset, a usable model', () => {
    expect(formProblems('sales', ['esmm'])).toEqual([]);
    expect(formProblems('', [])).toEqual([
      'import or simulate a dataset first (Data)',
      'pick at least one model that this dataset can train',
    ]);
  });

  it('leaves out models that need an action label when the dataset has none', () => {
    const model = (name: string, needsAction: boolean) => ({ name, needsAction }) as ModelDescription;
    const models = [model('esmm', false), model('esmc', true)];
    expect(usableModels(['esmm', 'esmc'], models, false)).toEqual(['esmm']);
    expect(usableModels(['esmm', 'esmc'], models, true)).toEqual(['esmm', 'esmc']);
    expect(usableModels(['gone'], models, true)).toEqual([]);
  });
});

describe('the plan line', () => {
  it('says the resolved values in one line, each auto one with its reason', () => {
    const config = resolveTrainSettings({}, 6400);
    expect(config).toMatchObject({ batchSize: 128, epochs: 50, minSteps: 300 });
    expect(planLine(config)).toBe(
      `Batch 128 · learning rate ${config.learningRate} · up to 50 epochs · early stopping on validation loss ` +
        'after 3 epochs without improvement, not before step 300',
    );
    const parts = planParts(config);
    expect(parts.map((part) => part.text)).toEqual([
      'Batch 128',
      `learning rate ${config.learningRate}`,
      'up to 50 epochs',
      'early stopping on validation loss after 3 epochs without improvement',
      'not before step 300',
    ]);
    expect(parts.map((part) => part.before)).toEqual([undefined, ' · ', ' · ', ' · ', ', ']);
    expect(parts.map((part) => part.auto)).toEqual([
      config.auto!.batchSize,
      config.auto!.learningRate,
      config.auto!.epochs,
      undefined,
      config.auto!.minSteps,
    ]);
  });

  it('reads the example of the issue, and no early stopping, a step limit and CVR AUC', () => {
    const given: TrainConfig = {
      epochs: 31,
      batchSize: 64,
      learningRate: 0.001,
      weightDecay: 0,
      seed: 1,
      monitor: 'loss',
      patience: 3,
      minSteps: 1000,
      progressIntervalMs: 250,
    };
    expect(planLine(given)).toBe(
      'Batch 64 · learning rate 0.001 · up to 31 epochs · early stopping on validation loss after 3 epochs ' +
        'without improvement, not before step 1,000',
    );
    expect(planParts(given).every((part) => part.auto === undefined)).toBe(true);
    expect(planLine({ ...given, epochs: 1, learningRate: 1e-6, patience: null, maxSteps: 15 })).toBe(
      'Batch 64 · learning rate 1e-6 · up to 1 epoch · stops after 15 steps · no early stopping',
    );
    expect(planLine({ ...given, monitor: 'cvr_auc', patience: 1, minSteps: 0 })).toContain(
      'early stopping on validation CVR AUC after 1 epoch without improvement',
    );
  });
});

describe("a model's state in the progress table", () => {
  const progress = {
    state: 'training' as const,
    epoch: 9,
    plannedEpochs: 20,
    epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9].map((epoch) => ({ epoch, improved: epoch <= 6 })),
  };

  it('says waiting, training epoch N of M, storing, failed with the error', () => {
    expect(modelState({ ...progress, state: 'queued', epoch: 0, epochs: [] })).toEqual({
      text: 'waiting for a free worker',
    });
    expect(modelState({ ...progress, epoch: 0, epochs: [] })).toEqual({ text: 'starting' });
    expect(modelState(progress)).toEqual({ text: 'training: epoch 9 of 20' });
    expect(modelState({ ...progress, state: 'storing' })).toEqual({ text: 'storing its run' });
    expect(modelState({ ...progress, state: 'failed', error: 'out of memory' })).toEqual({
      text: 'failed',
      detail: 'out of memory',
    });
  });

  it('says early-stopped at epoch N of M with the best epoch and the reason the record gives', () => {
    const outcome = {
      status: 'early-stopped' as const,
      epochsRun: 9,
      bestEpoch: 6,
      stopReason: 'validation loss did not improve for 3 epochs after epoch 6',
    };
    const stored = { ...progress, state: 'stored' as const, runId: 'r1' };
    expect(modelState(stored, outcome)).toEqual({
      text: 'early-stopped at epoch 9 of 20, best epoch 6',
      detail: outcome.stopReason,
    });
    // Before the record is read, the epoch events tell as much.
    expect(modelState(stored)).toEqual({ text: 'done: 9 epochs, best epoch 6' });
    expect(modelState(stored, { status: 'completed', epochsRun: 1, bestEpoch: 1 })).toEqual({
      text: 'done: 1 epoch',
    });
  });

  it('says what a cancelled model kept', () => {
    const cancelled = { ...progress, state: 'cancelled' as const };
    expect(modelState(cancelled)).toEqual({ text: 'cancelled before it started' });
    expect(modelState({ ...cancelled, runId: 'r1', epochs: [] })).toEqual({
      text: 'cancelled in its first epoch',
      detail: 'its curves are kept; no epoch to score',
    });
    expect(modelState({ ...cancelled, runId: 'r1' }, { status: 'cancelled', epochsRun: 9, bestEpoch: 6 })).toEqual({
      text: 'cancelled after epoch 9 of 20, best epoch 6',
      detail: 'its numbers are those of epoch 6',
    });
  });

  it('gives the time left at the current speed, and formats durations', () => {
    const running = {
      state: 'training' as const,
      rows: 6400,
      epoch: 2,
      step: 50,
      stepsPerEpoch: 100,
      plannedEpochs: 4,
      samplesPerSecond: 3200,
    };
    // 250 of 400 steps left, 64 rows a step, 3,200 rows a second: 5 s.
    expect(secondsLeft(running)).toBeCloseTo(5, 9);
    expect(secondsLeft({ ...running, maxSteps: 200 })).toBeCloseTo(1, 9);
    expect(secondsLeft({ ...running, state: 'stored' })).toBeNull();
    expect(secondsLeft({ ...running, samplesPerSecond: null })).toBeNull();
    expect([45.4, 185, 3720].map(formatDuration)).toEqual(['45 s', '3 min 05 s', '1 h 02 min']);
  });
});
