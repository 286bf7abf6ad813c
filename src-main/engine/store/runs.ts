import { DOUBLE, INTEGER, VARCHAR } from '@duckdb/node-api';
import { GrowableArray } from '../data/growable-array.js';
import type { RunRecord } from '../run.js';
import { STAGES } from '../models/index.js';
import type { StageArrays } from '../train/predict.js';
import { appendRows } from './append.js';
import type { Project } from './project.js';
import { chunkColumns, type PartSelector } from './read.js';
import { literal, textList } from './sql.js';

/** Where a run's rows came from, when they came from the project store. */
export interface RunSource {
  dataset: string;
  split: string;
}

/** A run's per-row probabilities, keyed by the dataset's row ids. */
export interface RunPredictions {
  rowIds: Int32Array;
  stages: StageArrays;
}

/** Each stage's column in the `predictions` table. */
export const STAGE_COLUMNS: Record<(typeof STAGES)[number], string> = {
  ctr: 'ctr',
  avr: 'avr',
  cvr: 'cvr',
  ctavr: 'ctavr',
  ctcvr: 'ctcvr',
  buyGivenAction: 'buy_given_action',
  buyGivenNoAction: 'buy_given_no_action',
};

/** The run and its predictions in one transaction: an analyst never sees a run without its rows. */
export async function saveRun(
  project: Project,
  run: RunRecord,
  source: RunSource | null,
  predictions?: RunPredictions,
): Promise<void> {
  await project.transaction(async () => {
    await insertRun(project, run, source);
    if (predictions) await appendPredictions(project, run.id, predictions);
  });
}

/** saveRun's row of the `runs` table, inside a transaction the caller holds (whose predictions it wrote itself). */
export async function insertRun(project: Project, run: RunRecord, source: RunSource | null): Promise<void> {
  await project.run(
    `INSERT INTO runs (id, dataset, split, model, config, seed, data_sha256, backend, status, curves, metrics,
                         started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::TIMESTAMP, $13::TIMESTAMP)`,
    [
      run.id,
      source?.dataset ?? null,
      source?.split ?? null,
      run.model,
      JSON.stringify({
        model: run.modelConfig,
        training: run.trainConfig,
        data: run.data,
        parameters: run.parameters,
        ...(run.external && { external: run.external }),
      }),
      run.modelConfig?.seed ?? null,
      run.data.sha256,
      JSON.stringify(run.backend),
      run.status,
      JSON.stringify({
        curve: run.training.curve,
        epochs: run.training.epochs,
        epochsRun: run.training.epochsRun,
        bestEpoch: run.training.bestEpoch,
        samplesPerSecond: run.training.samplesPerSecond,
        threads: run.training.threads,
        stopReason: run.training.stopReason,
        baseRates: run.training.baseRates,
      }),
      // The verdict beside the metrics it was read from (one column; older runs have none).
      JSON.stringify({ ...run.metrics, learning: run.learning }),
      run.startedAt,
      new Date(Date.parse(run.startedAt) + run.durationMs).toISOString(),
    ],
  );
}

function appendPredictions(project: Project, runId: string, { rowIds, stages }: RunPredictions): Promise<void> {
  const columns = STAGES.map((stage) => stages[stage]);
  return appendRows(
    project,
    'predictions',
    [VARCHAR, INTEGER, ...columns.map(() => DOUBLE)],
    rowIds.length,
    (start, end) => [
      new Array<string>(end - start).fill(runId),
      Array.from(rowIds.subarray(start, end)),
      ...columns.map((values) =>
        values ? Array.from(values.subarray(start, end)) : new Array<null>(end - start).fill(null),
      ),
    ],
  );
}

