import { INTEGER } from '@duckdb/node-api';
import {
  checkFractions,
  DEFAULT_SPLIT,
  splitByUser,
  splitRows,
  SPLIT_PARTS,
  type SplitFractions,
  type SplitIndices,
} from '../data/split.js';
import { appendRows } from './append.js';
import type { Project } from './project.js';
import { ident } from './sql.js';
import type { SplitKind, SplitSummary } from '../../../src-shared/types/data.js';

export type { SplitKind, SplitSummary } from '../../../src-shared/types/data.js';
export { SPLIT_KINDS } from '../../../src-shared/types/data.js';

export interface SplitOptions {
  kind: SplitKind;
  /** Default the kind ('random', 'time', 'user'); a split of the same name is replaced. */
  name?: string;
  fractions?: SplitFractions;
  /** Random and user splits; default 1, the seed `esmc-lab train` splits with. */
  seed?: number;
  signal?: AbortSignal;
}

/** The row ids of one part on their way into `splits` (appendParts). */
const SPLIT_ROWS = 'esmc_split_rows';

/**
 * Appends (dataset, split, row_id, part) rows, one part after the other. Only the row ids are appended, to a
 * one-column temp table, and copied with the three names in one INSERT: appending the names beside every row id
 * took 1.1 s for 1M rows against 0.7 s (the whole random split of 10M rows: 11 s against 6 s).
 */
async function appendParts(project: Project, dataset: string, split: string, parts: SplitIndices): Promise<void> {
  try {
    for (const part of SPLIT_PARTS) {
      const rows = parts[part];
      await project.run(`CREATE OR REPLACE TEMP TABLE ${SPLIT_ROWS} (row_id INTEGER)`);
      await appendRows(project, SPLIT_ROWS, [INTEGER], rows.length, (start, end) => [
        Array.from(rows.subarray(start, end)),
      ]);
      await project.run(`INSERT INTO splits SELECT $1, $2, row_id, $3 FROM ${SPLIT_ROWS}`, [dataset, split, part]);
    }
  } finally {
    await project.run(`DROP TABLE IF EXISTS ${SPLIT_ROWS}`);
  }
}

/**
 * Splits a dataset's rows into train / validation / test and stores the assignment, so every model of a
 * comparison trains and is scored on the same rows. Random splits use the engine's seeded `splitRows` (the
 * same parts `esmc-lab train` makes for the same seed and row count); user splits keep each user in one part
 * (`splitByUser`); time splits put the earliest rows in train and the latest in test.
 */
export async function createSplit(project: Project, dataset: string, options: SplitOptions): Promise<SplitSummary> {
  return project.transaction(() => writeSplit(project, dataset, options), options.signal);
}

/**
 * createSplit's work inside a transaction the caller holds: an import that stores its dataset and its split
 * together, so an interrupted one leaves neither.
 */
