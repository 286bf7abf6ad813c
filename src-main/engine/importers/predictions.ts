import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import { DataError } from '../data/errors.js';
import type { Finding } from '../data/encode.js';
import { checkDataFile } from '../files.js';
import { fileSha256 } from '../run.js';
import { scoreHeldOut, stageRates } from '../metrics/learning.js';
import { isModelName, STAGES } from '../models/index.js';
import type { RunRecord } from '../run.js';
import type { DatasetInfo, Project } from '../store/project.js';
import { countLabelsOf, readDataset, type SplitPart } from '../store/read.js';
import { insertRun, readStageRows, STAGE_COLUMNS } from '../store/runs.js';
import { ensureSplit, listSplits } from '../store/splits.js';
import { ident, literal, textList } from '../store/sql.js';
import { datasetColumn } from './encoding.js';
import { dropImportTables, IMPORT_DUCKDB_MEMORY } from './import.js';
import { dropStaged, IMPORT_DOOR, STAGE, stageDelimited, stageTyped } from './stage.js';
import { ImportError } from './validate.js';
import type { ExternalSource, Stage } from '../../../src-shared/types/training.js';

/**
 * Predictions made outside the lab (a production model, a cluster run) become an *external run*: its rows go to
 * the `predictions` table beside the lab's own runs, and every view, the PSC analysis and the report read them
 * the same way. A file is keyed by the dataset's row id, or by categorical columns whose values identify a row.
 */
export interface PredictionsImport {
  dataset: string;
  /** The split whose test (and validation) part the run is scored on; default 'random', made if missing. */
  split?: string;
  file: string;
  /** The file's name as the analyst knows it (an upload's original name); default `file`. */
  fileName?: string;
  /** The run's name wherever runs are listed; not a lab model's name (that would claim the lab trained it). */
  name: string;
  /** Key columns: default ['row_id']; or categorical columns of the dataset, together naming one row each. */
  keys?: string[];
  /** DuckDB's memory limit while it runs; default the import's. null: the caller sets it. */
  memoryLimit?: string | null;
  signal?: AbortSignal;
}

export interface PredictionsImportResult {
  run: RunRecord;
  /** Rows stored (every row of the file). */
  rows: number;
  findings: Finding[];
  seconds: number;
}

/** The stages that the metrics, the learning check and every view need; the others are optional. */
const SERVED: readonly Stage[] = ['ctr', 'cvr', 'ctcvr'];

/**
 * A header's stage, whatever its spelling: p_ctr, pCTR, ctr, p_buy_given_action, P(buy | action), p_buyGivenAction
 * (what `evaluate --predictions` writes).
 */
export function stageOfColumn(column: string): Stage | undefined {
  const plain = column.toLowerCase().replace(/[^a-z]/g, '');
  const aliases: Record<string, Stage> = {
    ctr: 'ctr',
    avr: 'avr',
    cvr: 'cvr',
    ctavr: 'ctavr',
    ctcvr: 'ctcvr',
    buygivenaction: 'buyGivenAction',
    buyaction: 'buyGivenAction',
    buygivennoaction: 'buyGivenNoAction',
    buynoaction: 'buyGivenNoAction',
  };
  return aliases[plain] ?? (plain.startsWith('p') ? aliases[plain.slice(1)] : undefined);
}

export async function importPredictions(
  project: Project,
  options: PredictionsImport,
): Promise<PredictionsImportResult> {
  const work = () => importWithin(project, options);
  return options.memoryLimit === null
    ? work()
    : project.withMemoryLimit(options.memoryLimit ?? IMPORT_DUCKDB_MEMORY, work);
}

/** The staged file's rows with their key resolved to a row id and each stage parsed: one relation to check and copy. */
const PARSED = 'esmc_predictions';
/** PARSED's rows as the `predictions` table stores them (derived stages computed): what is scored and inserted. */
const STORED = 'esmc_predictions_stored';

