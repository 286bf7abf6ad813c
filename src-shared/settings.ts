/**
 * Every setting an analyst can give a training, declared once: its default (or `auto`), bounds, choices and
 * help. The API's request schemas (contract.ts), the CLI's flags and help (src-main/cli), the Train view's form
 * and the engine's validation are derived from these declarations, so the three doors accept and refuse the
 * same values with the same words. Adding a hyper-parameter: a line here, its field in types/training.ts, and
 * the engine code that uses it.
 */

interface SettingBase {
  /** Where it lives in its config: 'batchSize', 'tower.hidden', 'constraint.lambda'. */
  path: string;
  /** The CLI flag without its dashes; absent for settings only the API takes. */
  flag?: string;
  /** As a person says it, in the form and in every message: "learning rate". */
  label: string;
  help: string;
  /** Shown in the Train view's form: 'basic' fields always, 'advanced' ones under "More settings". */
  form?: 'basic' | 'advanced';
}

export interface NumberSetting extends SettingBase {
  kind: 'integer' | 'number';
  min: number;
  /** The minimum itself is not allowed (a learning rate of 0). */
  minExclusive?: boolean;
  max: number;
  /** `auto`: the engine derives the value from the data (see resolveTrainSettings). */
  auto?: boolean;
  /** `none` (null): the setting is off, e.g. no early stopping. */
  none?: boolean;
  default: number | 'auto' | null;
}

export interface ChoiceSetting extends SettingBase {
  kind: 'choice';
  choices: readonly string[];
  default: string;
}

export interface ListSetting extends SettingBase {
  kind: 'integer-list';
  min: number;
  max: number;
  maxLength: number;
  default: number[];
}

/** Weights by name ("ctr=1,ctcvr=2"): which names exist depends on the model, so only the values are checked. */
export interface WeightsSetting extends SettingBase {
  kind: 'weights';
  min: number;
  max: number;
  default: Record<string, number>;
}

export type Setting = NumberSetting | ChoiceSetting | ListSetting | WeightsSetting;

export const TRAIN_SETTINGS = {
  epochs: {
    kind: 'integer',
    path: 'epochs',
    flag: 'epochs',
    label: 'epochs',
    min: 1,
    max: 1000,
    auto: true,
    default: 'auto',
    help: 'passes over the training rows at most (early stopping may end sooner); auto: enough for about 3,000 optimiser steps, from 3 to 50 (docs/training.md)',
    form: 'basic',
  },
  batchSize: {
    kind: 'integer',
    path: 'batchSize',
    flag: 'batch-size',
    label: 'batch size',
    min: 1,
    max: 1 << 20,
    auto: true,
    default: 'auto',
    help: 'rows per optimiser step; auto: 1.3 × √(training rows), a power of two from 128 to 4096',
    form: 'basic',
  },
  learningRate: {
    kind: 'number',
    path: 'learningRate',
    flag: 'lr',
    label: 'learning rate',
    min: 0,
    minExclusive: true,
    max: 10,
    auto: true,
    default: 'auto',
    help: "Adam's step size; auto: 0.01 × √(batch size / 256), scaled down below 32,000 training rows, from 0.001 to 0.01",
    form: 'basic',
  },
  weightDecay: {
    kind: 'number',
    path: 'weightDecay',
    flag: 'weight-decay',
    label: 'weight decay',
    min: 0,
    max: 1,
    default: 0,
    help: "L2 added to every gradient (PyTorch Adam's weight_decay)",
    form: 'advanced',
  },
  seed: {
    kind: 'integer',
    path: 'seed',
    flag: 'seed',
    label: 'seed',
    min: 0,
    max: 2 ** 31 - 1,
    default: 1,
    help: 'seeds the initial weights, dropout and the shuffling',
    form: 'basic',
  },
  monitor: {
    kind: 'choice',
    path: 'monitor',
    flag: 'monitor',
    label: 'early-stopping measure',
    choices: ['loss', 'cvr_auc'],
    default: 'loss',
    help: "what early stopping watches on the validation rows: loss (the model's own loss terms, smooth) or cvr_auc",
    form: 'advanced',
  },
  patience: {
    kind: 'integer',
    path: 'patience',
    flag: 'patience',
    label: 'patience',
    min: 1,
    max: 1000,
    none: true,
    default: 3,
    help: 'stop after this many epochs without a better validation measure; none trains every epoch (the best epoch is kept either way)',
    form: 'advanced',
  },
  minSteps: {
    kind: 'integer',
    path: 'minSteps',
    flag: 'min-steps',
    label: 'minimum steps',
    min: 0,
    max: 10_000_000,
    auto: true,
    default: 'auto',
    help: 'optimiser steps before early stopping may stop a model; auto: a third of the planned steps, at most 300',
    form: 'advanced',
  },
  maxSteps: {
    kind: 'integer',
    path: 'maxSteps',
    flag: 'max-steps',
    label: 'stop after steps',
    min: 1,
    max: 1_000_000_000,
    none: true,
    default: null,
    help: 'stop each model after this many optimiser steps (a quick look); none trains every epoch',
    form: 'advanced',
  },
  progressIntervalMs: {
    kind: 'integer',
    path: 'progressIntervalMs',
    label: 'progress interval',
    min: 0,
    max: 60_000,
    default: 250,
    help: 'minimum milliseconds between progress events, so a UI over IPC is not flooded',
  },
} as const satisfies Record<string, Setting>;

