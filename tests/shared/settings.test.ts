import { describe, expect, it } from 'vitest';
import {
  AUTO_EPOCHS,
  AUTO_TARGET_STEPS,
  autoTrainValues,
  checkSetting,
  MODEL_SETTINGS,
  parseSetting,
  settingDefaults,
  settingProblems,
  TRAIN_SETTINGS,
  type Setting,
} from '../../src-shared/settings.js';
import { validateRequest } from '../../src-shared/api/index.js';
import { DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_SETTINGS, resolveTrainSettings } from '../../src-shared/types/index.js';
import { settingsFrom } from '../../src-main/cli/settings.js';
import { UsageError } from '../../src-main/cli/command.js';
import { FORM_FIELDS, fieldProblem } from '../../src-renderer/train-form.js';

/** One table of bad values: each door must refuse every one of them with the declaration's own message. */
const BAD: { setting: Setting; text: string; value: unknown }[] = [
  { setting: TRAIN_SETTINGS.learningRate, text: '-1', value: -1 },
  { setting: TRAIN_SETTINGS.learningRate, text: '0', value: 0 },
  { setting: TRAIN_SETTINGS.learningRate, text: 'fast', value: 'fast' },
  { setting: TRAIN_SETTINGS.epochs, text: '0', value: 0 },
  { setting: TRAIN_SETTINGS.epochs, text: '2.5', value: 2.5 },
  { setting: TRAIN_SETTINGS.batchSize, text: '0', value: 0 },
  { setting: TRAIN_SETTINGS.patience, text: '0', value: 0 },
  { setting: TRAIN_SETTINGS.monitor, text: 'auc', value: 'auc' },
  { setting: TRAIN_SETTINGS.weightDecay, text: '-0.1', value: -0.1 },
  { setting: MODEL_SETTINGS.lambda, text: '-1', value: -1 },
  { setting: MODEL_SETTINGS.dropout, text: '0.95', value: 0.95 },
  { setting: MODEL_SETTINGS.embeddingDim, text: '0', value: 0 },
  { setting: MODEL_SETTINGS.activation, text: 'gelu', value: 'gelu' },
  { setting: MODEL_SETTINGS.hidden, text: '64,0', value: [64, 0] },
];

function request(setting: Setting, value: unknown) {
  const config: Record<string, unknown> = {};
  const [head, leaf] = setting.path.split('.');
  if (leaf) config[head] = { [leaf]: value };
  else config[head] = value;
  const group = Object.values(TRAIN_SETTINGS).includes(setting as never) ? 'trainConfig' : 'modelConfig';
  return { dataset: 'd', models: ['esmm'], [group]: config };
}

