import type { ColumnRoles } from '../data/roles.js';
import type { Project, Row } from './project.js';
import { ident, isMissingSql, numberSql } from './sql.js';
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

/** Aggregates (as SQL select items) over label columns __click, __action (optional) and __purchase. */
function funnelSelect(hasAction: boolean): string {
  const action = hasAction
    ? `sum(__click * __action)::DOUBLE AS actions,
       sum(__click * __action * __purchase)::DOUBLE AS purchases_with_action,
       sum(__click * (1 - __action) * __purchase)::DOUBLE AS purchases_without_action,`
    : '';
  const violation = hasAction ? `(__purchase = 1 OR __action = 1)` : `__purchase = 1`;
  return `count(*)::DOUBLE AS exposures, sum(__click)::DOUBLE AS clicks, ${action}
    sum(__click * __purchase)::DOUBLE AS purchases,
    count(*) FILTER (WHERE __click = 0 AND ${violation})::DOUBLE AS violations`;
}

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
 * Profiles a relation of raw (VARCHAR) feature columns beside 0/1 label columns __click, __action and
 * __purchase, so the statistics show the values people know, not the ids the models see.
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
  for (const name of roles.categorical) {
    const column = ident(name);
    const stats = (await project.one(
      `SELECT count(*) FILTER (WHERE ${isMissingSql(column)})::DOUBLE AS missing,
              count(DISTINCT ${column}) FILTER (WHERE NOT ${isMissingSql(column)})::DOUBLE AS distinct_values
       FROM ${relation}`,
    ))!;
    const top = await project.all(
      `SELECT ${column} AS value, ${funnelSelect(hasAction)} FROM ${relation}
       WHERE NOT ${isMissingSql(column)} GROUP BY 1 ORDER BY exposures DESC, value LIMIT ${topK}`,
    );
    columns.push({
      name,
      kind: 'categorical',
      missing: Number(stats.missing),
      distinct: Number(stats.distinct_values),
      top: top.map((row) => ({ value: String(row.value), count: Number(row.exposures) })),
    });
    slices.push(
      ...columnSlices(name, top, totals, Number(stats.distinct_values), Number(stats.missing), hasAction, minClicks),
    );
  }
  for (const name of roles.multiHot ?? []) {
    const tokens = `list_filter(list_transform(string_split(coalesce(${ident(name)}, ''), '|'), t -> trim(t)), t -> t <> '')`;
    const stats = (await project.one(
      `SELECT count(*) FILTER (WHERE len(tokens) = 0)::DOUBLE AS missing, avg(len(tokens)) AS mean_length
       FROM (SELECT ${tokens} AS tokens FROM ${relation})`,
    ))!;
    const top = await project.all(
      `SELECT token AS value, count(*)::DOUBLE AS n, count(*) OVER ()::DOUBLE AS distinct_values
       FROM (SELECT unnest(${tokens}) AS token FROM ${relation}) GROUP BY 1 ORDER BY n DESC, value LIMIT ${topK}`,
    );
    columns.push({
      name,
      kind: 'multiHot',
      missing: Number(stats.missing),
      distinct: top.length > 0 ? Number(top[0].distinct_values) : 0,
      meanLength: stats.mean_length === null ? null : Number(stats.mean_length),
      top: top.map((row) => ({ value: String(row.value), count: Number(row.n) })),
    });
  }
  const numeric = [
    ...roles.dense.map((name) => ({ name, kind: 'dense' as const })),
    ...roles.truth.map((name) => ({ name, kind: 'truth' as const })),
  ];
  for (const { name, kind } of numeric) {
    const value = numberSql(ident(name));
    const stats = (await project.one(
      `SELECT count(*) FILTER (WHERE ${isMissingSql(ident(name))})::DOUBLE AS missing, avg(${value}) AS mean,
              stddev_pop(${value}) AS std, min(${value}) AS min, max(${value}) AS max FROM ${relation}`,
    ))!;
    const number = (key: string) => (stats[key] === null ? null : Number(stats[key]));
    columns.push({
      name,
      kind,
      missing: Number(stats.missing),
      mean: number('mean'),
      std: number('std'),
      min: number('min'),
      max: number('max'),
    });
  }
  return { rows: funnel.counts.exposures, funnel, columns, slices };
}