async function importWithin(project: Project, options: PredictionsImport): Promise<PredictionsImportResult> {
  const started = Date.now();
  const { file, signal } = options;
  const name = options.name.trim();
  if (name === '') throw new RangeError('the run needs a name (--name)');
  if (isModelName(name))
    throw new RangeError(
      `"${name}" is the name of a model the lab trains; name the imported run otherwise (e.g. "${name}-cluster")`,
    );
  const info = await project.dataset(options.dataset);
  const split = await ensureSplit(project, info.name, options.split);
  const interrupt = () => project.connection.interrupt();
  signal?.addEventListener('abort', interrupt);
  try {
    await dropImportTables(project);
    const { kind } = await checkDataFile(file, IMPORT_DOOR);
    const parquet = kind === 'parquet' || ['.parquet', '.pq'].includes(extname(file).toLowerCase());
    const staged = parquet ? await stageTyped(project, file, 'parquet') : await stageDelimited(project, file);
    const rowsAre = staged.rowsAre === 'rows' ? 'row' : 'line';
    const { columns } = staged;
    const keys = options.keys?.length ? options.keys : ['row_id'];
    const stages = stageColumns(file, columns, keys);
    await parse(project, info, file, columns, keys, stages);
    // PARSED holds every cell a message quotes: the file's copy is not read again, and its memory is freed now.
    await dropStaged(project);
    signal?.throwIfAborted();

    const findings = await validate(project, info, file, keys, stages, rowsAre);
    throwWithEvery(file, columns, findings, rowsAre);
    await checkCoverage(project, info, split, file);
    signal?.throwIfAborted();
    const derived = derivable(file, stages);
    const sha256 = await fileSha256(file);
    const rows = Number((await project.one(`SELECT count(*)::DOUBLE AS n FROM ${PARSED}`))?.n);
    const id = randomUUID();
    const startedAt = new Date(started).toISOString();
    const external: ExternalSource = {
      file: options.fileName ?? file,
      sha256,
      rows,
      keys,
      stages: STAGES.filter((stage) => stages.has(stage)),
      derived,
      lacks: STAGES.filter((stage) => !stages.has(stage) && !derived.includes(stage)),
    };
    await project.run(
      `CREATE TEMP VIEW ${STORED} AS
       SELECT row_id, ${STAGES.map((stage) => `${stageSql(stage, stages, derived)} AS ${STAGE_COLUMNS[stage]}`).join(', ')}
       FROM ${PARSED}`,
    );
    // Scored before the transaction: rows a transaction drops stay in memory until it ends, and the run's own
    // rows would be read back from its uncommitted insert (10M rows peaked at 1.5–2.2 GB of RSS that way).
    const scored = await score(project, info, split);
    signal?.throwIfAborted();
    const run = await project.transaction(async () => {
      const columns = ['row_id', ...Object.values(STAGE_COLUMNS)].join(', ');
      await project.run(
        `INSERT INTO predictions (run_id, ${columns}) SELECT ${literal(id)}, ${columns} FROM ${STORED}`,
      );
      signal?.throwIfAborted();
      const record: RunRecord = {
        id,
        model: name,
        status: 'completed',
        startedAt,
        durationMs: Date.now() - started,
        backend: { name: 'cpu', tfjsBackend: 'none', device: 'imported predictions', skipped: [] },
        data: {
          path: info.sourcePath,
          sha256: info.sha256,
          rows: info.rows,
          split: scored.partRows,
          findings: [],
        },
        external,
        parameters: 0,
        training: { epochsRun: 0, bestEpoch: null, curve: [], epochs: [], samplesPerSecond: NaN },
        metrics: scored.metrics,
        ...(scored.learning && { learning: scored.learning }),
      };
      await insertRun(project, record, { dataset: info.name, split });
      return record;
    }, signal);
    return { run, rows, findings, seconds: (Date.now() - started) / 1000 };
  } finally {
    signal?.removeEventListener('abort', interrupt);
    await dropImportTables(project);
  }
}

