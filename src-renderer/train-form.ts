import type {
  AppInfo,
  ModelConfigRequest,
  ModelDescription,
  ModelJobState,
  Params,
  RunSummary,
  TrainConfigRequest,
} from '../src-shared/api/index.js';
import type { TrainConfig, TrainResult } from '../src-shared/types/index.js';
import {
  checkSetting,
  formatSetting,
  MODEL_SETTINGS,
  parseSetting,
  setAt,
  settingValue,
  TRAIN_SETTINGS,
  type Setting,
  type SettingGroup,
} from '../src-shared/settings.js';

/**
 * The Train view's form, generated from the settings' declarations (src-shared/settings.ts): a field for every
 * setting with `form`, its text parsed with parseSetting and checked with checkSetting, so the form refuses what
 * the API and the CLI refuse, in the same words.
 */
export interface FormField {
  /** 'train.epochs', 'model.hidden': the field's key in a TrainForm. */
  key: string;
  group: SettingGroup;
  setting: Setting;
  /** The setting's label as a field's: "Learning rate". */
  label: string;
  /** What an empty field means ('auto', 'none'), shown in it while it is empty. */
  placeholder: string;
}

function fieldsOf(group: SettingGroup, settings: Record<string, Setting>, form: 'basic' | 'advanced'): FormField[] {
  return Object.entries(settings)
    .filter(([, setting]) => setting.form === form)
    .map(([name, setting]) => ({
      key: `${group}.${name}`,
      group,
      setting,
      // "learning rate" → "Learning rate"; "λ (constraint)" stays as it is.
      label: setting.label.replace(/^[a-z]/, (first) => first.toUpperCase()),
      placeholder: 'auto' in setting && setting.auto ? 'auto' : 'none' in setting && setting.none ? 'none' : '',
    }));
}

/** Always shown. The training's seed also seeds the model (as the CLI's --seed does): the form has one Seed. */
export const BASIC_FIELDS: FormField[] = [
  ...fieldsOf('train', TRAIN_SETTINGS, 'basic'),
  ...fieldsOf('model', MODEL_SETTINGS, 'basic'),
];
/** Under "More settings". */
export const ADVANCED_FIELDS: FormField[] = [
  ...fieldsOf('train', TRAIN_SETTINGS, 'advanced'),
  ...fieldsOf('model', MODEL_SETTINGS, 'advanced'),
];
export const FORM_FIELDS: FormField[] = [...BASIC_FIELDS, ...ADVANCED_FIELDS];

/** Every field's text as typed, by FormField.key. */
export type TrainForm = Record<string, string>;

/** A value as a field shows it: "auto", "none", "64, 32", "ctcvr=2". */
function fieldText(setting: Setting, value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  return formatSetting(setting, value);
}

/** The lab's defaults (app.info), field by field. */
export function formFromDefaults(defaults: AppInfo['defaults']): TrainForm {
  return Object.fromEntries(
    FORM_FIELDS.map((field) => [
      field.key,
      fieldText(field.setting, settingValue(defaults[field.group], field.setting)),
    ]),
  );
}

/** A field's text as its setting's value: an emptied `auto` field is auto, as its placeholder says. */
export function fieldValue(field: FormField, text: string | undefined): unknown {
  if ((text ?? '').trim() === '' && field.placeholder === 'auto') return 'auto';
  return parseSetting(field.setting, text ?? '');
}

/** The field's problem in the words every door uses ("learning rate must be …; got -1"), or undefined. */
export function fieldProblem(field: FormField, text: string | undefined): string | undefined {
  return checkSetting(field.setting, fieldValue(field, text));
}

/** Every field's problem, by key. */
export function settingProblems(form: TrainForm): Map<string, string> {
  const found = new Map<string, string>();
  for (const field of FORM_FIELDS) {
    const problem = fieldProblem(field, form[field.key]);
    if (problem) found.set(field.key, problem);
  }
  return found;
}

