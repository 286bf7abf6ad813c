import { basename, extname, resolve } from 'node:path';
import type { FeatureEncoding, Finding, FunnelPolicy } from '../data/encode.js';
import { guessRoles, rolesOfEncoding, withUserFeature, type ColumnRoles } from '../data/roles.js';
import { fileSha256 } from '../run.js';
import { CELLS } from '../store/column-stats.js';
import { profileRelation, type DatasetProfile } from '../store/profile.js';
import { ProjectError, type DatasetInfo, type Project } from '../store/project.js';
import { ident } from '../store/sql.js';
import { writeSplit, type SplitOptions, type SplitSummary } from '../store/splits.js';
import {
  encodeBags,
  encodeCategorical,
  encodedSelect,
  fitEncoding,
  keptLines,
  loadEncoding,
  KEPT,
} from './encoding.js';
import { stageSource, type ResolvedFormat, type SourceOptions, type StagedSource } from './formats.js';
import { readingStaged, STAGE } from './stage.js';
import { removeParsedCopies, type FileRead } from './parsed.js';
import { validateStaged } from './validate.js';

/** Rows the roles are guessed from: a thousand, fewer for a wide file (at most ROLE_SAMPLE_CELLS cells, 100 rows at least). */
const ROLE_SAMPLE_ROWS = 1000;
const ROLE_SAMPLE_CELLS = 200_000;
const roleSampleRows = (columns: number) =>
  Math.max(100, Math.min(ROLE_SAMPLE_ROWS, Math.floor(ROLE_SAMPLE_CELLS / Math.max(columns, 1))));

/**
 * DuckDB's memory while a file imports (ESMC_LAB_IMPORT_DUCKDB_MEMORY overrides it): what does not fit spills to
 * the project's temp folder, so an import of any size runs in bounded memory (docs/data.md, "Scale").
 */
export const IMPORT_DUCKDB_MEMORY = process.env.ESMC_LAB_IMPORT_DUCKDB_MEMORY || '1GB';

/** Points an import passes; `onStep` may throw (or the signal abort) at any of them, and nothing is kept. */
export type ImportStep = 'staged' | 'validated' | 'encoded' | 'profiled' | 'written';

/** What an import does first, and after each step it reaches: its progress in words, in order. */
export const IMPORT_FIRST = 'reading the file';
export const IMPORT_NEXT: Record<ImportStep, string> = {
  staged: 'checking the rows',
  validated: 'encoding',
  encoded: 'profiling',
  profiled: 'writing the dataset',
  written: 'done',
};

/** The progress of the read of the file, which the check of the rows starts with: the bytes read and the time left. */
export function readingProgress({ share, bytes, seconds }: FileRead): [number, string] {
  const [from, to] = [importFraction('staged'), importFraction('validated')];
  const left = share > 0.05 ? Math.round((seconds * (1 - share)) / share) : undefined;
  const words =
    `reading the file: ${sizeOf(share * bytes, bytes)}` +
    (left === undefined ? '' : left === 0 ? ', less than a second left' : `, about ${left} s left`);
  return [from + (to - from) * share, words];
}

/** "52 of 167 MB", "0.15 of 1.67 GB": `part` of `whole` bytes, in the whole's unit. */
function sizeOf(part: number, whole: number): string {
  const [unit, scale, digits] = whole >= 1e9 ? ['GB', 1e9, 2] : ['MB', 1e6, whole >= 1e7 ? 0 : 1];
  const amount = (bytes: number) => (bytes / scale).toFixed(digits);
  return `${amount(part)} of ${amount(whole)} ${unit}`;
}

/** The share of an import done once `step` is reached. */
export function importFraction(step: ImportStep): number {
  const steps = Object.keys(IMPORT_NEXT);
  return (steps.indexOf(step) + 1) / steps.length;
}

export interface ImportOptions extends SourceOptions {
  /** The dataset's name in the project; default the file name without its extension. */
  name?: string;
  /** Replaces a dataset of the same name (in the same transaction); otherwise that name is refused. */
  replace?: boolean;
  /** Replaces the suggested roles field by field. */
  roles?: Partial<ColumnRoles>;
  /** Categorical values and bag tokens seen fewer times than this share id 0. Default 1; at least 2 for the user feature. */
  minCount?: number;
  /** Hash these categorical columns into this many buckets (1..n, 0 missing) instead of listing their values. */
  hashBuckets?: Record<string, number>;
  /** Dense columns to log1p before standardizing. */
  logDense?: string[];
  /** Default 'drop', as public Ali-CCP loaders do. */
  funnelPolicy?: FunnelPolicy;
  /** Encode with this (e.g. another dataset's) encoding instead of fitting one; it fixes the feature columns. */
  encoding?: FeatureEncoding;
  /** Top values per column in the profile. Default 5. */
  topK?: number;
  signal?: AbortSignal;
  onStep?: (step: ImportStep) => void | Promise<void>;
  /** How far the import is, in words: at the start, at each step, and while the file is read, the bytes read. */
  onProgress?: (fraction: number, words: string) => void;
  /** How often `onProgress` hears how far the read of the file is; default every 500 ms. */
  progressEveryMs?: number;
  /** A split stored with the dataset, in its transaction: an interrupted import leaves neither. */
  split?: Omit<SplitOptions, 'signal'>;
  /**
   * DuckDB's memory limit while it runs, e.g. '2GB'; default IMPORT_DUCKDB_MEMORY. null: the caller sets it (the
   * app's jobs share one limit, see TrainingMemoryCap).
   */
  memoryLimit?: string | null;
}

