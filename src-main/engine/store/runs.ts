import type { RunRecord } from '../run.js';
import { STAGES } from '../models/index.js';
import type { StageArrays } from '../train/predict.js';
import type { Project } from './project.js';

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

const STAGE_COLUMNS: Record<(typeof STAGES)[number], string> = {
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
        }),
        run.modelConfig.seed,
        run.data.sha256,
        JSON.stringify(run.backend),
        run.status,
        JSON.stringify({ curve: run.training.curve, epochs: run.training.epochs }),
        JSON.stringify(run.metrics),
        run.startedAt,
        new Date(Date.parse(run.startedAt) + run.durationMs).toISOString(),
      ],
    );
    if (predictions) await appendPredictions(project, run.id, predictions);
  });
}

async function appendPredictions(project: Project, runId: string, { rowIds, stages }: RunPredictions): Promise<void> {
  const appender = await project.connection.createAppender('predictions');
  const columns = STAGES.map((stage) => stages[stage]);
  for (let row = 0; row < rowIds.length; row++) {
    appender.appendVarchar(runId);
    appender.appendInteger(rowIds[row]);
    for (const values of columns) {
      if (values) appender.appendDouble(values[row]);
      else appender.appendNull();
    }
    appender.endRow();
  }
  appender.closeSync();
}

export interface StoredRun {
  id: string;
  dataset: string | null;
  split: string | null;
  model: string;
  status: string;
  seed: number | null;
  startedAt: string;
  metrics: RunRecord['metrics'];
  backend: RunRecord['backend'];
}

export async function listRuns(project: Project): Promise<StoredRun[]> {
  const rows = await project.all(
    `SELECT id, dataset, split, model, status, seed, CAST(started_at AS VARCHAR) AS started_at,
            CAST(metrics AS VARCHAR) AS metrics, CAST(backend AS VARCHAR) AS backend
     FROM runs ORDER BY started_at, id`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    dataset: row.dataset === null ? null : String(row.dataset),
    split: row.split === null ? null : String(row.split),
    model: String(row.model),
    status: String(row.status),
    seed: row.seed === null ? null : Number(row.seed),
    startedAt: String(row.started_at),
    metrics: JSON.parse(String(row.metrics)) as RunRecord['metrics'],
    backend: JSON.parse(String(row.backend)) as RunRecord['backend'],
  }));
}

/** Every stored row of a run, ordered by row id; stages the model does not have are absent. */
export async function readPredictions(project: Project, runId: string): Promise<RunPredictions> {
  const reader = await project.connection.runAndReadAll(
    `SELECT row_id, ${Object.values(STAGE_COLUMNS)
      .map((c) => `CAST(${c} AS DOUBLE) AS ${c}`)
      .join(', ')}
     FROM predictions WHERE run_id = $1 ORDER BY row_id`,
    [runId],
  );
  const columns = reader.getColumnsJS() as (number | null)[][];
  const rowIds = Int32Array.from(columns[0] as number[]);
  const stages: Partial<Record<(typeof STAGES)[number], Float32Array>> = {};
  STAGES.forEach((stage, s) => {
    const values = columns[s + 1];
    if (values.length > 0 && values[0] !== null) stages[stage] = Float32Array.from(values as number[]);
  });
  return { rowIds, stages: stages as StageArrays };
}
