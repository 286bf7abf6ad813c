import { basename, extname } from 'node:path';
import { DataError } from '../data/errors.js';
import type { Finding } from '../data/encode.js';
import type { ColumnRoles } from '../data/roles.js';
import type { Project } from '../store/project.js';
import { SKELETON_PATTERN, stageAliCcpRaw } from './aliccp-raw.js';
import { ident } from '../store/sql.js';
import { RAW, STAGE, stageDelimited, stageTyped, type StagedFile } from './stage.js';
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

/** A file staged as text (see stage.ts), with what its layout knows about roles beyond the name-based guess. */
export interface StagedSource {
  format: ResolvedFormat;
  columns: string[];
  rowsAre: 'lines' | 'rows';
  /** Adjusts the suggested roles to the layout; the user's overrides still come last. */
  refineRoles: (suggested: ColumnRoles) => ColumnRoles;
  findings: Finding[];
}

/** The layouts recognized by their header: the columns each must have. */
const LAYOUTS: { format: 'aliccp' | 'aliexpress' | 'simulator'; required: string[] }[] = [
  { format: 'simulator', required: ['click', 'action', 'purchase', 'user_id', 'true_ctr'] },
  { format: 'aliexpress', required: ['search_id', 'categorical_1', 'numerical_1', 'click', 'conversion'] },
  { format: 'aliccp', required: ['click', 'purchase', '101', '205'] },
];

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

function layoutRoles(format: ResolvedFormat): (roles: ColumnRoles) => ColumnRoles {
  if (format === 'aliccp') return (roles) => ({ ...roles, user: roles.user ?? '101', item: '205' });
  if (format === 'simulator')
    // The simulator's own encoding (simulationEncoding) uses the user id as a feature too.
    return (roles) => ({
      ...roles,
      user: 'user_id',
      item: 'item_id',
      categorical: ['user_id', ...roles.categorical.filter((name) => name !== 'user_id')],
    });
  return unchanged;
}

function compose(...steps: ((roles: ColumnRoles) => ColumnRoles)[]): (roles: ColumnRoles) => ColumnRoles {
  return (roles) => steps.reduce((acc, step) => step(acc), roles);
}

function detectLayout(columns: string[]): ResolvedFormat | undefined {
  return LAYOUTS.find(({ required }) => required.every((name) => columns.includes(name)))?.format;
}

function checkLayout(file: string, format: ResolvedFormat, columns: string[]): void {
  const layout = LAYOUTS.find((l) => l.format === format);
  const missing = layout?.required.filter((name) => !columns.includes(name)) ?? [];
  if (missing.length > 0)
    throw new DataError(
      file,
      1,
      undefined,
      `not the ${format} layout: it lacks the column(s) ${missing.join(', ')}; the columns are ${columns.join(', ')}`,
    );
}

/** Stages `file` in its format (detected from the extension, the file name and the header when 'auto'). */
export async function stageSource(project: Project, file: string, options: SourceOptions = {}): Promise<StagedSource> {
  const requested = options.format ?? 'auto';
  const extension = extname(file).toLowerCase();
  const buysWithoutPv = options.buysWithoutPv ?? 'count-as-click';
  if (requested === 'aliccp-raw' || (requested === 'auto' && SKELETON_PATTERN.test(basename(file)))) {
    const { columns, roles } = await stageAliCcpRaw(project, file, options.commonFeatures);
    return { format: 'aliccp-raw', columns, rowsAre: 'lines', refineRoles: roles, findings: [] };
  }
  if (requested === 'taobao') {
    const { findings, roles } = await stageTaobao(project, file, buysWithoutPv);
    return { format: 'taobao', columns: [], rowsAre: 'lines', refineRoles: roles, findings };
  }
  let staged: StagedFile;
  const typed =
    requested === 'parquet' || requested === 'jsonl'
      ? requested
      : requested === 'auto' && ['.parquet', '.pq'].includes(extension)
        ? 'parquet'
        : requested === 'auto' && ['.jsonl', '.ndjson', '.json'].includes(extension)
          ? 'jsonl'
          : undefined;
  if (typed) staged = await stageTyped(project, file, typed);
  else staged = await stageDelimited(project, file);
  if (
    !staged.header &&
    (requested === 'aliccp' || requested === 'auto') &&
    (await looksLikeHeaderlessAitm(project, staged.columns))
  ) {
    await project.run(`DROP VIEW ${STAGE}`);
    await project.run(`DROP TABLE ${RAW}`);
    staged = await stageDelimited(project, file, { columns: AITM_COLUMNS });
  }
  if (requested === 'auto' && (await looksLikeTaobao(project, staged.columns, staged.header))) {
    const { findings, roles } = await stageTaobao(project, file, buysWithoutPv, staged.columns);
    return { format: 'taobao', columns: [], rowsAre: 'lines', refineRoles: roles, findings };
  }
  let format: ResolvedFormat;
  if (requested === 'aliccp' || requested === 'aliexpress' || requested === 'simulator') {
    checkLayout(file, requested, staged.columns);
    format = requested;
  } else format = detectLayout(staged.columns) ?? typed ?? 'csv';
  return {
    format,
    columns: staged.columns,
    rowsAre: staged.rowsAre,
    refineRoles: compose(listsAreBags(staged.listColumns), layoutRoles(format)),
    findings: [],
  };
}