export interface ImportResult {
  dataset: DatasetInfo;
  format: ResolvedFormat;
  findings: Finding[];
  profile: DatasetProfile;
  seconds: number;
  /** The split stored with it, when one was asked for. */
  split?: SplitSummary;
}

/**
 * Imports a file into the project: stage it as text in DuckDB, suggest and apply roles, validate, encode and
 * profile it, and write the dataset row and its table in one transaction. The rows never pass through
 * JavaScript. Bad data throws a DataError (an ImportError with every finding when validation found it);
 * an error or abort at any point leaves the project as it was.
 */
export async function importDataset(
  project: Project,
  file: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const work = () => importWithin(project, file, options);
  return options.memoryLimit === null
    ? work()
    : project.withMemoryLimit(options.memoryLimit ?? IMPORT_DUCKDB_MEMORY, work);
}

async function importWithin(project: Project, file: string, options: ImportOptions): Promise<ImportResult> {
  const started = Date.now();
  const { signal } = options;
  const minCount = options.minCount ?? 1;
  if (!Number.isInteger(minCount) || minCount < 1)
    throw new RangeError(`minCount must be an integer ≥ 1, got ${minCount}`);
  for (const [name, buckets] of Object.entries(options.hashBuckets ?? {}))
    if (!Number.isInteger(buckets) || buckets < 1)
      throw new RangeError(`hashBuckets.${name} must be an integer ≥ 1, got ${buckets}`);
  if (options.encoding && (options.roles?.categorical || options.roles?.multiHot || options.roles?.dense))
    throw new Error('the reused encoding fixes the categorical, multi-hot and dense columns; leave those roles unset');
  const name = options.name ?? basename(file, extname(file));
  const existing = await project.findDataset(name);
  if (existing && !options.replace)
    throw new ProjectError(`the project already has a dataset "${name}"; choose another name or replace it`);
  const step = async (reached: ImportStep) => {
    signal?.throwIfAborted();
    await options.onStep?.(reached);
    options.onProgress?.(importFraction(reached), IMPORT_NEXT[reached]);
    signal?.throwIfAborted();
  };
  options.onProgress?.(0, IMPORT_FIRST);
  const interrupt = () => project.connection.interrupt();
  signal?.addEventListener('abort', interrupt);
  try {
    signal?.throwIfAborted();
    await dropImportTables(project);
    // The checksum reads the file only once staging has checked it (a missing file, a pipe that would block the
    // read forever): its own open error would otherwise win the race with the check's clearer words.
    const source = await stageSource(project, file, options);
    // The checksum reads the file beside the checks, and is awaited only where the dataset row is written.
    const checksum = fileSha256(file);
    checksum.catch(() => undefined);
    await step('staged');

    const settled = await settleRoles(project, source, options);
    const { roles } = settled;
    const logDense = options.encoding
      ? options.encoding.dense.filter((field) => field.log).map((field) => field.name)
      : (options.logDense ?? []);
    const { findings, numbers, bags, twins } = await validateStaged(
      { project, file, columns: settled.columns, roles, cells: source.cells, ordered: source.ordered },
      source.findings,
      {
        funnelPolicy: options.funnelPolicy ?? 'drop',
        logDense,
        reading: options.onProgress && {
          onRead: (read) => options.onProgress!(...readingProgress(read)),
          everyMs: options.progressEveryMs,
        },
      },
    );
    await step('validated');

    const hasAction = (roles.action ?? []).length > 0;
    let encoding: FeatureEncoding;
    if (options.encoding) {
      encoding = options.encoding;
      await loadEncoding(project, encoding);
    } else
      encoding = await fitEncoding(project, roles, {
        minCount,
        hashBuckets: options.hashBuckets,
        logDense,
        numbers,
        bags,
      });
    const lines = await keptLines(project);
    await encodeCategorical(project, encoding);
    await encodeBags(project, encoding, lines);
    await step('encoded');

    // Validation counted the categorical values (VALUES) and summarized the numbers the profile reads.
    const profile = await profileRelation(project, KEPT, withUserFeature(roles), hasAction, {
      topK: options.topK,
      valuesCounted: true,
      numbers: numbers.raw,
      bags,
    });
    await step('profiled');

    const sha256 = await checksum;
    const written = await project.transaction(async () => {
      if (existing) {
        await project.run(`DROP TABLE ${ident(existing.tableName)}`);
        await project.run('DELETE FROM splits WHERE dataset = $1', [name]);
        await project.run('DELETE FROM split_info WHERE dataset = $1', [name]);
        await project.run('DELETE FROM datasets WHERE id = $1', [existing.id]);
      }
      const id = Number((await project.one(`SELECT nextval('dataset_ids')::INTEGER AS id`))!.id);
      const tableName = `dataset_${id}`;
      await project.run(`CREATE TABLE ${ident(tableName)} AS ${encodedSelect(encoding, hasAction, lines, twins)}`);
      await project.run(`INSERT INTO datasets VALUES ($1, $2, $3, $4, $5, $6, $7, $8::TIMESTAMP, $9, $10, $11, $12)`, [
        id,
        name,
        tableName,
        resolve(file),
        source.format,
        sha256,
        profile.rows,
        new Date().toISOString(),
        JSON.stringify(roles),
        JSON.stringify(encoding),
        JSON.stringify(findings),
        JSON.stringify(profile),
      ]);
      const split = options.split && (await writeSplit(project, name, { ...options.split, signal }));
      await step('written');
      return { dataset: await project.dataset(name), split };
    }, signal);
    return {
      dataset: written.dataset,
      format: source.format,
      findings,
      profile,
      seconds: (Date.now() - started) / 1000,
      ...(written.split ? { split: written.split } : {}),
    };
  } finally {
    signal?.removeEventListener('abort', interrupt);
    await dropImportTables(project);
  }
}

