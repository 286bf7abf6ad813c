import type { ColumnRoles } from '../data/roles.js';
import type { Project, Row } from './project.js';
import {
  countValues,
  fieldSummaries,
  funnelSelect,
  numericStats,
  summarizeBags,
  TOKENS,
  VALUES,
  type BagSummary,
  type NumericStats,
} from './column-stats.js';
import { ident, literal } from './sql.js';
import type { FunnelCounts, Funnel, ColumnStats, SliceFunnel, DatasetProfile } from '../../../src-shared/types/data.js';

export type {
  FunnelCounts,
  FunnelRates,
  Funnel,
  ColumnKind,
  ColumnStats,
  SliceFunnel,
  DatasetProfile,
} from '../../../src-shared/types/data.js';

export interface ProfileOptions {
  /** Most frequent values listed per column and sliced per categorical column. Default 5. */
  topK?: number;
  /**
   * A frequent value with fewer clicks is not sliced on its own but merged into the column's "other" slice, as
   * the PSC analysis does (psc/empirical.ts, gapBySlice): its CVR and PSC share would say nothing. Default 30.
   */
  minClicks?: number;
  /** VALUES already counts the categorical columns of this relation (store/column-stats.ts); else they are counted. */
  valuesCounted?: boolean;
  /** The dense and truth columns already summarized (an import's validation does it); else they are read. */
  numbers?: Map<string, NumericStats>;
  /** The bag columns already summarized, their tokens counted in TOKENS (an import's validation does it); else they are read. */
  bags?: Map<string, BagSummary>;
}

/** The aggregates funnelSelect names, summed over kept slices and subtracted from the totals for "other". */
const FUNNEL_COLUMNS = [
  'exposures',
  'clicks',
  'actions',
  'purchases',
  'purchases_with_action',
  'purchases_without_action',
  'violations',
] as const;

/**
 * A column's slices: each kept value (top K by exposures with at least minClicks clicks), then "other" with every
 * remaining row (values beyond K, values with few clicks, missing ones) as the totals minus the kept values. None
 * when no value is kept: "other" alone would be the whole dataset again.
 */
function columnSlices(
  column: string,
  top: Row[],
  totals: Row,
  distinct: number,
  missing: number,
  hasAction: boolean,
  minClicks: number,
): SliceFunnel[] {
  const kept = top.filter((row) => Number(row.clicks ?? 0) >= minClicks);
  if (kept.length === 0) return [];
  const slices: SliceFunnel[] = kept.map((row) => ({
    column,
    value: String(row.value),
    funnel: funnelOf(row, hasAction),
    distinctValues: 1,
  }));
  const rest: Row = {};
  for (const name of FUNNEL_COLUMNS)
    rest[name] = Number(totals[name] ?? 0) - kept.reduce((sum, row) => sum + Number(row[name] ?? 0), 0);
  if (Number(rest.exposures) > 0)
    slices.push({
      column,
      value: 'other',
      funnel: funnelOf(rest, hasAction),
      isOther: true,
      distinctValues: distinct + (missing > 0 ? 1 : 0) - kept.length,
    });
  return slices;
}

const ratio = (numerator: number | null, denominator: number | null) =>
  numerator === null || denominator === null || denominator === 0 ? null : numerator / denominator;

function funnelOf(row: Row, hasAction: boolean): Funnel {
  const value = (name: string) => (row[name] === null || row[name] === undefined ? 0 : Number(row[name]));
  const counts: FunnelCounts = {
    exposures: value('exposures'),
    clicks: value('clicks'),
    actions: hasAction ? value('actions') : null,
    purchases: value('purchases'),
    purchasesWithAction: hasAction ? value('purchases_with_action') : null,
    purchasesWithoutAction: hasAction ? value('purchases_without_action') : null,
    funnelViolations: value('violations'),
  };
  const { exposures, clicks, actions, purchases, purchasesWithAction, purchasesWithoutAction } = counts;
  return {
    counts,
    rates: {
      ctr: ratio(clicks, exposures),
      avr: ratio(actions, clicks),
      cvr: ratio(purchases, clicks),
      ctavr: ratio(actions, exposures),
      ctcvr: ratio(purchases, exposures),
      buyGivenAction: ratio(purchasesWithAction, actions),
      buyGivenNoAction: ratio(purchasesWithoutAction, actions === null ? null : clicks - actions),
      pscShare: ratio(purchasesWithoutAction, purchases),
    },
  };
}

