import { describe, expect, it } from 'vitest';
import type { ModelDescription } from '../../src-shared/api/index.js';
import { DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_CONFIG } from '../../src-shared/types/index.js';
import {
  formFromDefaults,
  formProblems,
  trainRequest,
  usableModels,
  type TrainForm,
} from '../../src-renderer/train-form.js';

const defaults = { model: DEFAULT_MODEL_CONFIG, train: DEFAULT_TRAIN_CONFIG };

describe('the Train form', () => {
  it("starts from the lab's defaults", () => {
    expect(formFromDefaults(defaults)).toEqual({
      epochs: DEFAULT_TRAIN_CONFIG.epochs,
      batchSize: DEFAULT_TRAIN_CONFIG.batchSize,
      learningRate: DEFAULT_TRAIN_CONFIG.learningRate,
      embeddingDim: DEFAULT_MODEL_CONFIG.embeddingDim,
      hidden: DEFAULT_MODEL_CONFIG.tower.hidden.join(', '),
      lambda: DEFAULT_MODEL_CONFIG.constraint.lambda,
      maxSteps: null,
    });
  });

  it('builds the request the person set, with maxSteps only when given', () => {
    const form: TrainForm = { ...formFromDefaults(defaults), hidden: '16 8', epochs: 2, maxSteps: 30 };
    expect(trainRequest(form, 'sales', ['esmm', 'esmc'])).toEqual({
      dataset: 'sales',
      models: ['esmm', 'esmc'],
      modelConfig: {
        embeddingDim: DEFAULT_MODEL_CONFIG.embeddingDim,
        tower: { hidden: [16, 8] },
        constraint: { lambda: DEFAULT_MODEL_CONFIG.constraint.lambda },
      },
      trainConfig: {
        epochs: 2,
        batchSize: DEFAULT_TRAIN_CONFIG.batchSize,
        learningRate: DEFAULT_TRAIN_CONFIG.learningRate,
        maxSteps: 30,
      },
    });
    expect(trainRequest({ ...form, maxSteps: '' }, 'sales', ['esmm']).trainConfig).not.toHaveProperty('maxSteps');
  });

  it('says each problem in words, and none for a good form', () => {
    const good = formFromDefaults(defaults);
    expect(formProblems(good, 'sales', ['esmm'])).toEqual([]);
    const bad: TrainForm = {
      epochs: '',
      batchSize: 0,
      learningRate: 0,
      embeddingDim: 300,
      hidden: '64, x',
      lambda: -1,
      maxSteps: 2.5,
    };
    expect(formProblems(bad, '', [])).toEqual([
      'import or simulate a dataset first (Data)',
      'pick at least one model that this dataset can train',
      'tower widths must be whole numbers from 1 to 4096, e.g. "64, 32"',
      'epochs must be a whole number from 1 to 1000',
      'batch size must be a whole number ≥ 1',
      'learning rate must be above 0 and at most 10',
      'embedding dim must be a whole number from 1 to 256',
      'λ must be 0 or more',
      'stop after steps must be a whole number ≥ 1, or empty',
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