export async function writeSplit(project: Project, dataset: string, options: SplitOptions): Promise<SplitSummary> {
  const info = await project.dataset(dataset);
  const fractions = options.fractions ?? DEFAULT_SPLIT;
  const seed = options.seed ?? 1;
  const split = options.name ?? options.kind;
  const table = ident(info.tableName);
  let parts: SplitIndices | undefined;
  if (options.kind === 'random') parts = splitRows(info.rows, fractions, seed);
  else if (options.kind === 'user') {
    if (!info.roles.user)
      throw new Error(`dataset "${dataset}" has no user column; a user split needs one (roles.user)`);
    // Read as one column, not as a million row objects.
    const keys = await project.connection.runAndReadAll(`SELECT user_key FROM ${table} ORDER BY row_id`);
    parts = splitByUser(Int32Array.from(keys.getColumnsJS()[0] as number[]), fractions, seed);
  } else if (!info.roles.timestamp)
    throw new Error(`dataset "${dataset}" has no timestamp column; a time split needs one (roles.timestamp)`);
  else checkFractions(fractions);

  await project.run('DELETE FROM splits WHERE dataset = $1 AND split = $2', [dataset, split]);
  await project.run('DELETE FROM split_info WHERE dataset = $1 AND split = $2', [dataset, split]);
  if (parts) await appendParts(project, dataset, split, parts);
  else {
    const n = info.rows;
    const trainEnd = Math.round(n * fractions.train);
    const validationEnd = Math.round(n * (fractions.train + fractions.validation));
    // Rows without a time go last: they cannot be placed, and test is where the latest rows are.
    await project.run(
      `INSERT INTO splits
       SELECT $1, $2, row_id, CASE WHEN position < ${trainEnd} THEN 'train' WHEN position < ${validationEnd} THEN 'validation' ELSE 'test' END
       FROM (SELECT row_id, row_number() OVER (ORDER BY time NULLS LAST, row_id) - 1 AS position FROM ${table})`,
      [dataset, split],
    );
  }
  const counts = await project.all(
    `SELECT part, count(*)::DOUBLE AS n FROM splits WHERE dataset = $1 AND split = $2 GROUP BY part`,
    [dataset, split],
  );
  const countOf = Object.fromEntries(SPLIT_PARTS.map((part) => [part, 0])) as Record<keyof SplitFractions, number>;
  for (const row of counts) countOf[String(row.part) as keyof SplitFractions] = Number(row.n);
  await project.run(`INSERT INTO split_info VALUES ($1, $2, $3, $4, $5, $6, $7::TIMESTAMP)`, [
    dataset,
    split,
    options.kind,
    options.kind === 'time' ? null : seed,
    JSON.stringify(fractions),
    JSON.stringify(countOf),
    new Date().toISOString(),
  ]);
  options.signal?.throwIfAborted();
  return summary(await splitInfo(project, dataset, split));
}

type SplitRow = Record<string, unknown>;

async function splitInfo(project: Project, dataset: string, split: string): Promise<SplitRow> {
  const row = await project.one(
    `SELECT dataset, split, kind, seed, fractions::VARCHAR AS fractions, counts::VARCHAR AS counts FROM split_info
     WHERE dataset = $1 AND split = $2`,
    [dataset, split],
  );
  if (!row) throw new Error(`dataset "${dataset}" has no split "${split}"`);
  return row;
}

function summary(row: SplitRow): SplitSummary {
  return {
    dataset: String(row.dataset),
    split: String(row.split),
    kind: String(row.kind) as SplitKind,
    seed: row.seed === null ? null : Number(row.seed),
    fractions: JSON.parse(String(row.fractions)) as SplitFractions,
    counts: JSON.parse(String(row.counts)) as Record<keyof SplitFractions, number>,
  };
}

export async function listSplits(project: Project, dataset: string): Promise<SplitSummary[]> {
  const rows = await project.all(
    `SELECT dataset, split, kind, seed, fractions::VARCHAR AS fractions, counts::VARCHAR AS counts FROM split_info
     WHERE dataset = $1 ORDER BY split`,
    [dataset],
  );
  return rows.map(summary);
}

/**
 * The name of the split to use: `asked` when the dataset has it, or the split named 'random', made with
 * `fractions` and `seed` when the dataset has none yet (as training makes it). A split asked for by name must exist.
 */
export async function ensureSplit(
  project: Project,
  dataset: string,
  asked: string | undefined,
  fractions: SplitFractions = DEFAULT_SPLIT,
  seed = 1,
): Promise<string> {
  const split = asked ?? 'random';
  const splits = await listSplits(project, dataset);
  if (splits.some((s) => s.split === split)) return split;
  if (asked !== undefined)
    throw new Error(
      `dataset "${dataset}" has no split "${split}"; its splits are ${splits.map((s) => s.split).join(', ') || 'none'}`,
    );
  await createSplit(project, dataset, { kind: 'random', name: split, fractions, seed });
  return split;
}