/** The models that can train on a dataset: those needing an in-shop action label only when it has one. */
export function usableModels(chosen: string[], models: ModelDescription[], hasAction: boolean): string[] {
  return chosen.filter((name) => models.some((model) => model.name === name && (hasAction || !model.needsAction)));
}

/** What stops a training besides the settings (settingProblems says those), in words; empty when it can start. */
export function formProblems(dataset: string, models: string[]): string[] {
  const found: string[] = [];
  if (!dataset) found.push('import or simulate a dataset first (Data)');
  if (models.length === 0) found.push('pick at least one model that this dataset can train');
  return found;
}

/** The form as the API's trainConfig and modelConfig; the one Seed seeds both the shuffling and the model. */
export function formSettings(form: TrainForm): { trainConfig: TrainConfigRequest; modelConfig: ModelConfigRequest } {
  const configs: Record<SettingGroup, Record<string, unknown>> = { train: {}, model: {} };
  for (const field of FORM_FIELDS) setAt(configs[field.group], field.setting.path, fieldValue(field, form[field.key]));
  if (configs.train.seed !== undefined) configs.model.seed = configs.train.seed;
  // Each value passed checkSetting, the API's own check, before a request is sent.
  return { trainConfig: configs.train as TrainConfigRequest, modelConfig: configs.model as ModelConfigRequest };
}

/** The training.start request for a form without problems. */
export function trainRequest(form: TrainForm, dataset: string, models: string[]): Params<'training.start'> {
  const { trainConfig, modelConfig } = formSettings(form);
  return { dataset, models, modelConfig, trainConfig };
}

/** The training.plan request: what the training would resolve `auto` to on this dataset. */
export function planRequest(form: TrainForm, dataset: string): Params<'training.plan'> {
  return { dataset, trainConfig: formSettings(form).trainConfig };
}

/** The train fields' problems only: the plan can be asked for as soon as these are fine. */
export function planBlocked(problems: Map<string, string>): boolean {
  return FORM_FIELDS.some((field) => field.group === 'train' && problems.has(field.key));
}

// ---------------------------------------------------------------------------------------------------------
// The plan in one line

export interface PlanPart {
  text: string;
  /** Set when the value was `auto`: how it was derived from the data. */
  auto?: string;
  /** What goes before it in the line: ' · ' between settings, ', ' inside one clause. */
  before?: string;
}

const count = (value: number) => value.toLocaleString('en-US');
const plural = (value: number, word: string) => `${count(value)} ${word}${value === 1 ? '' : 's'}`;

function rate(value: number): string {
  return value !== 0 && Math.abs(value) < 1e-4 ? value.toExponential() : String(Number(value.toPrecision(3)));
}

/** "Batch 64", "learning rate 0.001", "up to 31 epochs", "early stopping on validation loss after …". */
export function planParts(config: TrainConfig): PlanPart[] {
  const auto = config.auto ?? {};
  const parts: PlanPart[] = [
    { text: `Batch ${count(config.batchSize)}`, auto: auto.batchSize },
    { text: `learning rate ${rate(config.learningRate)}`, auto: auto.learningRate },
    { text: `up to ${plural(config.epochs, 'epoch')}`, auto: auto.epochs },
  ];
  if (config.maxSteps !== undefined) parts.push({ text: `stops after ${plural(config.maxSteps, 'step')}` });
  if (config.patience === null) {
    parts.push({ text: 'no early stopping' });
  } else {
    const measure = config.monitor === 'loss' ? 'validation loss' : 'validation CVR AUC';
    parts.push({ text: `early stopping on ${measure} after ${plural(config.patience, 'epoch')} without improvement` });
    if (config.minSteps > 0)
      parts.push({ text: `not before step ${count(config.minSteps)}`, auto: auto.minSteps, before: ', ' });
  }
  return parts.map((part, index) => ({
    text: part.text,
    ...(part.auto === undefined ? {} : { auto: part.auto }),
    ...(index === 0 ? {} : { before: part.before ?? ' · ' }),
  }));
}

