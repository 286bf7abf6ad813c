/**
 * What the UI and the PDF report show of a project, as plain JSON built from the engine: datasets, runs,
 * results of runs compared on one part of their shared split, the PSC analysis, and per-row stage
 * probabilities queried in DuckDB. The service answers API calls with these; the report calls them directly.
 *
 * Keys: a ResultsView is keyed by run id throughout (metrics, intervals, curves, and the comparison's
 * modelA/modelB), since two runs may train the same model; a PscAnalysis is keyed by run label, the model's
 * name, or "model (id…)" when two compared runs share one (`runLabels`).
 */
import { rename, rm } from 'node:fs/promises';
import { partialPathFor } from '../engine/files.js';
import type { EncodedDataset } from '../engine/data/dataset.js';
import {
  analysePsc,
  truthOf,
  TRUTH_COLUMN_OF,
  type PscAnalysis,
  type PscInput,
  type SliceField,
} from '../engine/psc/index.js';
import type { DatasetInfo, Project, Row } from '../engine/store/project.js';
import { countLabelsOf, readDataset, type SplitPart } from '../engine/store/read.js';
import { listSplits } from '../engine/store/splits.js';
import { expectedParts, supportFindings } from '../engine/data/support.js';
import { resolveTrainSettings } from '../engine/train/trainer.js';
import { DEFAULT_SPLIT, hasResults } from '../../src-shared/types/index.js';
import { listRuns, readPredictions, readRun, STAGE_COLUMNS, type StoredRun } from '../engine/store/runs.js';
import { ident, literal } from '../engine/store/sql.js';
import { datasetColumn } from '../engine/importers/encoding.js';
import type { StageArrays } from '../engine/train/predict.js';
import type {
  DatasetDetail,
  DatasetSummary,
  DerivedColumn,
  ResultsView,
  RowsPage,
  RunDetail,
  RunSummary,
  StageRow,
  TrainingPlan,
  ValidParams,
} from '../../src-shared/api/contract.js';
import { runLabels } from '../../src-shared/charts/index.js';
import { STAGES, type Stage } from '../../src-shared/types/index.js';
import { invalid, notFound } from './errors.js';
import { computeResults, type ResultsInput } from './results.js';

export type ComparedPart = Exclude<SplitPart, 'train'>;

// ---------------------------------------------------------------------------------------------------------
// Datasets and runs

export function datasetSummary(info: DatasetInfo): DatasetSummary {
  return {
    name: info.name,
    sourcePath: info.sourcePath,
    format: info.format,
    sha256: info.sha256,
    rows: info.rows,
    importedAt: info.importedAt,
    funnel: info.profile.funnel,
    simulated: info.roles.truth.length > 0,
  };
}

/** The dataset, or a 'not-found' error naming the datasets the project has. */
export async function findDataset(project: Project, name: string): Promise<DatasetInfo> {
  const info = await project.findDataset(name);
  if (info) return info;
  const names = (await project.datasets()).map((d) => d.name);
  throw notFound(
    `no dataset "${name}" in this project; ${names.length ? `it has ${names.join(', ')}` : 'it has none'}`,
  );
}

export async function datasetDetail(project: Project, name: string): Promise<DatasetDetail> {
  const info = await findDataset(project, name);
  return { ...datasetSummary(info), roles: info.roles, findings: info.findings, profile: info.profile };
}

export function runSummary(run: StoredRun): RunSummary {
  return {
    id: run.id,
    model: run.model,
    status: run.status as RunSummary['status'],
    dataset: run.dataset,
    split: run.split,
    startedAt: run.startedAt,
    backend: run.backend,
    metrics: run.metrics,
    ...(run.learning === undefined ? {} : { learning: run.learning }),
    ...(run.error === undefined ? {} : { error: run.error }),
    durationMs: run.durationMs,
    modelConfig: run.modelConfig,
    trainConfig: run.trainConfig,
    ...(run.external && { external: run.external }),
    ...(run.epochsRun === undefined ? {} : { epochsRun: run.epochsRun }),
    ...(run.bestEpoch === undefined ? {} : { bestEpoch: run.bestEpoch }),
    name: run.name,
    tags: run.tags,
    notes: run.notes,
  };
}