/** A model that could not train: stored as a run with status 'failed', so reports can say what is missing. */
export interface FailedRun {
  id: string;
  model: string;
  startedAt: string;
  durationMs: number;
  error: string;
  modelConfig: NonNullable<RunRecord['modelConfig']>;
  trainConfig: NonNullable<RunRecord['trainConfig']>;
  backend: RunRecord['backend'] | null;
  /** What it trained before it failed: the loss curve and the epochs that ended. */
  partial?: PartialTraining;
}

/** A failed run's curves, as far as they went. */
export type PartialTraining = Pick<RunRecord['training'], 'curve' | 'epochs'>;

export async function saveFailedRun(project: Project, run: FailedRun, source: RunSource | null): Promise<void> {
  const curves = run.partial && {
    ...run.partial,
    epochsRun: run.partial.epochs.length,
    bestEpoch: null,
  };
  await project.run(
    `INSERT INTO runs (id, dataset, split, model, config, seed, backend, status, metrics, started_at, finished_at,
                       curves)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'failed', '{}', $8::TIMESTAMP, $9::TIMESTAMP, $10)`,
    [
      run.id,
      source?.dataset ?? null,
      source?.split ?? null,
      run.model,
      JSON.stringify({ model: run.modelConfig, training: run.trainConfig, error: run.error }),
      run.modelConfig.seed,
      run.backend && JSON.stringify(run.backend),
      run.startedAt,
      new Date(Date.parse(run.startedAt) + run.durationMs).toISOString(),
      curves ? JSON.stringify(curves) : null,
    ],
  );
}

export interface StoredRun {
  id: string;
  dataset: string | null;
  split: string | null;
  model: string;
  /** A RunRecord status, or 'failed' (saveFailedRun). */
  status: string;
  seed: number | null;
  /** ISO 8601, UTC. */
  startedAt: string;
  metrics: RunRecord['metrics'];
  /** Null only for a run that failed before its backend started. */
  backend: RunRecord['backend'];
  /** Did it learn? Absent for failed and cancelled runs and for runs of versions before the check. */
  learning?: RunRecord['learning'];
  /** Why a failed run failed. */
  error?: string;
  /** The SHA-256 of the file the run's data was imported from; null for a run that failed before it. */
  dataSha256: string | null;
  /** From its start to its end (stored or failed). */
  durationMs: number | null;
  /** The settings it trained with (a failed run's too); absent for an external run. */
  modelConfig?: RunRecord['modelConfig'];
  trainConfig?: RunRecord['trainConfig'];
  /** Where an external run's predictions came from (see ExternalSource); absent for a run the lab trained. */
  external?: RunRecord['external'];
  /** Epochs run and the epoch kept; absent for a failed run. */
  epochsRun?: number;
  bestEpoch?: number | null;
  /** What the analyst wrote on it. */
  name: string | null;
  tags: string[];
  notes: string;
}

/** What the analyst may write on a run; null or '' clears the name. */
export interface RunAnnotations {
  name?: string | null;
  tags?: string[];
  notes?: string;
}

