import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { writeTextAtomically } from './files.js';
import { datasetColumn } from './importers/encoding.js';
import { stageRates } from './metrics/learning.js';
import {
  createModel,
  DEFAULT_MODEL_CONFIG,
  isModelName,
  MODEL_NAMES,
  modelInfo,
  STAGES,
  type ModelConfig,
} from './models/index.js';
import { saveModel } from './train/checkpoint.js';
import { resolveTrainSettings, type TrainConfig, type TrainSettings } from './train/trainer.js';
import type { DatasetInfo, Project } from './store/project.js';
import { countLabelsOf, schemaOf, type SplitPart } from './store/read.js';
import { STAGE_COLUMNS } from './store/runs.js';
import { ensureSplit } from './store/splits.js';
import { ident, literal } from './store/sql.js';
import type { FeatureSchema } from './data/dataset.js';
import { SPLIT_PARTS } from './data/split.js';
import { mergeSettings } from '../../src-shared/settings.js';
import type { Stage } from '../../src-shared/types/training.js';

/**
 * A dataset's split, its encoding and each model's configuration and initial weights, in files a cluster trainer
 * reads (python/esmc_torch; docs/cluster.md): the rows as Parquet parts, nothing of the project's own format.
 */
export const EXPORT_FORMAT = 'esmc-lab-export';
export const EXPORT_VERSION = 1;

/** A part is cut into files of about this size, so ranks and nodes can each read their own. */
const PART_FILE_BYTES = 256 * 1024 * 1024;

/** What `predictions` columns the lab reads back (import-predictions), per stage. */
export const PREDICTION_FILE_COLUMNS: Record<Stage, string> = Object.fromEntries(
  STAGES.map((stage) => [stage, `p_${STAGE_COLUMNS[stage]}`]),
) as Record<Stage, string>;

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  version: number;
  dataset: string;
  split: string;
  /** Where the dataset was imported from, and that file's SHA-256: the rows a prediction file must be of. */
  source: { path: string; sha256: string; rows: number };
  labels: ('click' | 'action' | 'purchase')[];
  schema: FeatureSchema;
  /** The Parquet column of each label and of each schema field, in schema order. */
  columns: {
    rowId: 'row_id';
    click: 'click';
    action?: 'action';
    purchase: 'purchase';
    userKey?: 'user_key';
    categorical: string[];
    multiHot: string[];
    dense: string[];
  };
  parts: Record<SplitPart, { rows: number; files: string[] }>;
  /** Each model's initial weights (the lab's model file) and training settings, every `auto` resolved. */
  models: Record<string, { file: string; training: TrainConfig }>;
  /** The layout `esmc-lab import-predictions` reads: a row id and one probability column per stage. */
  predictions: { rowId: 'row_id'; columns: Record<Stage, string> };
}

export interface ExportOptions {
  dataset: string;
  /** The split to export; default 'random', made as training makes it when missing. */
  split?: string;
  /** A folder that must not exist yet, or be empty. */
  out: string;
  models: string[];
  modelConfig?: Partial<ModelConfig>;
  trainConfig?: Partial<TrainSettings>;
  onStep?: (step: string) => void;
}

/**
 * Writes the export into a sibling folder and renames it to `out` at the end, so a failed or interrupted export
 * leaves no half-written folder where the analyst asked for one.
 */