export async function runSummaries(project: Project): Promise<RunSummary[]> {
  return (await listRuns(project)).map(runSummary);
}

export async function runDetail(project: Project, id: string): Promise<RunDetail> {
  const run = await readRun(project, id);
  if (!run) throw notFound(`no run "${id}" in this project`);
  const { record, partial, ...stored } = run;
  return { ...runSummary(stored), record, ...(partial ? { partial } : {}) };
}

/**
 * What training `dataset` would do: the settings with `auto` resolved against its training part (the stored
 * random split's, or the default split's share of the rows before one exists) and what its parts can support.
 */
export async function trainingPlan(
  project: Project,
  name: string,
  settings: ValidParams<'training.plan'>['trainConfig'],
): Promise<TrainingPlan> {
  const info = await findDataset(project, name);
  const stored = (await listSplits(project, info.name)).some((split) => split.split === 'random');
  const parts = stored
    ? Object.fromEntries(
        await Promise.all(
          (['train', 'validation', 'test'] as const).map(
            async (part) => [part, await countLabelsOf(project, info, { part, split: 'random' })] as const,
          ),
        ),
      )
    : expectedParts(await countLabelsOf(project, info), DEFAULT_SPLIT);
  const trainRows = Math.round(parts.train.rows);
  return {
    dataset: info.name,
    trainRows,
    splitStored: stored,
    config: resolveTrainSettings(settings, trainRows),
    findings: supportFindings(parts, { expected: !stored }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Runs compared on one part of their shared split

interface ComparedRuns {
  runs: StoredRun[];
  dataset: DatasetInfo;
  split: string;
}

/**
 * The runs by id, checked to be comparable: each exists, trained (a failed run has no predictions), and all
 * on the same stored split of the same dataset, so their rows line up.
 */
export async function comparedRuns(project: Project, runIds: string[]): Promise<ComparedRuns> {
  if (new Set(runIds).size !== runIds.length) throw invalid('runIds: a run is listed twice');
  const stored = await listRuns(project);
  const runs = runIds.map((id) => {
    const run = stored.find((r) => r.id === id);
    if (!run) throw notFound(`no run "${id}" in this project`);
    if (run.status === 'failed') throw invalid(`run ${id} (${run.model}) failed and has no predictions: ${run.error}`);
    if (!hasResults(run))
      throw invalid(`run ${id} (${run.model}) was cancelled before its first epoch ended and has no predictions`);
    if (run.dataset === null || run.split === null)
      throw invalid(`run ${id} (${run.model}) was trained on a file, not on a dataset of this project`);
    return run;
  });
  const sources = [...new Set(runs.map((run) => `${run.dataset}\u0000${run.split}`))];
  if (sources.length > 1) {
    const described = sources.map((source) => {
      const [dataset, split] = source.split('\u0000');
      const models = runs.filter((run) => run.dataset === dataset && run.split === split).map((run) => run.model);
      return `"${dataset}" split "${split}" (${models.join(', ')})`;
    });
    throw invalid(`runs compared together must share a dataset and split; these come from ${described.join(' and ')}`);
  }
  const dataset = await project.findDataset(runs[0].dataset!);
  if (!dataset) throw notFound(`the dataset "${runs[0].dataset}" of these runs is no longer in this project`);
  // Row ids are positions in the imported file: after importing another file under the same name they
  // point at other rows.
  const stale = runs.find((run) => run.dataSha256 !== dataset.sha256);
  if (stale)
    throw invalid(
      `run ${stale.id} (${stale.model}) was trained on an earlier import of "${dataset.name}" from another file; ` +
        'its rows no longer line up with the dataset',
    );
  return { runs, dataset, split: runs[0].split! };
}

interface LoadedPart extends ComparedRuns {
  part: ComparedPart;
  data: EncodedDataset;
  /** Per run id, on the rows of `data`, in its order. */
  stages: Record<string, StageArrays>;
}

async function loadPart(project: Project, runIds: string[], part: ComparedPart): Promise<LoadedPart> {
  const compared = await comparedRuns(project, runIds);
  const { dataset, split } = compared;
  const data = await readDataset(project, dataset.name, { part, split });
  const stages: Record<string, StageArrays> = {};
  for (const run of compared.runs) {
    const predictions = await readPredictions(project, run.id, { dataset: dataset.name, split, part });
    if (predictions.rowIds.length !== data.rows)
      throw invalid(
        `run ${run.id} (${run.model}) has predictions for ${predictions.rowIds.length} of the ${data.rows} ${part} rows; ` +
          `was "${dataset.name}" imported again after it trained?`,
      );
    stages[run.id] = predictions.stages;
  }
  return { ...compared, part, data, stages };
}

export interface ResultsViewOptions {
  /** Computes the view elsewhere (the service uses a worker thread); default computeResults here. */
  compute?: (input: ResultsInput) => Promise<ResultsView>;
}

/** Metrics, intervals, pairwise DeLong tests and curves of runs on one part (default test) of their split. */
export async function resultsView(
  project: Project,
  runIds: string[],
  part: ComparedPart = 'test',
  options: ResultsViewOptions = {},
): Promise<ResultsView> {
  const loaded = await loadPart(project, runIds, part);
  const input: ResultsInput = {
    dataset: loaded.dataset.name,
    part,
    runs: loaded.runs.map(runSummary),
    labels: loaded.data.labels,
    userIds: loaded.data.userIds,
    stages: loaded.stages,
  };
  return options.compute ? options.compute(input) : computeResults(input);
}

// ---------------------------------------------------------------------------------------------------------
// PSC analysis

/**
 * The categorical columns sliced by: every one but the user and item keys (ids whose values each hold a handful of
 * rows), fewest values first. A column of many values still reads well: the slices are its values with the most
 * clicks, the rest folded into "other" (gapBySlice), so a Taobao category column is sliced as well as a device.
 */
const MAX_SLICE_FIELDS = 4;

function sliceFields(info: DatasetInfo, data: EncodedDataset): SliceField[] {
  const { roles, encoding } = info;
  const fields = encoding.categorical.length;
  return encoding.categorical
    .map((field, index) => ({ field, index }))
    .filter(({ field }) => field.hashBuckets === undefined && field.vocabulary.length >= 2)
    .filter(({ field }) => field.name !== roles.user && field.name !== roles.item)
    .sort((a, b) => a.field.vocabulary.length - b.field.vocabulary.length)
    .slice(0, MAX_SLICE_FIELDS)
    .map(({ field, index }) => {
      const ids = new Int32Array(data.rows);
      for (let row = 0; row < data.rows; row++) ids[row] = data.categorical[row * fields + index];
      return { field: field.name, ids, vocabulary: field.vocabulary };
    });
}

export interface PscAnalysisOptions {
  signal?: AbortSignal;
  /** Runs the engine's analysis elsewhere (the service uses a worker thread); default analysePsc here. */
  analyse?: (input: PscInput, signal?: AbortSignal) => Promise<PscAnalysis>;
}

/**
 * The PSC analysis of runs on one part (default test) of their shared split: labels and stored predictions,
 * the truth columns the dataset has (all of the simulator's, or some), and slices by its low-cardinality
 * categorical columns.
 */
export async function pscAnalysisFor(
  project: Project,
  runIds: string[],
  part: ComparedPart = 'test',
  options: PscAnalysisOptions = {},
): Promise<PscAnalysis> {
  const { signal } = options;
  const loaded = await loadPart(project, runIds, part);
  signal?.throwIfAborted();
  const labels = runLabels(loaded.runs.map((run) => ({ runId: run.id, model: run.model })));
  const truth = loaded.data.truth;
  const input: PscInput = {
    labels: loaded.data.labels,
    stagesByModel: Object.fromEntries(loaded.runs.map((run) => [labels.get(run.id)!, loaded.stages[run.id]])),
    truth: truthOf(truth),
    slices: sliceFields(loaded.dataset, loaded.data),
    context: {
      learning: Object.fromEntries(loaded.runs.map((run) => [labels.get(run.id)!, run.learning])),
      dataset: loaded.dataset.profile.funnel.counts,
      part,
      splitKind: (await listSplits(project, loaded.dataset.name)).find((s) => s.split === loaded.split)?.kind,
    },
  };
  return options.analyse ? options.analyse(input, signal) : analysePsc(input);
}

// ---------------------------------------------------------------------------------------------------------
// Per-row stage probabilities, queried in DuckDB

/** The simulator's truth columns, by the stage each one is the true probability of. */
const TRUTH_BY_STAGE: Partial<Record<Stage, string>> = Object.fromEntries(
  STAGES.map((stage) => [stage, TRUTH_COLUMN_OF[stage]]),
);

const isStage = (key: string): key is Stage => (STAGES as readonly string[]).includes(key);

/** One query's FROM: the dataset's rows joined with each run's predictions, one alias p0, p1, … per run. */
function rowsRelation(compared: ComparedRuns): string {
  const joins = compared.runs.map(
    (run, i) => `JOIN predictions p${i} ON p${i}.run_id = ${literal(run.id)} AND p${i}.row_id = d.row_id`,
  );
  return `${ident(compared.dataset.tableName)} d ${joins.join(' ')}`;
}

function rowsSelect(compared: RowsOfRuns): string {
  const { roles } = compared.dataset;
  const items = ['d.row_id', 'd.click', hasAction(compared.dataset) ? 'd.action' : 'NULL AS action', 'd.purchase'];
  for (const [stage, column] of Object.entries(TRUTH_BY_STAGE))
    if (roles.truth.includes(column)) items.push(`d.${ident(datasetColumn.truth(column))} AS ${ident(`t:${stage}`)}`);
  compared.runs.forEach((_, i) => {
    for (const stage of STAGES) items.push(`p${i}.${STAGE_COLUMNS[stage]} AS ${ident(`${i}:${stage}`)}`);
  });
  for (const column of compared.derived) items.push(`${column.expression} AS ${ident(`d:${column.key}`)}`);
  return items.join(', ');
}

/** The stages a run's model predicts: the columns of its predictions that are not NULL. */
async function runStages(project: Project, runId: string): Promise<Stage[]> {
  const row = await project.one(
    `SELECT ${STAGES.map((stage) => `${STAGE_COLUMNS[stage]} IS NOT NULL AS ${ident(stage)}`).join(', ')}
     FROM predictions WHERE run_id = $1 LIMIT 1`,
    [runId],
  );
  return STAGES.filter((stage) => row?.[stage] === true);
}

/** A derived column as the query computes it. */
type DerivedSql = DerivedColumn & { expression: string };

/**
 * The derived columns of these runs: for each constrained run (pAVR without a purchase-after-action tower), its
 * pCVR minus the first chained run's full chain — compareEstimates' Δ, so the rows add up to the PSC view's
 * distribution — and, when the data has the true pCVR, each run's error against it.
 */
function derivedColumns(compared: ComparedRuns, stagesOf: Stage[][]): DerivedSql[] {
  const labels = runLabels(compared.runs.map((run) => ({ runId: run.id, model: run.model })));
  const has = (i: number, stage: Stage) => stagesOf[i].includes(stage);
  const columns: DerivedSql[] = [];
  const chained = compared.runs.findIndex((_, i) => has(i, 'avr') && has(i, 'buyGivenAction'));
  if (chained >= 0) {
    const h = `p${chained}`;
    const noAction = has(chained, 'buyGivenNoAction') ? ` + (1 - ${h}.avr) * ${h}.buy_given_no_action` : '';
    const chain = `(${h}.avr * ${h}.buy_given_action${noAction})`;
    compared.runs.forEach((run, i) => {
      if (!has(i, 'avr') || has(i, 'buyGivenAction')) return;
      columns.push({
        key: `gap:${run.id}`,
        label: `Δ ${labels.get(run.id)} − ${labels.get(compared.runs[chained].id)}`,
        about: `${labels.get(run.id)}'s pCVR minus ${labels.get(compared.runs[chained].id)}'s full chain (constrained − chained)`,
        expression: `p${i}.cvr - ${chain}`,
      });
    });
  }
  const trueCvr = TRUTH_BY_STAGE.cvr;
  if (trueCvr && compared.dataset.roles.truth.includes(trueCvr))
    compared.runs.forEach((run, i) => {
      if (!has(i, 'cvr')) return;
      columns.push({
        key: `error:${run.id}`,
        label: `${labels.get(run.id)} pCVR − true`,
        about: `${labels.get(run.id)}'s pCVR minus the simulator's true pCVR`,
        expression: `p${i}.cvr - d.${ident(datasetColumn.truth(trueCvr))}`,
      });
    });
  return columns;
}

/** The runs compared, with the stages each predicts (in the order of `runs`) and the derived columns they have. */
type RowsOfRuns = ComparedRuns & { stagesOf: Stage[][]; derived: DerivedSql[] };

async function withDerived(project: Project, runIds: string[]): Promise<RowsOfRuns> {
  const compared = await comparedRuns(project, runIds);
  const stagesOf = await Promise.all(compared.runs.map((run) => runStages(project, run.id)));
  return { ...compared, stagesOf, derived: derivedColumns(compared, stagesOf) };
}

function hasAction(info: DatasetInfo): boolean {
  return (info.roles.action ?? []).length > 0;
}

function stageRowOf(row: Row, compared: RowsOfRuns): StageRow {
  const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  const truth: Partial<Record<Stage, number>> = {};
  for (const stage of STAGES) {
    const value = numberOrNull(row[`t:${stage}`]);
    if (value !== null) truth[stage] = value;
  }
  const stages: StageRow['stages'] = {};
  compared.runs.forEach((run, i) => {
    const own: Partial<Record<Stage, number>> = {};
    for (const stage of STAGES) {
      const value = numberOrNull(row[`${i}:${stage}`]);
      if (value !== null) own[stage] = value;
    }
    stages[run.id] = own;
  });
  const derived = Object.fromEntries(
    compared.derived.map((column) => [column.key, numberOrNull(row[`d:${column.key}`])]),
  );
  return {
    rowId: Number(row.row_id),
    labels: { click: Number(row.click), action: numberOrNull(row.action), purchase: Number(row.purchase) },
    truth: Object.keys(truth).length > 0 ? truth : null,
    stages,
    ...(compared.derived.length ? { derived } : {}),
  };
}

/**
 * The SQL of a column key (see the contract: what rows sort by and ranges filter on), or an 'invalid-request'
 * naming `field` (sort.key, ranges.0.key).
 */
function columnExpression(key: string, compared: RowsOfRuns, field = 'sort.key'): string {
  const { runs, dataset } = compared;
  const derived = compared.derived.find((column) => column.key === key);
  if (derived) return derived.expression;
  if (key.startsWith('gap:') || key.startsWith('error:'))
    throw invalid(
      `${field}: "${key}" is not a derived column of these runs; they have ${compared.derived.map((c) => c.key).join(', ') || 'none'}`,
    );
  if (key === 'rowId') return 'd.row_id';
  if (key === 'click' || key === 'purchase') return `d.${key}`;
  if (key === 'action') {
    if (!hasAction(dataset)) throw invalid(`${field}: dataset "${dataset.name}" has no in-shop action label`);
    return 'd.action';
  }
  const [prefix, stage] = key.includes(':')
    ? [key.slice(0, key.lastIndexOf(':')), key.slice(key.lastIndexOf(':') + 1)]
    : [runs[0].id, key];
  if (isStage(stage)) {
    if (prefix === 'truth') {
      const column = TRUTH_BY_STAGE[stage];
      if (!column || !dataset.roles.truth.includes(column))
        throw invalid(`${field}: dataset "${dataset.name}" has no true ${stage}`);
      return `d.${ident(datasetColumn.truth(column))}`;
    }
    const index = runs.findIndex((run) => run.id === prefix);
    if (index < 0) throw invalid(`${field}: "${prefix}" is not one of the runs asked for`);
    // A stage the model does not have is NULL on every row: sorting by it would silently sort by nothing.
    if (!compared.stagesOf[index].includes(stage))
      throw invalid(`${field}: ${runs[index].model} (run ${runs[index].id}) has no ${stage}`);
    return `p${index}.${STAGE_COLUMNS[stage]}`;
  }
  throw invalid(
    `${field}: unknown key "${key}"; sort by a stage of the first run (${STAGES.join(', ')}), "<runId>:<stage>", ` +
      `"truth:<stage>", a label (click, action, purchase) or rowId`,
  );
}

function filterConditions(filter: ValidParams<'stages.rows'>['filter'], dataset: DatasetInfo): string[] {
  const conditions: string[] = [];
  if (!filter) return conditions;
  const needsAction = filter.action !== undefined || filter.pscOnly;
  if (needsAction && !hasAction(dataset))
    throw invalid(
      `filter.${filter.pscOnly ? 'pscOnly' : 'action'}: dataset "${dataset.name}" has no in-shop action label`,
    );
  for (const label of ['click', 'action', 'purchase'] as const)
    if (filter[label] !== undefined) conditions.push(`d.${label} = ${filter[label]}`);
  if (filter.pscOnly) conditions.push('d.click = 1 AND d.purchase = 1 AND d.action = 0');
  return conditions;
}

/** The FROM, WHERE and ORDER BY of a rows query: shared by a page and an export, so both select the same rows. */
async function rowsQuery(project: Project, params: Omit<ValidParams<'stages.export'>, 'format'>) {
  const compared = await withDerived(project, params.runIds);
  const { dataset, split } = compared;
  const part = params.part ?? 'test';
  const inPart = `d.row_id IN (SELECT row_id FROM splits WHERE dataset = ${literal(dataset.name)}
    AND split = ${literal(split)} AND part = ${literal(part)})`;
  const ranges = await Promise.all(
    (params.ranges ?? []).map(async (range, i) => {
      const expression = columnExpression(range.key, compared, `ranges.${i}.key`);
      return [
        ...(range.min === undefined ? [] : [`${expression} >= ${range.min}`]),
        ...(range.max === undefined ? [] : [`${expression} <= ${range.max}`]),
      ];
    }),
  );
  const where = [inPart, ...filterConditions(params.filter, dataset), ...ranges.flat()].join(' AND ');
  const order = params.sort
    ? `${columnExpression(params.sort.key, compared)} ${params.sort.descending ? 'DESC' : 'ASC'} NULLS LAST, d.row_id`
    : 'd.row_id';
  return { compared, from: rowsRelation(compared), where, order };
}

/**
 * A page of rows of one part (default test) with every compared run's stage probabilities and derived columns,
 * filtered and sorted in DuckDB: only the page crosses into JavaScript, whatever the dataset's size. Ties sort by
 * row id.
 */
export async function stageRows(project: Project, params: ValidParams<'stages.rows'>): Promise<RowsPage> {
  const { compared, from, where, order } = await rowsQuery(project, params);
  const total = await project.one(`SELECT count(*)::DOUBLE AS n FROM ${from} WHERE ${where}`);
  const rows = await project.all(
    `SELECT ${rowsSelect(compared)} FROM ${from} WHERE ${where}
     ORDER BY ${order} LIMIT ${params.limit} OFFSET ${params.offset}`,
  );
  return {
    derived: compared.derived.map(({ key, label, about }) => ({ key, label, about })),
    total: Number(total?.n ?? 0),
    offset: params.offset,
    rows: rows.map((row) => stageRowOf(row, compared)),
  };
}

/**
 * Writes every row the query selects to `out` (CSV with a header, or Parquet), in the query's order, with a
 * column per label, true probability, run stage ("esm2 cvr") and derived column. DuckDB streams the rows from
 * the store to the file, so any number of rows takes bounded memory. The file appears whole or not at all.
 */
export async function exportStageRows(
  project: Project,
  params: ValidParams<'stages.export'>,
  out: string,
): Promise<{ rows: number }> {
  const { compared, from, where, order } = await rowsQuery(project, params);
  const labels = runLabels(compared.runs.map((run) => ({ runId: run.id, model: run.model })));
  const { roles } = compared.dataset;
  const columns = ['d.row_id', 'd.click', ...(hasAction(compared.dataset) ? ['d.action'] : []), 'd.purchase'];
  for (const [stage, column] of Object.entries(TRUTH_BY_STAGE))
    if (roles.truth.includes(column))
      columns.push(`d.${ident(datasetColumn.truth(column))} AS ${ident(`true ${stage}`)}`);
  compared.runs.forEach((run, i) => {
    for (const stage of compared.stagesOf[i])
      columns.push(`p${i}.${STAGE_COLUMNS[stage]} AS ${ident(`${labels.get(run.id)} ${stage}`)}`);
  });
  for (const column of compared.derived) columns.push(`${column.expression} AS ${ident(column.label)}`);
  const partial = await partialPathFor(out);
  const format = params.format === 'csv' ? 'FORMAT CSV, HEADER' : 'FORMAT PARQUET';
  try {
    // COPY answers with the number of rows it wrote.
    const written = await project.one(
      `COPY (SELECT ${columns.join(', ')} FROM ${from} WHERE ${where} ORDER BY ${order}) TO ${literal(partial)} (${format})`,
    );
    await rename(partial, out);
    return { rows: Number(Object.values(written ?? {})[0] ?? 0) };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** One row with every compared run's stages and its feature values decoded back to what was imported. */
export async function stageRow(project: Project, runIds: string[], rowId: number): Promise<StageRow> {
  const compared = await withDerived(project, runIds);
  const { encoding } = compared.dataset;
  const featureColumns = [
    ...encoding.categorical.map((field) => datasetColumn.categorical(field.name)),
    ...(encoding.multiHot ?? []).map((field) => datasetColumn.multiHot(field.name)),
    ...encoding.dense.map((field) => datasetColumn.dense(field.name)),
  ];
  const row = await project.one(
    `SELECT ${rowsSelect(compared)}, d.source_line, ${featureColumns.map((c) => `d.${ident(c)}`).join(', ')}
     FROM ${rowsRelation(compared)} WHERE d.row_id = ${rowId}`,
  );
  if (!row) throw notFound(`dataset "${compared.dataset.name}" has no row ${rowId}`);
  const features: Record<string, string | number | null> = { 'source line': Number(row.source_line) };
  for (const field of encoding.categorical) {
    const id = Number(row[datasetColumn.categorical(field.name)]);
    features[field.name] =
      id === 0 ? null : field.hashBuckets !== undefined ? `bucket ${id}` : (field.vocabulary[id - 1] ?? null);
  }
  for (const field of encoding.multiHot ?? []) {
    const ids = (row[datasetColumn.multiHot(field.name)] as number[] | null) ?? [];
    features[field.name] = ids.map((id) => (id > 0 ? (field.vocabulary[id - 1] ?? '?') : '?')).join('|') || null;
  }
  for (const field of encoding.dense) {
    // Stored standardized, shown on the scale of the file. A missing value was stored as the mean (exactly 0)
    // and the dataset keeps no flag for it, so 0 shows as missing: showing the mean would invent a value the file
    // does not have. A value exactly at the mean is the rare exception; a constant column (std 1, set by the
    // encoding in place of 0) stores every value as 0 and keeps showing it.
    const stored = Number(row[datasetColumn.dense(field.name)]);
    const constant = field.std === 1;
    if (stored === 0 && !constant) {
      features[field.name] = null;
      continue;
    }
    const value = stored * field.std + field.mean;
    features[field.name] = field.log ? Math.expm1(value) : value;
  }
  return { ...stageRowOf(row, compared), features };
}
