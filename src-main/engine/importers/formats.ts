import { basename, extname } from 'node:path';
import { DataError } from '../data/errors.js';
import type { Finding } from '../data/encode.js';
import { detectLayout, isLayout, missingLayoutColumns, type ColumnRoles, type Layout } from '../data/roles.js';
import type { Project } from '../store/project.js';
import { PADDLE_LINE, SKELETON_PATTERN, stageAliCcpPaddle, stageAliCcpRaw } from './aliccp-raw.js';
import { ident } from '../store/sql.js';
import { checkDataFile } from '../files.js';
import {
  dropStaged,
  fileHead,
  IMPORT_DOOR,
  RAW,
  readingStaged,
  stageDelimited,
  stageTyped,
  type OrderedRows,
  type StagedFile,
} from './stage.js';
import { looksLikeTaobao, stageTaobao, type BuysWithoutPv } from './taobao.js';

import { IMPORT_FORMATS, type ImportFormat } from '../../../src-shared/types/data.js';

export { IMPORT_FORMATS, type ImportFormat };
export type ResolvedFormat = Exclude<ImportFormat, 'auto'>;

export interface SourceOptions {
  format?: ImportFormat;
  /** Taobao UserBehavior only; default 'count-as-click'. */
  buysWithoutPv?: BuysWithoutPv;
  /** Ali-CCP raw only: the common_features file; default the one beside the sample_skeleton file. */
  commonFeatures?: string;
}

/**
 * A file staged as text (see stage.ts). Its roles are `refineRoles(guessRoles(columns, sample, { layout }))`:
 * the guess every command makes (data/roles.ts), then what only the importer knows about the staged file.
 */
export interface StagedSource {
  format: ResolvedFormat;
  /** The layout (recognised by the header or asked for) for guessRoles; null for none. */
  layout: Layout | null;
  columns: string[];
  rowsAre: 'lines' | 'rows';
  /** A wide text file's columns in the order of STAGE's list of cells (StagedFile's `cells`). */
  cells?: string[];
  /** Set when the file was staged without a copy (StagedFile's `ordered`). */
  ordered?: OrderedRows;
  /** Adjusts the guessed roles to the staged file (typed lists, Taobao's and raw Ali-CCP's own columns); the user's overrides still come last. */
  refineRoles: (suggested: ColumnRoles) => ColumnRoles;
  findings: Finding[];
}

/** The official AITM preprocessing's columns; its test split is sometimes shipped without the header line. */
export const AITM_COLUMNS = [
  'click',
  'purchase',
  '101',
  '121',
  '122',
  '124',
  '125',
  '126',
  '127',
  '128',
  '129',
  '205',
  '206',
  '207',
  '216',
  '508',
  '509',
  '702',
  '853',
  '301',
];

/** Twenty integer columns, the first two 0/1: the AITM layout without its header. */
async function looksLikeHeaderlessAitm(project: Project, columns: string[]): Promise<boolean> {
  if (columns.length !== AITM_COLUMNS.length) return false;
  const [click, purchase] = columns.map(ident);
  const row = await project.one(
    `SELECT bool_and(${click} IN ('0', '1') AND ${purchase} IN ('0', '1')
                     AND ${columns.map((c) => `TRY_CAST(${ident(c)} AS BIGINT) IS NOT NULL`).join(' AND ')}) AS ok
     FROM (SELECT * FROM ${RAW} LIMIT 1000)`,
  );
  return row?.ok === true;
}

const unchanged = (roles: ColumnRoles) => roles;

/** Lists (Parquet/JSON arrays) are bags whatever the sample shows. */
function listsAreBags(listColumns: string[]): (roles: ColumnRoles) => ColumnRoles {
  if (listColumns.length === 0) return unchanged;
  return (roles) => ({
    ...roles,
    categorical: roles.categorical.filter((name) => !listColumns.includes(name)),
    dense: roles.dense.filter((name) => !listColumns.includes(name)),
    multiHot: [...new Set([...(roles.multiHot ?? []), ...listColumns])],
  });
}