export function planLine(config: TrainConfig): string {
  return planParts(config)
    .map((part) => `${part.before ?? ''}${part.text}`)
    .join('');
}

// ---------------------------------------------------------------------------------------------------------
// A model's state in the progress table

/** What the progress table needs of a model's live progress (stores/training.ts). */
export interface ProgressLike {
  state: ModelJobState;
  /** Why it failed. */
  error?: string;
  /** Set once the model's run is stored (a model cancelled before it started has none). */
  runId?: string;
  epoch: number;
  /** The epochs the training plans; early stopping may end it before. */
  plannedEpochs: number | null;
  epochs: { epoch: number; improved: boolean }[];
}

/** How a stored run's training ended, from its record (runs.get). */
export type TrainingOutcome = Pick<TrainResult, 'epochsRun' | 'bestEpoch' | 'stopReason'> & {
  status: RunSummary['status'];
};

/**
 * The model's state in words — waiting, training epoch N of M, storing, done, early-stopped or cancelled at
 * epoch N of M with the epoch it keeps, failed — and `detail`: the stop reason or the error. `outcome` is the
 * stored run's record once it is read; the epoch events stand in for it until then.
 */
export function modelState(progress: ProgressLike, outcome?: TrainingOutcome): { text: string; detail?: string } {
  const of = progress.plannedEpochs ? ` of ${progress.plannedEpochs}` : '';
  switch (progress.state) {
    case 'queued':
      return { text: 'waiting for a free worker' };
    case 'training':
      return { text: progress.epoch > 0 ? `training: epoch ${progress.epoch}${of}` : 'starting' };
    case 'storing':
      return { text: 'storing its run' };
    case 'failed':
      return { text: 'failed', ...(progress.error ? { detail: progress.error } : {}) };
  }
  const epochs = outcome?.epochsRun ?? progress.epochs.at(-1)?.epoch ?? 0;
  const kept = outcome ? outcome.bestEpoch : (progress.epochs.filter((epoch) => epoch.improved).at(-1)?.epoch ?? null);
  const keeping = kept !== null && kept !== epochs ? `, best epoch ${kept}` : '';
  const detail = outcome?.stopReason;
  if (progress.state === 'cancelled') {
    if (progress.runId === undefined) return { text: 'cancelled before it started' };
    if (epochs === 0) return { text: 'cancelled in its first epoch', detail: 'its curves are kept; no epoch to score' };
    return {
      text: `cancelled after epoch ${epochs}${of}${keeping}`,
      detail: `its numbers are those of epoch ${kept ?? epochs}`,
    };
  }
  if (outcome?.status === 'early-stopped')
    return { text: `early-stopped at epoch ${epochs}${of}${keeping}`, ...(detail ? { detail } : {}) };
  return { text: `done: ${plural(epochs, 'epoch')}${keeping}`, ...(detail ? { detail } : {}) };
}

/**
 * Seconds until the model has trained every planned step at its current speed; early stopping may end it
 * sooner. Null when it is not training or its speed is not known yet.
 */
export function secondsLeft(progress: {
  state: ModelJobState;
  rows: number | null;
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  plannedEpochs: number | null;
  maxSteps?: number;
  samplesPerSecond: number | null;
}): number | null {
  const { rows, stepsPerEpoch, plannedEpochs, samplesPerSecond } = progress;
  if (progress.state !== 'training' || !rows || !stepsPerEpoch || !plannedEpochs || !samplesPerSecond) return null;
  const planned = Math.min(progress.maxSteps ?? Infinity, plannedEpochs * stepsPerEpoch);
  const done = (progress.epoch - 1) * stepsPerEpoch + progress.step;
  return (Math.max(0, planned - done) * (rows / stepsPerEpoch)) / samplesPerSecond;
}

/** "45 s", "3 min 05 s", "1 h 02 min": a duration as the progress table shows it. */
export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