const ISO = (column: string) => `strftime(${column}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

// The list reads only what a run table shows of the curves column; `readRun` reads the whole curves.
const RUN_COLUMNS = `id, dataset, split, model, status, seed, data_sha256, ${ISO('started_at')} AS started_at,
  ${ISO('finished_at')} AS finished_at, CAST(metrics AS VARCHAR) AS metrics, CAST(backend AS VARCHAR) AS backend,
  CAST(config AS VARCHAR) AS config, CAST(json_extract(curves, '$.epochsRun') AS INTEGER) AS epochs_run,
  CAST(json_extract(curves, '$.bestEpoch') AS INTEGER) AS best_epoch, name, tags, notes`;
const RUN_SELECT = `SELECT ${RUN_COLUMNS} FROM runs`;

function storedRun(row: Record<string, unknown>): StoredRun {
  const config = JSON.parse(String(row.config)) as {
    error?: string;
    model?: RunRecord['modelConfig'];
    training?: RunRecord['trainConfig'];
    external?: RunRecord['external'];
  };
  const { error, external } = config;
  const { learning, ...metrics } = JSON.parse(String(row.metrics ?? '{}')) as RunRecord['metrics'] & {
    learning?: RunRecord['learning'];
  };
  return {
    id: String(row.id),
    dataset: row.dataset === null ? null : String(row.dataset),
    split: row.split === null ? null : String(row.split),
    model: String(row.model),
    status: String(row.status),
    seed: row.seed === null ? null : Number(row.seed),
    dataSha256: row.data_sha256 === null ? null : String(row.data_sha256),
    startedAt: String(row.started_at),
    metrics,
    backend: JSON.parse(String(row.backend)) as RunRecord['backend'],
    ...(learning === undefined ? {} : { learning }),
    ...(error === undefined ? {} : { error }),
    durationMs:
      row.finished_at === null ? null : Date.parse(String(row.finished_at)) - Date.parse(String(row.started_at)),
    ...(config.model && { modelConfig: config.model }),
    ...(config.training && { trainConfig: config.training }),
    ...(external && { external }),
    ...(row.epochs_run === null ? {} : { epochsRun: Number(row.epochs_run) }),
    ...(row.status === 'failed' ? {} : { bestEpoch: row.best_epoch === null ? null : Number(row.best_epoch) }),
    name: row.name === null ? null : String(row.name),
    tags: Array.isArray(row.tags) ? row.tags.map(String) : [],
    notes: row.notes === null ? '' : String(row.notes),
  };
}

/** Writes the analyst's name, tags and notes on a run; false when the project has no such run. */
export async function annotateRun(project: Project, id: string, annotations: RunAnnotations): Promise<boolean> {
  const exists = await project.one(`SELECT 1 AS found FROM runs WHERE id = $1`, [id]);
  if (!exists) return false;
  const { name, tags, notes } = annotations;
  if (name !== undefined) await project.run(`UPDATE runs SET name = $2 WHERE id = $1`, [id, name || null]);
  if (tags !== undefined) await project.run(`UPDATE runs SET tags = ${textList(tags)} WHERE id = $1`, [id]);
  if (notes !== undefined) await project.run(`UPDATE runs SET notes = $2 WHERE id = $1`, [id, notes]);
  return true;
}

/** Deletes runs and every row of their predictions, all or nothing; returns how many runs there were. */
export async function deleteRuns(project: Project, ids: string[]): Promise<number> {
  return project.transaction(async () => {
    const list = `[${ids.map(literal).join(', ')}]`;
    const found = await project.one(`SELECT count(*) AS n FROM runs WHERE list_contains(${list}, id)`);
    await project.run(`DELETE FROM predictions WHERE list_contains(${list}, run_id)`);
    await project.run(`DELETE FROM runs WHERE list_contains(${list}, id)`);
    return Number(found?.n ?? 0);
  });
}

export async function listRuns(project: Project): Promise<StoredRun[]> {
  return (await project.all(`${RUN_SELECT} ORDER BY started_at, id`)).map(storedRun);
}

/**
 * One stored run with its whole record (configs, curves, metrics) as `trainRun` returned it; the record is null
 * for a failed run. Undefined when the project has no run with this id.
 */
export async function readRun(
  project: Project,
  id: string,
): Promise<(StoredRun & { record: RunRecord | null; partial?: PartialTraining }) | undefined> {
  const row = await project.one(`SELECT ${RUN_COLUMNS}, CAST(curves AS VARCHAR) AS curves FROM runs WHERE id = $1`, [
    id,
  ]);
  if (!row) return undefined;
  const run = storedRun(row);
  if (run.status === 'failed') {
    const partial = row.curves === null ? undefined : (JSON.parse(String(row.curves)) as PartialTraining);
    return { ...run, record: null, ...(partial ? { partial: { curve: partial.curve, epochs: partial.epochs } } : {}) };
  }
  const config = JSON.parse(String(row.config)) as {
    model?: RunRecord['modelConfig'];
    training?: RunRecord['trainConfig'];
    external?: RunRecord['external'];
    data: RunRecord['data'];
    parameters: number;
  };
  const curves = JSON.parse(String(row.curves)) as Partial<RunRecord['training']>;
  const epochs = curves.epochs ?? [];
  const record: RunRecord = {
    id: run.id,
    model: run.model,
    status: run.status as RunRecord['status'],
    startedAt: run.startedAt,
    durationMs: Date.parse(String(row.finished_at)) - Date.parse(run.startedAt),
    backend: run.backend,
    data: config.data,
    ...(config.model && { modelConfig: config.model }),
    ...(config.training && { trainConfig: config.training }),
    ...(config.external && { external: config.external }),
    parameters: config.parameters,
    training: {
      // Runs saved before these were stored: what the epochs still tell.
      epochsRun: curves.epochsRun ?? epochs.length,
      bestEpoch: curves.bestEpoch ?? null,
      curve: curves.curve ?? [],
      epochs,
      samplesPerSecond: curves.samplesPerSecond ?? NaN,
      ...(curves.threads !== undefined && { threads: curves.threads }),
      ...(curves.stopReason !== undefined && { stopReason: curves.stopReason }),
      ...(curves.baseRates !== undefined && { baseRates: curves.baseRates }),
    },
    metrics: run.metrics,
    ...(run.learning && { learning: run.learning }),
  };
  if (run.dataset !== null && run.split !== null)
    record.storedIn = { project: project.path, dataset: run.dataset, split: run.split };
  return { ...run, record };
}

/**
 * Every stored row of a run, ordered by row id, or only the rows of one part of a split of `dataset` (the
 * rows `readDataset` reads for the same part, in the same order); stages the model does not have are absent.
 */
export function readPredictions(
  project: Project,
  runId: string,
  part?: PartSelector & { dataset: string },
): Promise<RunPredictions> {
  return readStageRows(project, `(SELECT * FROM predictions WHERE run_id = ${literal(runId)})`, part);
}

/**
 * `readPredictions` of any relation with a `row_id` and the STAGE_COLUMNS, e.g. an imported file's rows before
 * they are stored. Streamed into typed arrays a chunk at a time: a materialized result and its columns as JS
 * numbers held a 1M-row part three times over (about 450 MB of RSS at the predictions import's peak).
 */
export async function readStageRows(
  project: Project,
  relation: string,
  part?: PartSelector & { dataset: string },
): Promise<RunPredictions> {
  const inPart = part
    ? `WHERE row_id IN (SELECT row_id FROM splits WHERE dataset = ${literal(part.dataset)}
         AND split = ${literal(part.split ?? 'random')} AND part = ${literal(part.part)})`
    : '';
  const result = await project.connection.stream(
    `SELECT row_id, ${Object.values(STAGE_COLUMNS)
      .map((c) => `CAST(${c} AS DOUBLE) AS ${c}`)
      .join(', ')}
     FROM ${relation} ${inPart} ORDER BY row_id`,
  );
  const rowIds = new GrowableArray((n) => new Int32Array(n));
  const values = STAGES.map(() => new GrowableArray((n) => new Float32Array(n)));
  // A stage the model does not have is NULL on every row.
  let present: boolean[] | undefined;
  for await (const columns of chunkColumns(result)) {
    present ??= STAGES.map((_, s) => columns[s + 1][0] !== null);
    for (const id of columns[0]) rowIds.push(id as number);
    STAGES.forEach((_, s) => {
      if (present![s]) for (const value of columns[s + 1]) values[s].push(value ?? NaN);
    });
  }
  const stages: Partial<Record<(typeof STAGES)[number], Float32Array>> = {};
  STAGES.forEach((stage, s) => {
    if (present?.[s]) stages[stage] = values[s].values;
  });
  return { rowIds: rowIds.values, stages: stages as StageArrays };
}