export async function exportDataset(project: Project, options: ExportOptions): Promise<ExportManifest> {
  const out = resolve(options.out);
  await checkEmptyTarget(out);
  const info = await project.dataset(options.dataset);
  for (const name of options.models) {
    if (!isModelName(name)) throw new Error(`Unknown model "${name}"; choose from ${MODEL_NAMES.join(', ')}`);
    if (modelInfo(name).needsAction && (info.roles.action ?? []).length === 0)
      throw new Error(`${name} needs an in-shop action label, and dataset "${info.name}" has none`);
  }
  const split = await ensureSplit(project, info.name, options.split);
  const work = `${out}.partial-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(join(work, 'models'), { recursive: true });
  await mkdir(join(work, 'data'), { recursive: true });
  try {
    const parts = {} as ExportManifest['parts'];
    for (const part of SPLIT_PARTS) {
      options.onStep?.(`writing the ${part} part`);
      parts[part] = await writePart(project, info, split, part, work);
    }
    options.onStep?.('writing the models');
    const models: ExportManifest['models'] = {};
    const rates = stageRates(await countLabelsOf(project, info, { part: 'train', split }));
    const schema = schemaOf(info.encoding);
    for (const name of options.models) {
      const config = mergeSettings(DEFAULT_MODEL_CONFIG, options.modelConfig);
      const model = createModel(name, schema, config);
      try {
        if (config.outputBias === 'base-rate') model.startAtRates(rates);
        const training = resolveTrainSettings(options.trainConfig, parts.train.rows);
        const file = `models/${name}.esmclab`;
        await saveModel(join(work, file), model, info.encoding, { training, dataset: info.name, split });
        models[name] = { file, training };
      } finally {
        model.dispose();
      }
    }
    const hasAction = (info.roles.action ?? []).length > 0;
    const manifest: ExportManifest = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      dataset: info.name,
      split,
      source: { path: info.sourcePath, sha256: info.sha256, rows: info.rows },
      labels: hasAction ? ['click', 'action', 'purchase'] : ['click', 'purchase'],
      schema,
      columns: {
        rowId: 'row_id',
        click: 'click',
        ...(hasAction && { action: 'action' as const }),
        purchase: 'purchase',
        ...(info.roles.user && { userKey: 'user_key' as const }),
        categorical: info.encoding.categorical.map((field) => datasetColumn.categorical(field.name)),
        multiHot: (info.encoding.multiHot ?? []).map((field) => datasetColumn.multiHot(field.name)),
        dense: info.encoding.dense.map((field) => datasetColumn.dense(field.name)),
      },
      parts,
      models,
      predictions: { rowId: 'row_id', columns: PREDICTION_FILE_COLUMNS },
    };
    await writeTextAtomically(join(work, 'encoding.json'), JSON.stringify(info.encoding) + '\n');
    await writeTextAtomically(join(work, 'export.json'), JSON.stringify(manifest, null, 2) + '\n');
    await rm(out, { recursive: true, force: true });
    await rename(work, out);
    return manifest;
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

async function checkEmptyTarget(out: string): Promise<void> {
  const found = await stat(out).catch(() => undefined);
  if (!found) {
    await mkdir(dirname(out), { recursive: true });
    return;
  }
  if (!found.isDirectory()) throw new Error(`${out} exists and is not a folder; choose a new folder for the export`);
  if ((await readdir(out)).length > 0)
    throw new Error(`${out} is not empty; choose a new folder for the export (nothing there is overwritten)`);
}

/** One part's rows, by row id, as Parquet files of about PART_FILE_BYTES (bags as lists of ids, no padding). */
async function writePart(
  project: Project,
  info: DatasetInfo,
  split: string,
  part: SplitPart,
  work: string,
): Promise<{ rows: number; files: string[] }> {
  const { encoding, roles } = info;
  const column = (name: string) => `d.${ident(name)}`;
  const items = ['d.row_id', 'd.click::TINYINT AS click'];
  if ((roles.action ?? []).length > 0) items.push('d.action::TINYINT AS action');
  items.push('d.purchase::TINYINT AS purchase');
  if (roles.user) items.push('d.user_key');
  for (const field of encoding.categorical) items.push(column(datasetColumn.categorical(field.name)));
  for (const field of encoding.multiHot ?? []) items.push(column(datasetColumn.multiHot(field.name)));
  for (const field of encoding.dense)
    items.push(`${column(datasetColumn.dense(field.name))}::FLOAT AS ${ident(datasetColumn.dense(field.name))}`);
  const folder = join(work, 'data', part);
  await project.run(
    `COPY (SELECT ${items.join(', ')} FROM ${ident(info.tableName)} d
           JOIN splits s ON s.row_id = d.row_id AND s.dataset = ${literal(info.name)} AND s.split = ${literal(split)}
                        AND s.part = ${literal(part)}
           ORDER BY d.row_id)
     TO ${literal(folder)} (FORMAT parquet, FILE_SIZE_BYTES ${PART_FILE_BYTES}, FILENAME_PATTERN 'part-{i}')`,
  );
  const files = (await readdir(folder).catch(() => [] as string[]))
    .filter((file) => file.endsWith('.parquet'))
    .sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]))
    .map((file) => relative(work, join(folder, file)));
  const counted = await project.one(
    `SELECT count(*)::DOUBLE AS n FROM splits WHERE dataset = $1 AND split = $2 AND part = $3`,
    [info.name, split, part],
  );
  return { rows: Number(counted?.n ?? 0), files };
}