export const MODEL_SETTINGS = {
  embeddingDim: {
    kind: 'integer',
    path: 'embeddingDim',
    flag: 'embedding-dim',
    label: 'embedding dim',
    min: 1,
    max: 256,
    default: 8,
    help: 'width of each feature embedding',
    form: 'basic',
  },
  hidden: {
    kind: 'integer-list',
    path: 'tower.hidden',
    flag: 'hidden',
    label: 'tower widths',
    min: 1,
    max: 4096,
    maxLength: 8,
    default: [64, 32],
    help: 'hidden widths of every tower, e.g. 64,32',
    form: 'basic',
  },
  activation: {
    kind: 'choice',
    path: 'tower.activation',
    flag: 'activation',
    label: 'activation',
    choices: ['relu', 'tanh', 'sigmoid', 'elu', 'linear'],
    default: 'relu',
    help: 'activation of the hidden layers',
    form: 'advanced',
  },
  dropout: {
    kind: 'number',
    path: 'tower.dropout',
    flag: 'dropout',
    label: 'dropout',
    min: 0,
    max: 0.9,
    default: 0,
    help: 'share of hidden units dropped while training',
    form: 'advanced',
  },
  lambda: {
    kind: 'number',
    path: 'constraint.lambda',
    flag: 'lambda',
    label: 'λ (constraint)',
    min: 0,
    max: 1000,
    default: 0.01,
    help: 'weight of the esmc/esmg parameter constraint between the action and purchase towers',
    form: 'basic',
  },
  constraintLayers: {
    kind: 'choice',
    path: 'constraint.layers',
    flag: 'constraint-layers',
    label: 'constrained layers',
    choices: ['hidden', 'all'],
    default: 'hidden',
    help: 'which layers the constraint ties: the hidden ones, or the output layer too',
    form: 'advanced',
  },
  constraintDistance: {
    kind: 'choice',
    path: 'constraint.distance',
    flag: 'constraint-distance',
    label: 'constraint distance',
    choices: ['l2', 'cosine'],
    default: 'l2',
    help: 'squared L2 distance between the towers, or 1 − cosine similarity per layer',
    form: 'advanced',
  },
  constraintGradient: {
    kind: 'choice',
    path: 'constraint.gradient',
    flag: 'constraint-gradient',
    label: 'constraint gradient',
    choices: ['both', 'cvr-only'],
    default: 'both',
    help: 'pull both towers together, or only the purchase tower towards the action tower',
    form: 'advanced',
  },
  ipsMaxWeight: {
    kind: 'number',
    path: 'counterfactual.maxWeight',
    flag: 'ips-max-weight',
    label: 'largest IPS weight',
    min: 1,
    max: 1_000_000,
    default: 15,
    help: 'escm2-ips/escm2-dr/dcmt: the inverse propensity 1/pCTR of a clicked row is capped here (15 as in PaddleRec)',
    form: 'advanced',
  },
  ipsNormalise: {
    kind: 'choice',
    path: 'counterfactual.normalise',
    flag: 'ips-normalise',
    label: 'IPS normalisation',
    choices: ['exposures', 'self'],
    default: 'exposures',
    help: 'escm2-ips/escm2-dr/dcmt: weighted losses summed over the batch rows (unbiased) or over the weights (self-normalised)',
    form: 'advanced',
  },
  lossWeights: {
    kind: 'weights',
    path: 'lossWeights',
    flag: 'loss-weights',
    label: 'loss weights',
    min: 0,
    max: 1000,
    default: {},
    help: "weight of each loss term by name (ctr, cvr, ctavr, ctcvr, constraint, …), e.g. ctcvr=2; default 1 (aitm's calibrator 0.6, dcmt's twin 0.001)",
    form: 'advanced',
  },
  outputBias: {
    kind: 'choice',
    path: 'outputBias',
    flag: 'output-bias',
    label: 'output bias start',
    choices: ['base-rate', 'zero'],
    default: 'base-rate',
    help: "each tower's output bias starts at the logit of its stage's rate in the training rows, or at 0",
    form: 'advanced',
  },
  embedding: {
    kind: 'choice',
    path: 'embedding',
    flag: 'embedding',
    label: 'embedding table',
    choices: ['sparse', 'dense'],
    default: 'sparse',
    help: 'sparse: only the rows a batch touches are updated (lazy Adam); dense: the plain tfjs path',
    form: 'advanced',
  },
  seed: {
    kind: 'integer',
    path: 'seed',
    label: 'model seed',
    min: 0,
    max: 2 ** 31 - 1,
    default: 1,
    help: 'seeds the initial weights and dropout (the CLI and the form set it to the seed)',
  },
} as const satisfies Record<string, Setting>;

