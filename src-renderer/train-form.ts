import type { AppInfo, ModelDescription, Params } from '../src-shared/api/index.js';

/** The Train view's form as typed: numbers from number inputs ('' when emptied), tower widths as text. */
export interface TrainForm {
  epochs: number | '';
  batchSize: number | '';
  learningRate: number | '';
  embeddingDim: number | '';
  /** "64, 32": one hidden width per tower layer. */
  hidden: string;
  lambda: number | '';
  /** Stop each model after this many steps; empty trains every epoch. */
  maxSteps: number | '' | null;
}

export function formFromDefaults(defaults: AppInfo['defaults']): TrainForm {
  return {
    epochs: defaults.train.epochs,
    batchSize: defaults.train.batchSize,
    learningRate: defaults.train.learningRate,
    embeddingDim: defaults.model.embeddingDim,
    hidden: defaults.model.tower.hidden.join(', '),
    lambda: defaults.model.constraint.lambda,
    maxSteps: null,
  };
}

export function towerWidths(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
}

/** The models that can train on a dataset: those needing an in-shop action label only when it has one. */
export function usableModels(chosen: string[], models: ModelDescription[], hasAction: boolean): string[] {
  return chosen.filter((name) => models.some((model) => model.name === name && (hasAction || !model.needsAction)));
}

const wholeIn = (value: number | '', low: number, high = Infinity) =>
  typeof value === 'number' && Number.isInteger(value) && value >= low && value <= high;

/** What stops the form from training, in words; empty when it can start. */
export function formProblems(form: TrainForm, dataset: string, models: string[]): string[] {
  const found: string[] = [];
  if (!dataset) found.push('import or simulate a dataset first (Data)');
  if (models.length === 0) found.push('pick at least one model that this dataset can train');
  const widths = towerWidths(form.hidden);
  if (widths.some((width) => !Number.isInteger(width) || width < 1 || width > 4096))
    found.push('tower widths must be whole numbers from 1 to 4096, e.g. "64, 32"');
  if (!wholeIn(form.epochs, 1, 1000)) found.push('epochs must be a whole number from 1 to 1000');
  if (!wholeIn(form.batchSize, 1)) found.push('batch size must be a whole number ≥ 1');
  if (!(typeof form.learningRate === 'number' && form.learningRate > 0 && form.learningRate <= 10))
    found.push('learning rate must be above 0 and at most 10');
  if (!wholeIn(form.embeddingDim, 1, 256)) found.push('embedding dim must be a whole number from 1 to 256');
  if (!(typeof form.lambda === 'number' && form.lambda >= 0)) found.push('λ must be 0 or more');
  if (form.maxSteps !== null && form.maxSteps !== '' && !wholeIn(form.maxSteps, 1))
    found.push('stop after steps must be a whole number ≥ 1, or empty');
  return found;
}

/** The training.start request for a form without problems. */
export function trainRequest(form: TrainForm, dataset: string, models: string[]): Params<'training.start'> {
  const number = (value: number | '') => Number(value);
  return {
    dataset,
    models,
    modelConfig: {
      embeddingDim: number(form.embeddingDim),
      tower: { hidden: towerWidths(form.hidden) },
      constraint: { lambda: number(form.lambda) },
    },
    trainConfig: {
      epochs: number(form.epochs),
      batchSize: number(form.batchSize),
      learningRate: number(form.learningRate),
      ...(typeof form.maxSteps === 'number' ? { maxSteps: form.maxSteps } : {}),
    },
  };
}