/**
 * Profiles a relation of feature columns as read (categorical values as text, numbers as DOUBLE with NULL for
 * missing, bags as lists of tokens: an import's KEPT) beside 0/1 label columns __click, __action and __purchase,
 * so the statistics show the values people know, not the ids the models see.
 */
export async function profileRelation(
  project: Project,
  relation: string,
  roles: ColumnRoles,
  hasAction: boolean,
  options: ProfileOptions = {},
): Promise<DatasetProfile> {
  const topK = options.topK ?? 5;
  const minClicks = options.minClicks ?? 30;
  const totals = (await project.one(`SELECT ${funnelSelect(hasAction)} FROM ${relation}`))!;
  const funnel = funnelOf(totals, hasAction);
  const columns: ColumnStats[] = [];
  const slices: SliceFunnel[] = [];
  if (!options.valuesCounted) await countValues(project, relation, roles.categorical, hasAction);
  const summaries = await fieldSummaries(project);
  const tops = await project.all(
    `SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY field ORDER BY exposures DESC, value) AS rank
                    FROM ${VALUES} WHERE NOT missing)
     WHERE rank <= ${topK} ORDER BY field, rank`,
  );
  const topOf = new Map<string, Row[]>();
  for (const row of tops) topOf.set(String(row.field), [...(topOf.get(String(row.field)) ?? []), row]);
  for (const name of roles.categorical) {
    const stats = summaries.get(name) ?? { missing: Number(totals.exposures), distinct: 0 };
    const top = topOf.get(name) ?? [];
    columns.push({
      name,
      kind: 'categorical',
      missing: stats.missing,
      distinct: stats.distinct,
      top: top.map((row) => ({ value: String(row.value), count: Number(row.exposures) })),
    });
    slices.push(...columnSlices(name, top, totals, stats.distinct, stats.missing, hasAction, minClicks));
  }
  const bags =
    options.bags ??
    (await summarizeBags(project, relation, roles.multiHot ?? [], { keep: Number.MAX_SAFE_INTEGER, lines: false }));
  for (const name of roles.multiHot ?? []) {
    const { missing, meanLength } = bags.get(name)!;
    const top = await project.all(
      `SELECT value, n::DOUBLE AS n, count(*) OVER ()::DOUBLE AS distinct_values
       FROM ${TOKENS} WHERE field = ${literal(name)} ORDER BY n DESC, value LIMIT ${topK}`,
    );
    columns.push({
      name,
      kind: 'multiHot',
      missing,
      distinct: top.length > 0 ? Number(top[0].distinct_values) : 0,
      meanLength,
      top: top.map((row) => ({ value: String(row.value), count: Number(row.n) })),
    });
  }
  const numeric = [
    ...roles.dense.map((name) => ({ name, kind: 'dense' as const })),
    ...roles.truth.map((name) => ({ name, kind: 'truth' as const })),
  ];
  const stats =
    options.numbers ??
    (await numericStats(
      project,
      relation,
      numeric.map(({ name }) => ({ name, value: ident(name) })),
      { lines: false },
    ));
  for (const { name, kind } of numeric) {
    const { missing, mean, std, min, max } = stats.get(name)!;
    columns.push({ name, kind, missing, mean, std, min, max });
  }
  return { rows: funnel.counts.exposures, funnel, columns, slices };
}