export type TrainSettingName = keyof typeof TRAIN_SETTINGS;
export type ModelSettingName = keyof typeof MODEL_SETTINGS;
export type SettingGroup = 'train' | 'model';

export const SETTINGS: Record<SettingGroup, Record<string, Setting>> = { train: TRAIN_SETTINGS, model: MODEL_SETTINGS };

// ---------------------------------------------------------------------------------------------------------
// Checking a value: the one message every door gives

function formatBound(value: number): string {
  if (value >= 1_000_000 && Number.isInteger(Math.log2(value))) return `2^${Math.log2(value)}`;
  return value.toLocaleString('en-US', { maximumFractionDigits: 10 });
}

/** What a setting accepts, in words: "a whole number from 1 to 1,000, or auto". */
export function allowedValues(setting: Setting): string {
  switch (setting.kind) {
    case 'integer':
    case 'number': {
      const what = setting.kind === 'integer' ? 'a whole number' : 'a number';
      const range = setting.minExclusive
        ? `above ${formatBound(setting.min)} and at most ${formatBound(setting.max)}`
        : `from ${formatBound(setting.min)} to ${formatBound(setting.max)}`;
      const extras = [setting.auto ? 'auto' : '', setting.none ? 'none' : ''].filter(Boolean);
      return `${what} ${range}${extras.length ? `, or ${extras.join(' or ')}` : ''}`;
    }
    case 'choice':
      return `one of ${setting.choices.join(', ')}`;
    case 'integer-list':
      return `up to ${setting.maxLength} whole numbers from ${formatBound(setting.min)} to ${formatBound(setting.max)}, separated by commas`;
    case 'weights':
      return `name=weight pairs with weights from ${formatBound(setting.min)} to ${formatBound(setting.max)}, e.g. ctcvr=2`;
  }
}

function shown(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (Array.isArray(value)) return value.map(shown).join(',');
  if (value !== null && typeof value === 'object')
    return Object.entries(value)
      .map(([name, weight]) => `${name}=${shown(weight)}`)
      .join(',');
  return JSON.stringify(value);
}