/** Each stage's column in the file; the key columns must be there, and at least one stage. */
function stageColumns(file: string, columns: string[], keys: string[]): Map<Stage, string> {
  const missing = keys.filter((key) => !columns.includes(key));
  if (missing.length > 0)
    throw new DataError(
      file,
      1,
      undefined,
      `no key column ${missing.map((k) => `"${k}"`).join(', ')}; the file's columns are ${columns.join(', ')}` +
        (keys.length === 1 && keys[0] === 'row_id' ? ' (name the key columns with --keys)' : ''),
    );
  const stages = new Map<Stage, string>();
  for (const [index, column] of columns.entries()) {
    const stage = keys.includes(column) ? undefined : stageOfColumn(column);
    if (!stage) continue;
    const earlier = stages.get(stage);
    if (earlier !== undefined)
      throw new DataError(file, 1, index + 1, `"${column}" and "${earlier}" are both ${stage} predictions`);
    stages.set(stage, column);
  }
  if (stages.size === 0)
    throw new DataError(
      file,
      1,
      undefined,
      `no prediction column; name them p_ctr, p_avr, p_cvr, p_ctavr, p_ctcvr, p_buy_given_action or p_buy_given_no_action (found ${columns.join(', ')})`,
    );
  return stages;
}

/** The served stages the file lacks but the chain gives: pCTCVR = pCTR·pCVR, pCVR = pCTCVR / pCTR. */
function derivable(file: string, stages: Map<Stage, string>): Stage[] {
  const has = (stage: Stage) => stages.has(stage);
  if (has('ctr') && has('cvr')) return has('ctcvr') ? [] : ['ctcvr'];
  if (has('ctr') && has('ctcvr')) return ['cvr'];
  const lacking = SERVED.filter((stage) => !has(stage));
  throw new DataError(
    file,
    1,
    undefined,
    `an external run needs pCTR with pCVR or pCTCVR (every view scores the served stages); the file has no ${lacking.map((s) => `p_${s}`).join(' or ')}`,
  );
}

const value = (stage: Stage) => ident(`v:${stage}`);

function stageSql(stage: Stage, stages: Map<Stage, string>, derived: Stage[]): string {
  if (stages.has(stage)) return value(stage);
  if (!derived.includes(stage)) return 'NULL::DOUBLE';
  return stage === 'ctcvr'
    ? `${value('ctr')} * ${value('cvr')}`
    : `CASE WHEN ${value('ctr')} > 0 THEN least(${value('ctcvr')} / ${value('ctr')}, 1) ELSE 0 END`;
}

/**
 * PARSED: each staged row's line, its key text and row id (null when no row has the key), and per stage the cell
 * and its number. Row ids are looked up directly; key columns through the dataset's vocabularies.
 */
async function parse(
  project: Project,
  info: DatasetInfo,
  file: string,
  columns: string[],
  keys: string[],
  stages: Map<Stage, string>,
): Promise<void> {
  const cells = [...stages].map(
    ([stage, column]) =>
      `s.${ident(column)} AS ${ident(`c:${stage}`)}, TRY_CAST(s.${ident(column)} AS DOUBLE) AS ${value(stage)}`,
  );
  const keyText = keys.map((key) => `coalesce(s.${ident(key)}, '')`).join(` || '|' || `);
  const missingKey = keys.map((key) => `trim(coalesce(s.${ident(key)}, '')) = ''`).join(' OR ');
  let rowId: string;
  let joins = '';
  if (keys.length === 1 && keys[0] === 'row_id' && !isCategorical(info, 'row_id')) {
    rowId = 'd.row_id';
    joins = ` LEFT JOIN ${ident(info.tableName)} d ON d.row_id = TRY_CAST(trim(s.row_id) AS INTEGER)`;
  } else {
    const fields = keys.map((key) => {
      const field = info.encoding.categorical.find((f) => f.name === key);
      if (!field || field.hashBuckets !== undefined)
        throw new DataError(
          file,
          1,
          columns.indexOf(key) + 1,
          `"${key}" is not a key the dataset can look up: ${field ? 'its values were hashed' : 'it is not a categorical column of the dataset'}; keys are row_id or categorical columns`,
        );
      return field;
    });
    // Each key value's id, then the one dataset row with all the ids (a key that is not unique there is refused).
    for (const [k, field] of fields.entries()) {
      await project.run(
        `CREATE TEMP TABLE esmc_key_${k} AS
         SELECT unnest(${textList(field.vocabulary)}) AS value, unnest(range(1, ${field.vocabulary.length + 1}))::INTEGER AS id`,
      );
      joins += ` LEFT JOIN esmc_key_${k} k${k} ON k${k}.value = s.${ident(field.name)}`;
    }
    const idColumns = fields.map((field) => ident(datasetColumn.categorical(field.name)));
    const ambiguous = await project.one(
      `SELECT count(*)::DOUBLE AS n, min(first)::DOUBLE AS row_id FROM (
         SELECT min(row_id) AS first FROM ${ident(info.tableName)} WHERE ${idColumns.map((c) => `${c} <> 0`).join(' AND ')}
         GROUP BY ${idColumns.join(', ')} HAVING count(*) > 1)`,
    );
    if (Number(ambiguous?.n) > 0)
      throw new DataError(
        file,
        1,
        undefined,
        `the keys ${keys.join(', ')} do not name one row each: ${Number(ambiguous?.n)} key values have several rows in "${info.name}" (e.g. row ${Number(ambiguous?.row_id)}); key the file by row_id`,
      );
    await project.run(
      `CREATE TEMP TABLE esmc_key_rows AS SELECT row_id, ${idColumns.map((c, k) => `${c} AS k${k}`).join(', ')}
       FROM ${ident(info.tableName)}`,
    );
    joins += ` LEFT JOIN esmc_key_rows r ON ${fields.map((_, k) => `r.k${k} = k${k}.id`).join(' AND ')}`;
    rowId = 'r.row_id';
  }
  await project.run(
    `CREATE TEMP TABLE ${PARSED} AS
     SELECT s.__line AS line, ${keyText} AS key, ${missingKey} AS key_missing, ${rowId} AS row_id, ${cells.join(', ')}
     FROM ${STAGE} s ${joins}`,
  );
}

