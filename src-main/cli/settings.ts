/**
 * The training settings as CLI flags: derived from their one declaration (src-shared/settings.ts), so a flag's
 * name, its help line and the message that refuses a bad value are the ones the API and the Train view use.
 */
import {
  checkSetting,
  formatSetting,
  MODEL_SETTINGS,
  parseSetting,
  setAt,
  TRAIN_SETTINGS,
  type Setting,
} from '../../src-shared/settings.js';
import type { ModelConfig, TrainSettings } from '../../src-shared/types/training.js';
import { UsageError, type Options, type Values } from './command.js';

const flagged = (settings: Record<string, Setting>) =>
  Object.values(settings).filter((setting): setting is Setting & { flag: string } => setting.flag !== undefined);

const TRAIN_FLAGS = flagged(TRAIN_SETTINGS);
const MODEL_FLAGS = flagged(MODEL_SETTINGS);

/** Every model and training flag, for the commands that train (train, psc, experiment). */
export const settingOptions: Options = Object.fromEntries(
  [...TRAIN_FLAGS, ...MODEL_FLAGS].map((setting) => [setting.flag, { type: 'string' }]),
);

function helpLine(setting: Setting & { flag: string }): string {
  const value = setting.kind === 'choice' ? setting.choices.join('|') : setting.kind === 'weights' ? 'T=W,…' : 'X';
  const extras = setting.kind === 'integer' || setting.kind === 'number' ? setting : undefined;
  const spelled = [value, extras?.auto ? 'auto' : '', extras?.none ? 'none' : ''].filter(Boolean).join('|');
  const flag = `  --${setting.flag} ${spelled}`;
  const text = `${setting.help}; default ${formatSetting(setting, setting.default) || 'none'}`;
  return flag.length < 26 ? `${flag.padEnd(26)}${text}` : `${flag}\n${' '.repeat(26)}${text}`;
}

export const settingsHelp = [
  '  --seed N                  seeds the initial weights, dropout and the shuffling; default 1',
  ...TRAIN_FLAGS.filter((setting) => setting.flag !== 'seed').map(helpLine),
  ...MODEL_FLAGS.map(helpLine),
].join('\n');

function read(setting: Setting & { flag: string }, text: string): unknown {
  const value = parseSetting(setting, text);
  const problem = checkSetting(setting, value);
  if (problem) throw new UsageError(`--${setting.flag}: ${problem}`);
  return value;
}

/**
 * The settings the flags give, and nothing else: what is not given keeps its default (or `auto`) downstream.
 * `--seed` seeds both the weights (modelConfig) and the shuffling (trainConfig), as the Train view's seed does.
 */
export function settingsFrom(values: Values): {
  modelConfig: Partial<ModelConfig>;
  trainConfig: Partial<TrainSettings>;
} {
  const modelConfig: Record<string, unknown> = {};
  const trainConfig: Record<string, unknown> = {};
  for (const setting of TRAIN_FLAGS) {
    const text = values[setting.flag];
    if (typeof text === 'string') setAt(trainConfig, setting.path, read(setting, text));
  }
  for (const setting of MODEL_FLAGS) {
    const text = values[setting.flag];
    if (typeof text === 'string') setAt(modelConfig, setting.path, read(setting, text));
  }
  if (trainConfig.seed !== undefined) modelConfig.seed = trainConfig.seed;
  return { modelConfig: modelConfig as Partial<ModelConfig>, trainConfig: trainConfig as Partial<TrainSettings> };
}