function checkLayout(file: string, format: Layout, columns: string[]): void {
  const missing = missingLayoutColumns(format, columns);
  if (missing.length > 0)
    throw new DataError(
      file,
      1,
      undefined,
      `not the ${format} layout: it lacks the column(s) ${missing.join(', ')}; the columns are ${columns.join(', ')}`,
    );
}

/**
 * Stages `file` in its format (detected from the extension, the file name and the header when 'auto'). Every
 * import and every preview comes through here, so here a file that is no data (empty, an image, a workbook) is
 * named as such before any reader tries it. A Parquet file is read as one whatever its name: the layouts
 * (Ali-CCP, AliExpress, simulator) are about columns, not the container.
 */
export async function stageSource(project: Project, file: string, options: SourceOptions = {}): Promise<StagedSource> {
  const requested = options.format ?? 'auto';
  const extension = extname(file).toLowerCase();
  const { kind } = await checkDataFile(file, IMPORT_DOOR);
  const buysWithoutPv = options.buysWithoutPv ?? 'count-as-click';
  if (requested === 'aliccp-raw' || (requested === 'auto' && SKELETON_PATTERN.test(basename(file)))) {
    const { columns, roles } = await stageAliCcpRaw(project, file, options.commonFeatures);
    return { format: 'aliccp-raw', layout: null, columns, rowsAre: 'lines', refineRoles: roles, findings: [] };
  }
  if (
    requested === 'aliccp-paddle' ||
    (requested === 'auto' && kind === 'text' && PADDLE_LINE.test((await fileHead(file)).firstLine))
  ) {
    const { columns, roles } = await stageAliCcpPaddle(project, file);
    return { format: 'aliccp-paddle', layout: null, columns, rowsAre: 'lines', refineRoles: roles, findings: [] };
  }
  if (requested === 'taobao') {
    const { findings, roles } = await stageTaobao(project, file, buysWithoutPv);
    return { format: 'taobao', layout: null, columns: [], rowsAre: 'lines', refineRoles: roles, findings };
  }
  let staged: StagedFile;
  const typed =
    requested === 'parquet' || requested === 'jsonl'
      ? requested
      : kind === 'parquet' || (requested === 'auto' && ['.parquet', '.pq'].includes(extension))
        ? 'parquet'
        : requested === 'auto' && ['.jsonl', '.ndjson', '.json'].includes(extension)
          ? 'jsonl'
          : undefined;
  if (typed) staged = await stageTyped(project, file, typed, { ordered: true });
  else staged = await stageDelimited(project, file, { ordered: true });
  if (
    !staged.header &&
    (requested === 'aliccp' || requested === 'auto') &&
    (await readingStaged(staged.ordered, looksLikeHeaderlessAitm(project, staged.columns)))
  ) {
    await dropStaged(project);
    staged = await stageDelimited(project, file, { columns: AITM_COLUMNS, ordered: true });
  }
  if (
    requested === 'auto' &&
    (await readingStaged(staged.ordered, looksLikeTaobao(project, staged.columns, staged.header)))
  ) {
    // Events are grouped by pair, reading STAGE whole: a copy numbers them in parallel.
    if (staged.ordered) await dropStaged(project);
    const { findings, roles } = await stageTaobao(
      project,
      file,
      buysWithoutPv,
      staged.ordered ? undefined : staged.columns,
    );
    return { format: 'taobao', layout: null, columns: [], rowsAre: 'lines', refineRoles: roles, findings };
  }
  let format: ResolvedFormat;
  if (requested === 'aliccp' || requested === 'aliexpress' || requested === 'simulator') {
    checkLayout(file, requested, staged.columns);
    format = requested;
  } else format = detectLayout(staged.columns) ?? typed ?? 'csv';
  return {
    format,
    layout: isLayout(format) ? format : null,
    columns: staged.columns,
    rowsAre: staged.rowsAre,
    ...(staged.cells && { cells: staged.cells }),
    ...(staged.ordered && { ordered: staged.ordered }),
    refineRoles: listsAreBags(staged.listColumns),
    findings: [],
  };
}