function isCategorical(info: DatasetInfo, column: string): boolean {
  return info.encoding.categorical.some((field) => field.name === column);
}

/** Every kind of bad cell, counted with its first lines, in one scan (and one more for repeated keys). */
async function validate(
  project: Project,
  info: DatasetInfo,
  file: string,
  keys: string[],
  stages: Map<Stage, string>,
  rowsAre: 'line' | 'row',
): Promise<Finding[]> {
  const checks: { code: string; column?: string; where: string; message: (example: string, n: number) => string }[] = [
    {
      code: 'missing-key',
      column: keys[0],
      where: 'key_missing',
      message: (_, n) => `${count(n, rowsAre)} ${n === 1 ? 'has' : 'have'} no ${keys.join(', ')}`,
    },
    {
      code: 'unknown-key',
      column: keys[0],
      where: 'NOT key_missing AND row_id IS NULL',
      message: (example, n) =>
        `${keys.join(', ')} "${example}" names no row of dataset "${info.name}" (${count(n, rowsAre)} with unknown keys)`,
    },
  ];
  for (const [stage, column] of stages) {
    const cell = ident(`c:${stage}`);
    const v = value(stage);
    checks.push(
      {
        code: 'missing-probability',
        column,
        where: `${cell} IS NULL OR trim(${cell}) = ''`,
        message: (_, n) => `${count(n, rowsAre)} ${n === 1 ? 'has' : 'have'} no ${column}`,
      },
      {
        code: 'not-a-probability',
        column,
        where: `trim(${cell}) <> '' AND ${v} IS NULL`,
        message: (example, n) => `${column} "${example}" is not a number (${count(n, rowsAre)})`,
      },
      {
        code: 'nan-probability',
        column,
        where: `isnan(${v})`,
        message: (_, n) => `${column} is NaN (${count(n, rowsAre)})`,
      },
      {
        code: 'probability-out-of-range',
        column,
        where: `NOT isnan(${v}) AND (${v} < 0 OR ${v} > 1)`,
        message: (example, n) => `${column} ${example} is outside [0, 1] (${count(n, rowsAre)})`,
      },
    );
  }
  const exampleOf = (check: (typeof checks)[number]) =>
    check.code === 'unknown-key' || check.code === 'missing-key' ? 'key' : ident(`c:${stageOf(stages, check.column)}`);
  const row = await project.one(
    `SELECT ${checks
      .map(
        (check, i) =>
          `count(*) FILTER (WHERE ${check.where})::DOUBLE AS n${i}, min(line) FILTER (WHERE ${check.where})::DOUBLE AS line${i},
           arg_min(${exampleOf(check)}, line) FILTER (WHERE ${check.where}) AS example${i}`,
      )
      .join(', ')} FROM ${PARSED}`,
  );
  const findings: Finding[] = [];
  checks.forEach((check, i) => {
    const count = Number(row?.[`n${i}`] ?? 0);
    if (count === 0) return;
    findings.push({
      severity: 'error',
      code: check.code,
      column: check.column,
      count,
      exampleLines: [Number(row?.[`line${i}`])],
      message: check.message(String(row?.[`example${i}`] ?? ''), count),
    });
  });
  const repeated = await project.one(
    `SELECT count(*)::DOUBLE AS n, min(last)::DOUBLE AS line, arg_min(first, last)::DOUBLE AS first,
            arg_min(key, last) AS key
     FROM (SELECT arg_min(key, line) AS key, min(line) AS first, max(line) AS last FROM ${PARSED}
           WHERE row_id IS NOT NULL GROUP BY row_id HAVING count(*) > 1)`,
  );
  if (Number(repeated?.n) > 0)
    findings.push({
      severity: 'error',
      code: 'repeated-key',
      column: keys[0],
      count: Number(repeated?.n),
      exampleLines: [Number(repeated?.line)],
      message: `${keys.join(', ')} "${String(repeated?.key)}" is predicted again (first on ${rowsAre} ${Number(repeated?.first)}; ${count(Number(repeated?.n), 'key')} repeated)`,
    });
  findings.sort((a, b) => a.exampleLines[0] - b.exampleLines[0]);
  return findings;
}