/** A staged file's columns, its first rows as text, and its roles: as suggested, and with the user's overrides. */
export interface SettledRoles {
  columns: string[];
  /** The first rows (at most 1000, fewer for a wide file), each cell as text ('' for missing): what the roles are guessed from. */
  sample: string[][];
  /** The guess every command makes, adjusted to the staged file (or the reused encoding's roles). */
  suggested: ColumnRoles;
  /** `suggested` with `options.roles` applied field by field. */
  roles: ColumnRoles;
}

/**
 * Suggests the roles of the staged file (STAGE) from its first rows, and applies the user's overrides: a column
 * named as a label or timestamp leaves the suggested feature lists; a reused encoding fixes the features.
 */
export async function settleRoles(
  project: Project,
  source: StagedSource,
  options: Pick<ImportOptions, 'roles' | 'encoding'> = {},
): Promise<SettledRoles> {
  const columns = (await project.all(`DESCRIBE ${STAGE}`))
    .map((row) => String(row.column_name))
    .filter((column) => column !== '__line' && column !== CELLS);
  // The last line of the sample first (a read of __line alone), then the sample: sorting every column of every row
  // to keep the first rows costs seconds on a file of thousands of columns.
  const sampleRows = roleSampleRows(columns.length);
  const names = columns.map(ident).join(', ');
  let rows: Record<string, unknown>[];
  // A file staged without a copy is numbered as it is read: its first rows are the first read.
  if (source.ordered)
    rows = await readingStaged(source.ordered, project.all(`SELECT ${names} FROM ${STAGE} LIMIT ${sampleRows}`));
  else {
    const last = await project.one(
      `SELECT max(__line) AS line FROM (SELECT __line FROM ${STAGE} ORDER BY __line LIMIT ${sampleRows})`,
    );
    rows = await project.all(`SELECT ${names} FROM ${STAGE} WHERE __line <= $1 ORDER BY __line LIMIT ${sampleRows}`, [
      Number(last?.line ?? 0),
    ]);
  }
  const sample = rows.map((row) => columns.map((column) => (row[column] === null ? '' : String(row[column]))));
  const suggested =
    options.encoding?.roles ?? source.refineRoles(guessRoles(columns, sample, { layout: source.layout }));
  let roles: ColumnRoles = { ...suggested, ...options.roles };
  const named = [
    options.roles?.click,
    options.roles?.purchase,
    options.roles?.timestamp,
    ...(options.roles?.action ?? []),
  ];
  const unnamed = (columns: string[]) => columns.filter((column) => !named.includes(column));
  for (const list of ['categorical', 'dense', 'truth', 'ignore'] as const)
    if (!options.roles?.[list]) roles[list] = unnamed(roles[list]);
  if (!options.roles?.multiHot && roles.multiHot) roles.multiHot = unnamed(roles.multiHot);
  if (options.encoding) {
    roles = rolesOfEncoding(roles, options.encoding);
    if (options.roles?.userFeature !== undefined && options.roles.userFeature !== roles.userFeature)
      throw new Error(
        `the reused encoding fixes the features and ${roles.userFeature ? 'has' : 'has no'} user feature; leave roles.userFeature unset`,
      );
  }
  return { columns, sample, suggested, roles };
}

/** Drops every connection-local table and view an import made (they all start with esmc_). */
export async function dropImportTables(project: Project): Promise<void> {
  const temporary = await project.all(
    `SELECT table_name AS name, 'TABLE' AS kind FROM duckdb_tables() WHERE temporary AND table_name LIKE 'esmc\\_%' ESCAPE '\\'
     UNION ALL
     SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary AND view_name LIKE 'esmc\\_%' ESCAPE '\\'`,
  );
  // Views first: a view over a table blocks dropping it.
  for (const { name, kind } of temporary.sort((a, b) => (a.kind === 'VIEW' ? -1 : b.kind === 'VIEW' ? 1 : 0)))
    await project.run(`DROP ${String(kind)} IF EXISTS ${ident(String(name))}`);
  await removeParsedCopies(project);
}