function inRange(setting: { min: number; max: number; minExclusive?: boolean }, value: number): boolean {
  return (setting.minExclusive ? value > setting.min : value >= setting.min) && value <= setting.max;
}

function acceptable(setting: Setting, value: unknown): boolean {
  switch (setting.kind) {
    case 'integer':
    case 'number':
      if (value === 'auto') return setting.auto === true;
      if (value === null) return setting.none === true;
      return (
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (setting.kind === 'number' || Number.isInteger(value)) &&
        inRange(setting, value)
      );
    case 'choice':
      return typeof value === 'string' && setting.choices.includes(value);
    case 'integer-list':
      return (
        Array.isArray(value) &&
        value.length <= setting.maxLength &&
        value.every((width) => typeof width === 'number' && Number.isInteger(width) && inRange(setting, width))
      );
    case 'weights':
      return (
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        Object.values(value).every((weight) => typeof weight === 'number' && inRange(setting, weight))
      );
  }
}

/** Undefined when the value is allowed; otherwise the message, e.g. "learning rate must be …; got -1". */
export function checkSetting(setting: Setting, value: unknown): string | undefined {
  if (acceptable(setting, value)) return undefined;
  return `${setting.label} must be ${allowedValues(setting)}; got ${shown(value)}`;
}

/** A value as typed (CLI flag, form field) turned into the setting's value; checked with checkSetting after. */
export function parseSetting(setting: Setting, text: string): unknown {
  const trimmed = text.trim();
  switch (setting.kind) {
    case 'integer':
    case 'number':
      if (trimmed === 'auto' && setting.auto) return 'auto';
      if ((trimmed === 'none' || trimmed === '') && setting.none) return null;
      return trimmed === '' || !Number.isFinite(Number(trimmed)) ? trimmed : Number(trimmed);
    case 'choice':
      return trimmed;
    case 'integer-list': {
      const parts = trimmed.split(/[\s,]+/).filter(Boolean);
      return parts.every((part) => Number.isFinite(Number(part))) ? parts.map(Number) : trimmed;
    }
    case 'weights': {
      const weights: Record<string, number> = {};
      for (const pair of trimmed.split(',').filter((p) => p.trim() !== '')) {
        const [name, weight, extra] = pair.split('=');
        if (!name?.trim() || weight === undefined || extra !== undefined || !Number.isFinite(Number(weight)))
          return trimmed;
        weights[name.trim()] = Number(weight);
      }
      return weights;
    }
  }
}

/** The text a form field or a help line shows for a value. */
export function formatSetting(setting: Setting, value: unknown): string {
  if (value === 'auto') return 'auto';
  if (value === null || value === undefined) return setting.kind === 'choice' ? '' : 'none';
  return shown(value).replace(/^"|"$/g, '');
}

// ---------------------------------------------------------------------------------------------------------
// Configs as nested objects

/** The value at a setting's path, e.g. config.tower.hidden. */
export function settingValue(config: object, setting: Setting): unknown {
  return setting.path
    .split('.')
    .reduce<unknown>(
      (node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      config,
    );
}

/** Every problem of a (partial) config of a group, each as "label must be …; got …"; absent values are fine. */
export function settingProblems(group: SettingGroup, config: object): string[] {
  return Object.values(SETTINGS[group]).flatMap((setting) => {
    const value = settingValue(config, setting);
    if (value === undefined) return [];
    const problem = checkSetting(setting, value);
    return problem ? [problem] : [];
  });
}

/** The group's defaults as one nested object. */
export function settingDefaults(group: SettingGroup): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const setting of Object.values(SETTINGS[group])) setAt(config, setting.path, structuredClone(setting.default));
  return config;
}

export function setAt(config: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = config;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** `base` with every value `overrides` sets, one nesting level deep (tower, constraint, counterfactual), neither changed. */
export function mergeSettings<T extends object>(base: T, overrides: object | undefined): T {
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) continue;
    const current = merged[key];
    const nested =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current !== null &&
      typeof current === 'object' &&
      !Array.isArray(current) &&
      key !== 'lossWeights';
    merged[key] = nested ? { ...current, ...value } : value;
  }
  return merged as unknown as T;
}