describe('every setting declared once', () => {
  it.each(BAD)(
    '$setting.label = $text: the CLI, the API, the form and the engine refuse it with one message',
    (bad) => {
      const message = checkSetting(bad.setting, bad.value)!;
      expect(message).toMatch(new RegExp(`^${bad.setting.label.replace(/[()λ]/g, '.')} must be`));
      // The typed text parses to the value the API would receive.
      expect(parseSetting(bad.setting, bad.text)).toEqual(bad.value);
      // CLI
      let cliError: unknown;
      try {
        settingsFrom({ [bad.setting.flag!]: bad.text });
      } catch (error) {
        cliError = error;
      }
      expect(cliError).toBeInstanceOf(UsageError);
      expect((cliError as Error).message).toBe(`--${bad.setting.flag}: ${message}`);
      // API
      expect(() => validateRequest('training.start', request(bad.setting, bad.value))).toThrow(message);
      // The Train view's form, its field typed with the same text
      const field = FORM_FIELDS.find((f) => f.setting === bad.setting)!;
      expect(fieldProblem(field, bad.text)).toBe(message);
      // Engine: the same check on a whole config
      const group = Object.values(TRAIN_SETTINGS).includes(bad.setting as never) ? 'train' : 'model';
      const config = request(bad.setting, bad.value)[group === 'train' ? 'trainConfig' : 'modelConfig'] as object;
      expect(settingProblems(group, config)).toEqual([message]);
    },
  );

  it('accepts auto and none where declared, and the defaults everywhere', () => {
    expect(checkSetting(TRAIN_SETTINGS.batchSize, 'auto')).toBeUndefined();
    expect(checkSetting(TRAIN_SETTINGS.weightDecay, 'auto')).toMatch(
      /weight decay must be a number from 0 to 1; got "auto"/,
    );
    expect(checkSetting(TRAIN_SETTINGS.patience, null)).toBeUndefined();
    expect(settingProblems('train', settingDefaults('train'))).toEqual([]);
    expect(settingProblems('model', settingDefaults('model'))).toEqual([]);
    expect(() =>
      validateRequest('training.start', { dataset: 'd', models: ['esmm'], trainConfig: { epochs: 'auto' } }),
    ).not.toThrow();
    expect(settingsFrom({ lr: 'auto', patience: 'none', hidden: '32,16', 'loss-weights': 'ctcvr=2' })).toEqual({
      modelConfig: { tower: { hidden: [32, 16] }, lossWeights: { ctcvr: 2 } },
      trainConfig: { learningRate: 'auto', patience: null },
    });
  });

  it('one --seed seeds both the weights and the shuffling', () => {
    expect(settingsFrom({ seed: '7' })).toEqual({ modelConfig: { seed: 7 }, trainConfig: { seed: 7 } });
  });

  it('the shared defaults are the declarations', () => {
    expect(DEFAULT_TRAIN_SETTINGS.batchSize).toBe('auto');
    expect(DEFAULT_TRAIN_SETTINGS.monitor).toBe('loss');
    expect(DEFAULT_MODEL_CONFIG.tower.hidden).toEqual(MODEL_SETTINGS.hidden.default);
    expect(DEFAULT_MODEL_CONFIG.constraint.lambda).toBe(MODEL_SETTINGS.lambda.default);
    expect(DEFAULT_MODEL_CONFIG.outputBias).toBe('base-rate');
  });
});

describe('auto training settings', () => {
  it('grow the batch with the square root of the rows and plan about 3,000 steps', () => {
    const grid = [1_000, 7_000, 24_000, 160_000, 1_000_000, 8_000_000].map((rows) => ({
      rows,
      ...autoTrainValues(rows),
    }));
    for (const { rows, batchSize, epochs, learningRate } of grid) {
      expect(Math.log2(batchSize) % 1).toBe(0);
      expect(batchSize).toBeGreaterThanOrEqual(128);
      expect(batchSize).toBeLessThanOrEqual(4096);
      expect(epochs).toBeGreaterThanOrEqual(3);
      expect(epochs).toBeLessThanOrEqual(50);
      expect(learningRate).toBeGreaterThanOrEqual(1e-3);
      expect(learningRate).toBeLessThanOrEqual(1e-2);
      const steps = epochs * Math.ceil(rows / batchSize);
      // Small data gets its steps from more epochs (up to the cap); large data from its rows, in 3 epochs or more.
      const stepsPerEpoch = Math.ceil(rows / batchSize);
      expect(steps).toBeGreaterThanOrEqual(Math.min(AUTO_TARGET_STEPS, AUTO_EPOCHS.max * stepsPerEpoch));
    }
    expect(grid.map((g) => g.batchSize)).toEqual([128, 128, 256, 512, 1024, 4096]);
  });

  it('resolve only what is auto, and record why', () => {
    const config = resolveTrainSettings({ batchSize: 512 }, 24_000);
    expect(config.batchSize).toBe(512);
    expect(config.learningRate).toBe(autoTrainValues(24_000, { batchSize: 512 }).learningRate);
    expect(Object.keys(config.auto ?? {}).sort()).toEqual(['epochs', 'learningRate', 'minSteps']);
    expect(config.auto!.epochs).toContain('47 steps an epoch');
    expect(config.maxSteps).toBeUndefined();
    expect(resolveTrainSettings({ maxSteps: 10 }, 24_000).maxSteps).toBe(10);
  });
});