/** The first bad line as the error's place, and every other kind of problem named in the same message. */
function throwWithEvery(file: string, columns: string[], findings: Finding[], rowsAre: string): void {
  const [first, ...others] = findings;
  if (!first) return;
  const column = first.column === undefined ? undefined : columns.indexOf(first.column) + 1 || undefined;
  const also = others.map((f) => `${rowsAre} ${f.exampleLines[0]}: ${f.message}`);
  const problem = also.length ? `${first.message}; also ${also.join('; ')}` : first.message;
  throw new ImportError(file, first.exampleLines[0], column, problem, findings);
}

const count = (n: number, noun: string) => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;

function stageOf(stages: Map<Stage, string>, column: string | undefined): Stage {
  for (const [stage, name] of stages) if (name === column) return stage;
  throw new Error(`no stage for column ${column}`);
}

/** Every test row needs a prediction (validation rows are scored when all of them have one). */
async function checkCoverage(project: Project, info: DatasetInfo, split: string, file: string): Promise<void> {
  const row = await project.one(
    `SELECT count(*)::DOUBLE AS n, min(s.row_id)::DOUBLE AS example FROM splits s
     WHERE s.dataset = ${literal(info.name)} AND s.split = ${literal(split)} AND s.part = 'test'
       AND NOT EXISTS (SELECT 1 FROM ${PARSED} p WHERE p.row_id = s.row_id)`,
  );
  const missing = Number(row?.n ?? 0);
  if (missing > 0)
    throw new DataError(
      file,
      0,
      undefined,
      `has no prediction for ${missing.toLocaleString('en-US')} rows of the test part of split "${split}" of "${info.name}" (e.g. row_id ${Number(row?.example)}): the run is scored on every test row`,
    );
}

/** Metrics and the learning check on the parts the file covers whole, as a trained run gets them. */
async function score(
  project: Project,
  info: DatasetInfo,
  split: string,
): Promise<ReturnType<typeof scoreHeldOut> & { partRows: Record<SplitPart, number> }> {
  const summary = (await listSplits(project, info.name)).find((s) => s.split === split)!;
  const partRows = summary.counts;
  const baseRates = stageRates(await countLabelsOf(project, info, { part: 'train', split }));
  const parts: Parameters<typeof scoreHeldOut>[0] = {};
  for (const part of ['validation', 'test'] as const) {
    if (partRows[part] === 0) continue;
    const { rowIds, stages } = await readStageRows(project, STORED, { dataset: info.name, split, part });
    if (rowIds.length !== partRows[part]) continue;
    const data = await readDataset(project, info.name, { part, split }, { truth: false });
    parts[part] = { predictions: stages, labels: data.labels, userIds: data.userIds };
  }
  return { ...scoreHeldOut(parts, baseRates), partRows };
}
