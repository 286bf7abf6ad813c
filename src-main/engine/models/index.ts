import type { FeatureSchema } from '../data/dataset.js';
import { Aitm, aitmInfo } from './aitm.js';
import { Chain, chainInfo } from './chain.js';
import { Dcmt, dcmtInfo } from './dcmt.js';
import { Escm2Dr, escm2DrInfo } from './escm2-dr.js';
import { Escm2Ips, escm2IpsInfo } from './escm2-ips.js';
import { Esm2, esm2Info } from './esm2.js';
import { Esmc, esmcInfo } from './esmc.js';
import { Esmg, esmgInfo } from './esmg.js';
import { Esmm, esmmInfo } from './esmm.js';
import { Esms, esmsInfo } from './esms.js';
import type { EntireSpaceModel, ModelConfig, ModelInfo } from './model.js';
import { Naive, naiveInfo } from './naive.js';

type ModelClass = new (info: ModelInfo, schema: FeatureSchema, config: ModelConfig) => EntireSpaceModel;

/** The model family, in the order the UI and the CLI list it. Adding a model = one file + one line here. */
export const MODELS = {
  naive: [Naive, naiveInfo],
  esmm: [Esmm, esmmInfo],
  chain: [Chain, chainInfo],
  esm2: [Esm2, esm2Info],
  esmc: [Esmc, esmcInfo],
  esms: [Esms, esmsInfo],
  esmg: [Esmg, esmgInfo],
  aitm: [Aitm, aitmInfo],
  'escm2-ips': [Escm2Ips, escm2IpsInfo],
  'escm2-dr': [Escm2Dr, escm2DrInfo],
  dcmt: [Dcmt, dcmtInfo],
} as const satisfies Record<string, readonly [ModelClass, ModelInfo]>;

export type ModelName = keyof typeof MODELS;
export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];

export function isModelName(name: string): name is ModelName {
  return Object.hasOwn(MODELS, name);
}

export function modelInfo(name: ModelName): ModelInfo {
  return MODELS[name][1];
}

export function createModel(name: string, schema: FeatureSchema, config: ModelConfig): EntireSpaceModel {
  if (!isModelName(name)) throw new Error(`Unknown model "${name}"; choose one of ${MODEL_NAMES.join(', ')}`);
  const [Model, info] = MODELS[name];
  return new Model(info, schema, config);
}

export {
  DEFAULT_MODEL_CONFIG,
  STAGES,
  type EntireSpaceModel,
  type ModelConfig,
  type ModelInfo,
  type Stage,
  type StageProbabilities,
} from './model.js';