// ---------------------------------------------------------------------------------------------------------
// Auto: training sized to the data (docs/training.md gives the reasons and the grid that checks them)

/**
 * The batch grows with the square root of the training rows (×1.3, as a power of two): 128 rows at 16,000, 256 at
 * 40,000, 512 at 160,000. An epoch then has √rows/1.3 steps (about 150 at 40,000, 300 at 160,000), since what these
 * models learn they learn in their first pass, and larger data has more to learn in it.
 */
export const AUTO_BATCH_PER_ROOT_ROW = 1.3;
/** Steps a run plans for before early stopping: enough for every model of the family to converge on small data. */
export const AUTO_TARGET_STEPS = 3000;
export const AUTO_BATCH = { min: 128, max: 4096 } as const;
export const AUTO_EPOCHS = { min: 3, max: 50 } as const;
/**
 * Adam's step: 0.01 at batch 256 (with √ of the batch), and smaller on less data: below `fullFrom` training rows
 * a pass holds too few examples of each id for big steps, which then fit noise (docs/training.md).
 */
export const AUTO_LEARNING_RATE = { at256: 0.01, fullFrom: 32_000, min: 0.001, max: 0.01 } as const;
export const AUTO_MIN_STEPS = { share: 1 / 3, max: 300 } as const;

/** What `auto` resolves to for a training part of `trainRows` rows, with the reason in words. */
export function autoTrainValues(
  trainRows: number,
  chosen: { batchSize?: number; epochs?: number } = {},
): { batchSize: number; learningRate: number; epochs: number; minSteps: number; reasons: Record<string, string> } {
  const rows = Math.max(trainRows, 1);
  const rawBatch = 2 ** Math.round(Math.log2(Math.max(AUTO_BATCH_PER_ROOT_ROW * Math.sqrt(rows), 1)));
  const autoBatch = Math.min(AUTO_BATCH.max, Math.max(AUTO_BATCH.min, rawBatch));
  const batchSize = chosen.batchSize ?? autoBatch;
  const dataShare = Math.min(1, rows / AUTO_LEARNING_RATE.fullFrom);
  const learningRate = Math.min(
    AUTO_LEARNING_RATE.max,
    Math.max(AUTO_LEARNING_RATE.min, AUTO_LEARNING_RATE.at256 * Math.sqrt(batchSize / 256) * dataShare),
  );
  const stepsPerEpoch = Math.ceil(rows / batchSize);
  const autoEpochs = Math.min(AUTO_EPOCHS.max, Math.max(AUTO_EPOCHS.min, Math.ceil(AUTO_TARGET_STEPS / stepsPerEpoch)));
  const epochs = chosen.epochs ?? autoEpochs;
  const plannedSteps = epochs * stepsPerEpoch;
  const minSteps = Math.min(AUTO_MIN_STEPS.max, Math.round(plannedSteps * AUTO_MIN_STEPS.share));
  const count = (n: number) => n.toLocaleString('en-US');
  return {
    batchSize,
    learningRate: Number(learningRate.toPrecision(2)),
    epochs,
    minSteps,
    reasons: {
      batchSize: `${AUTO_BATCH_PER_ROOT_ROW} × √(${count(rows)} training rows), as a power of two from ${AUTO_BATCH.min} to ${AUTO_BATCH.max}`,
      learningRate:
        `${AUTO_LEARNING_RATE.at256} × √(batch ${batchSize} / 256)` +
        (dataShare < 1 ? ` × ${count(rows)} / ${count(AUTO_LEARNING_RATE.fullFrom)} training rows` : '') +
        `, from ${AUTO_LEARNING_RATE.min} to ${AUTO_LEARNING_RATE.max}`,
      epochs: `about ${count(AUTO_TARGET_STEPS)} steps at ${count(stepsPerEpoch)} steps an epoch, from ${AUTO_EPOCHS.min} to ${AUTO_EPOCHS.max} epochs`,
      minSteps: `a third of the ${count(plannedSteps)} planned steps, at most ${count(AUTO_MIN_STEPS.max)}`,
    },
  };
}
