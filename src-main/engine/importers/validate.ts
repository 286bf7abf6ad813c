import { DataError } from '../data/errors.js';
import {
  LABEL_COPY_MIN_ROWS,
  labelCopyMessage,
  MAX_MULTI_HOT_LENGTH,
  parseLabel,
  type Finding,
  type FunnelPolicy,
} from '../data/encode.js';
import { checkedLabels, determination, LEAK_MIN_VALUE_ROWS, labelDeterminesMessage } from '../data/leakage.js';
import { categoricalFeatures, USER_FEATURE_MIN_COUNT, type ColumnRoles } from '../data/roles.js';
import type { Project } from '../store/project.js';
import { ident, labelSql } from '../store/sql.js';
import {
  badCells,
  CELLS,
  countValues,
  EXAMPLE_LINES,
  lineList,
  fieldSummaries,
  numericStats,
  summarizeBags,
  VALUES,
  type BagSummary,
  type FieldSummary,
  type NumericStats,
} from '../store/column-stats.js';
import { denseValueSql, KEPT } from './encoding.js';
import { integerTwins, labelColumns, PARSED, parseStaged, type ReadReporting } from './parsed.js';
import { firstStagedRows, type OrderedRows } from './stage.js';

/** A categorical column with at least this many values, nearly one per row, is an id, not a feature. */
const NEAR_UNIQUE_MIN_VALUES = 50;
const NEAR_UNIQUE_SHARE = 0.9;

/** An import that stopped on bad data: the message names the first bad line; `findings` has all the counts. */
export class ImportError extends DataError {
  readonly findings: Finding[];

  constructor(file: string, line: number, column: number | undefined, problem: string, findings: Finding[]) {
    super(file, line, column, problem);
    this.findings = findings;
  }
}

import { expectedParts, supportFindings } from '../data/support.js';
import { DEFAULT_SPLIT } from '../../../src-shared/types/data.js';
import { shorten } from '../../../src-shared/charts/common.js';

export interface ValidationContext {
  project: Project;
  file: string;
  columns: string[];
  roles: ColumnRoles;
  /** A wide file's columns in the order of STAGE's list of cells (StagedFile's `cells`). */
  cells?: string[];
  /** Set when the file was staged without a copy (StagedFile's `ordered`). */
  ordered?: OrderedRows;
}

export interface ValidationOptions {
  funnelPolicy: FunnelPolicy;
  /** While the file is read (parsed.ts), how far. */
  reading?: ReadReporting;
  /** Dense columns read as log1p (they must then be > -1). */
  logDense: string[];
}

/**
 * Every check an import makes on a staged file, in order: the roles (a DataError), then bad labels and numbers
 * (an ImportError carrying every finding so far), then the funnel policy (which leaves KEPT, the rows to encode),
 * features that copy a label (an ImportError), the issues of the kept columns, features that nearly determine a
 * label (an ImportError) and what the rows can support. Returns `sourceFindings` (what staging found, e.g.
 * Taobao's buys without pv) followed by the rest. The import (import.ts) and the preview of a dropped file (api/inspect.ts, on the file's
 * first rows) both run this, so the preview of a file it reads whole finds exactly what the import finds.
 */
export async function validateStaged(
  context: ValidationContext,
  sourceFindings: Finding[],
  options: ValidationOptions,
): Promise<Validated> {
  checkRoles(context);
  await parseStaged(context.project, context.roles, context, options.reading);
  const twins = integerTwins(context.roles, context.ordered?.typed?.columns);
  const findings: Finding[] = [...sourceFindings, ...(await findErrors(context, options.logDense))];
  throwIfErrors(context.file, context.columns, findings);
  await applyFunnelPolicy(context, options.funnelPolicy, findings, twins);
  findings.push(...(await findLabelCopies(context)));
  throwIfErrors(context.file, context.columns, findings);
  const numbers = await keptNumbers(context.project, context.roles, options.logDense);
  const bags = await summarizeBags(context.project, KEPT, context.roles.multiHot ?? [], {
    keep: MAX_MULTI_HOT_LENGTH,
    lines: true,
  });
  findings.push(...(await findColumnIssues(context.project, context.roles, numbers, bags, context.cells, twins)));
  findings.push(...(await findLabelDeterminers(context)));
  throwIfErrors(context.file, context.columns, findings);
  findings.push(...(await findSupportIssues(context)));
  return { findings, numbers, bags, twins };
}

/**
 * What validation found, and what it read of the kept rows, which the encoding and the profile reuse: the numbers,
 * and the bags (their tokens counted in TOKENS, store/column-stats.ts).
 */
export interface Validated {
  findings: Finding[];
  numbers: KeptNumbers;
  bags: Map<string, BagSummary>;
  /** The integer twins PARSED and KEPT hold (parsed.ts, `integerTwins`), which the write looks ids up by. */
  twins: Map<string, string>;
}

/** The kept rows' dense and truth columns summarized as read, and the log-dense ones after log1p. */
export interface KeptNumbers {
  raw: Map<string, NumericStats>;
  logged: Map<string, NumericStats>;
}

/** Summarizes KEPT's numbers in one scan (a second for log-dense columns, when there are any). */
async function keptNumbers(project: Project, roles: ColumnRoles, logDense: string[]): Promise<KeptNumbers> {
  const raw = await numericStats(
    project,
    KEPT,
    [...roles.dense, ...roles.truth].map((name) => ({ name, value: ident(name) })),
    { lines: true },
  );
  const logged = await numericStats(
    project,
    KEPT,
    roles.dense
      .filter((name) => logDense.includes(name))
      .map((name) => ({ name, value: denseValueSql(ident(name), true) })),
    { lines: false },
  );
  return { raw, logged };
}

/**
 * A feature that equals a label on every kept row ("clicked" beside "click", a second copy of the purchase
 * column) would hand the models the answer: the import refuses it, naming both. One query over every pair.
 */
async function findLabelCopies({ project, roles }: ValidationContext): Promise<Finding[]> {
  const labels: [string, string][] = [
    [roles.click, '__click'],
    ...(roles.action ?? []).slice(0, 1).map((name): [string, string] => [name, '__action']),
    [roles.purchase, '__purchase'],
  ];
  const features = [...categoricalFeatures(roles), ...roles.dense];
  if (features.length === 0) return [];
  const total = Number((await project.one(`SELECT count(*)::DOUBLE AS n FROM ${KEPT}`))!.n);
  if (total < LABEL_COPY_MIN_ROWS) return [];
  // The first rows rule out almost every pair at once, so a file of thousands of columns is scanned whole only
  // for the few that could be copies.
  const head = await project.all(
    `SELECT ${[...features, ...labels.map(([, column]) => column)].map((name) => ident(name)).join(', ')}
     FROM ${KEPT} LIMIT ${labelCopyScreenRows(features.length)}`,
  );
  const pairs = features
    .flatMap((feature) => labels.map(([label, column]) => ({ feature, label, column })))
    .filter(({ feature, column }) =>
      head.every((row) => parseLabel(String(row[feature] ?? '')) === Number(row[column])),
    );
  if (pairs.length === 0) return [];
  // Dense columns are numbers in KEPT (parsed.ts), categorical ones text.
  const asLabel = (feature: string) =>
    roles.dense.includes(feature)
      ? `(CASE WHEN ${ident(feature)} IN (0, 1) THEN ${ident(feature)}::INTEGER END)`
      : labelSql(ident(feature));
  const row = await project.one(
    `SELECT ${pairs
      .map(
        ({ feature, column }, i) =>
          `count(*) FILTER (WHERE ${asLabel(feature)} IS DISTINCT FROM ${column})::DOUBLE AS d${i}`,
      )
      .join(', ')} FROM ${KEPT}`,
  );
  return pairs
    .filter((_, i) => Number(row![`d${i}`]) === 0)
    .map(({ feature, label }) => ({
      severity: 'error' as const,
      code: 'feature-copies-label',
      column: feature,
      count: total,
      // The header line, where the column is named: no one row is at fault.
      exampleLines: [1],
      message: labelCopyMessage(feature, label),
    }));
}

/**
 * A categorical feature whose values nearly determine a label (data/leakage.ts) gives the answer away as surely as
 * a copy. Read from VALUES, which `findColumnIssues` has just filled with each value's funnel counts, so it costs
 * no scan of the rows: one small query sums each field's LabelTally. Exact copies never get here (their own check
 * stops the import first), so no pair is reported twice.
 */
async function findLabelDeterminers({ project, roles }: ValidationContext): Promise<Finding[]> {
  const fields = categoricalFeatures(roles);
  if (fields.length === 0) return [];
  // VALUES' funnel counts: actions and purchases are clicked ones, as the models' labels are once the funnel holds.
  const positivesOf = { click: 'clicks', action: 'actions', purchase: 'purchases' } as const;
  const labels = checkedLabels(roles);
  const counted = `(NOT missing AND exposures >= ${LEAK_MIN_VALUE_ROWS})`;
  const items = labels.flatMap(({ label }, i) => {
    const positives = positivesOf[label];
    const negatives = `(exposures - ${positives})`;
    return [
      `sum(${positives})::DOUBLE AS p${i}`,
      `sum(${negatives})::DOUBLE AS n${i}`,
      `coalesce(sum(least(${positives}, ${negatives})) FILTER (WHERE ${counted}), 0)::DOUBLE AS m${i}`,
      `coalesce(sum(${positives}) FILTER (WHERE NOT ${counted}), 0)::DOUBLE AS up${i}`,
      `coalesce(sum(${negatives}) FILTER (WHERE NOT ${counted}), 0)::DOUBLE AS un${i}`,
    ];
  });
  const rows = new Map(
    (await project.all(`SELECT field, ${items.join(', ')} FROM ${VALUES} GROUP BY field`)).map((row) => [
      String(row.field),
      row,
    ]),
  );
  // In the order of the roles, as the CSV loader checks them: both doors then name the same column first.
  return fields.flatMap((field) => {
    const row = rows.get(field);
    if (!row) return [];
    return labels.flatMap(({ name }, i) => {
      const found = determination({
        positives: Number(row[`p${i}`]),
        negatives: Number(row[`n${i}`]),
        minorities: Number(row[`m${i}`]),
        undeterminedPositives: Number(row[`up${i}`]),
        undeterminedNegatives: Number(row[`un${i}`]),
      });
      if (!found.determines) return [];
      return [
        {
          severity: 'error' as const,
          code: 'feature-determines-label',
          column: field,
          count: found.rows,
          // The header line, where the column is named: no one row is at fault.
          exampleLines: [1],
          message: labelDeterminesMessage(field, name, found),
        },
      ];
    });
  });
}

/**
 * Rows the label-copy check screens every pair on before it scans the whole data for the pairs left: 200, fewer for
 * a file of thousands of features (the first rows rule out nearly every pair, and reading them costs per cell).
 */
const labelCopyScreenRows = (features: number) => Math.max(20, Math.min(200, Math.floor(400_000 / features)));

/** What the kept rows can support (data/support.ts), on the parts a default split would give them. */
async function findSupportIssues({ project, roles }: ValidationContext): Promise<Finding[]> {
  const withAction = (roles.action ?? []).length > 0;
  const row = (await project.one(
    `SELECT count(*)::DOUBLE AS n, coalesce(sum(__click), 0)::DOUBLE AS clicks,
            coalesce(sum(__click * __purchase), 0)::DOUBLE AS purchases,
            ${withAction ? 'coalesce(sum(__click * __action), 0)::DOUBLE' : 'NULL'} AS actions,
            ${withAction ? 'coalesce(sum(__click * __action * __purchase), 0)::DOUBLE' : 'NULL'} AS action_purchases
     FROM ${KEPT}`,
  ))!;
  const counts = {
    rows: Number(row.n),
    clicks: Number(row.clicks),
    clickedPurchases: Number(row.purchases),
    clickedActions: row.actions === null ? null : Number(row.actions),
    clickedActionPurchases: row.action_purchases === null ? null : Number(row.action_purchases),
  };
  return supportFindings(expectedParts(counts, DEFAULT_SPLIT), { expected: true });
}

/** Each column serves one role; labels must exist. The same rules the CSV loader's builder enforces. */
export function checkRoles({ file, columns, roles }: ValidationContext): void {
  const claimed = new Map<string, string>();
  const claim = (role: string, name: string) => {
    if (!columns.includes(name))
      throw new DataError(
        file,
        1,
        undefined,
        `the ${role} column "${name}" is not in the data; the columns are ${columns.join(', ')}`,
      );
    const other = claimed.get(name);
    if (other)
      throw new DataError(file, 1, columns.indexOf(name) + 1, `column "${name}" cannot be both ${other} and ${role}`);
    claimed.set(name, role);
  };
  for (const role of ['click', 'purchase'] as const) {
    if (!roles[role])
      throw new DataError(
        file,
        1,
        undefined,
        `no column looks like the ${role} label; name it in roles.${role} (--roles ${role}=COLUMN)`,
      );
    claim(`the ${role} label`, roles[role]);
  }
  for (const name of roles.action ?? []) claim('an action label', name);
  // A user column the file lacks is named as such, not as the categorical feature it also is.
  if (roles.user && !columns.includes(roles.user)) claim('user', roles.user);
  for (const name of categoricalFeatures(roles)) claim('categorical', name);
  for (const name of roles.multiHot ?? []) claim('multi-hot', name);
  for (const name of roles.dense) claim('dense', name);
  for (const name of roles.truth) claim('a truth column', name);
  for (const name of roles.ignore.filter((n) => columns.includes(n))) claim('ignored', name);
  if (roles.timestamp) claim('the timestamp', roles.timestamp);
}

/**
 * Errors that make the rows unusable: labels that are not 0/1, numbers that are not numbers. Read from PARSED, a
 * chunk of columns per scan; the text of each column's first bad cell, for its message, from STAGE.
 */
export async function findErrors(context: ValidationContext, logDense: string[]): Promise<Finding[]> {
  const { project, roles } = context;
  const checks: { name: string; bad: string; code: string; problem: (value: string) => string }[] = [];
  for (const name of labelColumns(roles))
    checks.push({
      name,
      bad: `${ident(name)} IS NULL`,
      code: 'label-not-binary',
      problem: (v) => `label must be 0 or 1, got "${v}"`,
    });
  for (const name of roles.dense) {
    const log = logDense.includes(name);
    checks.push({
      name,
      bad: log ? `${ident(name)} <= -1 OR isnan(${ident(name)})` : `isnan(${ident(name)})`,
      code: 'dense-not-number',
      problem: (v) => `a dense feature must be a number${log ? ' > -1 (log1p)' : ''}, got "${v}"`,
    });
  }
  for (const name of roles.truth)
    checks.push({
      name,
      bad: `${ident(name)} IS NULL OR isnan(${ident(name)})`,
      code: 'truth-not-number',
      problem: (v) => `a truth column must be a number, got "${v}"`,
    });
  const found = await badCells(project, PARSED, checks);
  if (found.size === 0) return [];
  const firstTexts = (await project.one(
    `SELECT ${[...found].map(([name, bad], i) => `max(${ident(name)}) FILTER (WHERE __line = ${bad.lines[0]}) AS v${i}`).join(', ')}
     FROM ${firstStagedRows(context.ordered, Math.max(...[...found.values()].map((bad) => bad.lines[0])))}
     WHERE __line IN (${[...found.values()].map((bad) => bad.lines[0]).join(', ')})`,
  ))!;
  const firstText = new Map([...found.keys()].map((name, i) => [name, String(firstTexts[`v${i}`] ?? '')]));
  return checks.flatMap(({ name, code, problem }) => {
    const bad = found.get(name);
    if (!bad) return [];
    return [
      {
        severity: 'error' as const,
        code,
        column: name,
        count: bad.count,
        exampleLines: bad.lines,
        message: `column "${name}": ${problem(firstText.get(name)!)} (${bad.count} rows)`,
      },
    ];
  });
}

/** Throws the first error finding as an ImportError that carries them all. */
export function throwIfErrors(file: string, columns: string[], findings: Finding[]): void {
  const error = findings.find((f) => f.severity === 'error');
  if (!error) return;
  const column = error.column === undefined ? undefined : columns.indexOf(error.column) + 1 || undefined;
  throw new ImportError(file, error.exampleLines[0] ?? 0, column, error.message, findings);
}

/** The labels as PARSED holds them (0/1): click, the action (any of its columns), purchase. */
export function labelsSql(roles: ColumnRoles): { click: string; action?: string; purchase: string } {
  const actions = (roles.action ?? []).map(ident);
  return {
    click: ident(roles.click),
    action: actions.length === 0 ? undefined : actions.length === 1 ? actions[0] : `greatest(${actions.join(', ')})`,
    purchase: ident(roles.purchase),
  };
}

/**
 * Rows with a purchase or action but no click, handled by `policy`; then KEPT holds the rows to encode with
 * labels as __click / __action / __purchase, the role columns as PARSED holds them, and their integer `twins`.
 */
export async function applyFunnelPolicy(
  context: ValidationContext,
  policy: FunnelPolicy,
  findings: Finding[],
  twins: Map<string, string>,
): Promise<void> {
  const { project, file, columns, roles } = context;
  const labels = labelsSql(roles);
  const violation = `(${labels.click} = 0 AND (${labels.purchase} = 1${labels.action ? ` OR ${labels.action} = 1` : ''}))`;
  const row = await project.one(
    `SELECT count(*)::DOUBLE AS n, min(__line, ${EXAMPLE_LINES}) AS lines FROM ${PARSED} WHERE ${violation}`,
  );
  const count = Number(row?.n ?? 0);
  if (count > 0) {
    const examples = lineList(row!.lines);
    if (policy === 'fail') {
      findings.push({
        severity: 'error',
        code: 'funnel-violation',
        message: `${count} rows have a purchase or in-shop action without a click`,
        count,
        exampleLines: examples,
      });
      throw new ImportError(
        file,
        examples[0],
        columns.indexOf(roles.purchase) + 1,
        `${roles.purchase} or an action is 1 but ${roles.click}=0: a purchase or in-shop action needs a click first ` +
          `(${count} such rows; --funnel-violations drop or keep)`,
        findings,
      );
    }
    const dropped = policy === 'drop';
    findings.push({
      severity: 'warning',
      code: dropped ? 'funnel-rows-dropped' : 'funnel-rows-kept',
      message:
        `${count} rows have a purchase or in-shop action without a click; ` +
        (dropped ? 'they were dropped' : 'they were kept, so the labels break the funnel click ⇒ action/purchase'),
      count,
      exampleLines: examples,
    });
  }
  const used = [
    ...new Set([
      ...roles.categorical,
      ...(roles.multiHot ?? []),
      ...roles.dense,
      ...roles.truth,
      ...(roles.user ? [roles.user] : []),
      ...(roles.timestamp ? [roles.timestamp] : []),
    ]),
  ];
  // A view: PARSED is already the rows read once (a view of STAGE for a wide file, whose copy costs more).
  await project.run(
    `CREATE TEMP VIEW ${KEPT} AS
     SELECT __line, ${labels.click}::INTEGER AS __click, ${labels.action ? `${labels.action}::INTEGER AS __action, ` : ''}
            ${labels.purchase}::INTEGER AS __purchase${used.map((name) => `, ${ident(name)}`).join('')}
            ${[...twins.values()].map((twin) => `, ${ident(twin)}`).join('')}
            ${context.cells ? `, ${CELLS}` : ''}
     FROM ${PARSED} ${policy === 'drop' && count > 0 ? `WHERE NOT ${violation}` : ''}`,
  );
}

/** The kept rows' statistics every column issue is read from: the categorical values, the numbers, the bags. */
interface KeptStats {
  total: number;
  values: Map<string, FieldSummary>;
  numbers: Map<string, NumericStats>;
}

/**
 * Warnings and notes about the rows that will be encoded: missing values, constant and id-like columns. Counts
 * every categorical value into VALUES (store/column-stats.ts), which the encoding and the profile then read.
 */
export async function findColumnIssues(
  project: Project,
  roles: ColumnRoles,
  numbers: KeptNumbers,
  bags: Map<string, BagSummary>,
  cells?: string[],
  twins?: Map<string, string>,
): Promise<Finding[]> {
  const hasAction = (roles.action ?? []).length > 0;
  await countValues(project, KEPT, categoricalFeatures(roles), hasAction, { cells, twins });
  const stats: KeptStats = {
    total: Number((await project.one(`SELECT count(*)::DOUBLE AS n FROM ${KEPT}`))?.n ?? 0),
    values: await fieldSummaries(project, KEPT),
    numbers: numbers.raw,
  };
  const findings: Finding[] = [];
  for (const name of categoricalFeatures(roles)) findings.push(...columnIssues(name, 'categorical', roles, stats));
  for (const name of roles.dense) findings.push(...columnIssues(name, 'dense', roles, stats));
  for (const name of roles.multiHot ?? [])
    findings.push(...columnIssues(name, 'multiHot', roles, { ...stats, values: new Map([[name, bags.get(name)!]]) }));
  for (const name of roles.multiHot ?? []) {
    const { tooLong: count, tooLongLines } = bags.get(name)!;
    if (count > 0)
      findings.push({
        severity: 'warning',
        code: 'multi-hot-truncated',
        message: `${count} cells of "${name}" have more than ${MAX_MULTI_HOT_LENGTH} tokens; only the first ${MAX_MULTI_HOT_LENGTH} were kept`,
        column: name,
        count,
        exampleLines: tooLongLines,
      });
  }
  return findings;
}

/** One column's missing values, constant value or near-unique values, as findings. */
function columnIssues(
  name: string,
  kind: 'categorical' | 'dense' | 'multiHot',
  roles: ColumnRoles,
  { total, values, numbers }: KeptStats,
): Finding[] {
  const findings: Finding[] = [];
  let summary: FieldSummary;
  if (kind === 'dense') {
    const number = numbers.get(name)!;
    const seen = number.min === null ? 0 : number.min === number.max ? 1 : 2;
    summary = {
      missing: number.missing,
      missingLines: number.missingLines,
      distinct: seen,
      someValue: number.min === null ? null : String(number.min),
    };
  } else summary = values.get(name) ?? { missing: total, missingLines: [], distinct: 0, someValue: null };
  const { missing, distinct } = summary;
  if (missing > 0) {
    const encodedAs =
      kind === 'categorical' ? 'id 0' : kind === 'dense' ? 'the column mean (0 after standardization)' : 'an empty bag';
    findings.push({
      severity: 'info',
      code: 'missing-values',
      message: `${missing} missing values in "${name}", encoded as ${encodedAs}`,
      column: name,
      count: missing,
      exampleLines: summary.missingLines,
    });
  }
  if (distinct <= 1 && total > 1)
    findings.push({
      severity: 'warning',
      code: 'constant-column',
      message:
        distinct === 0
          ? `"${name}" has no values at all; it cannot help any model (set its role to ignore)`
          : `"${name}" has the same value (${shorten(String(summary.someValue), 60)}) in all ${total - missing} rows that have one; ` +
            'it cannot help any model (set its role to ignore)',
      column: name,
      count: total,
      exampleLines: [],
    });
  if (kind === 'categorical' && distinct >= NEAR_UNIQUE_MIN_VALUES && distinct >= NEAR_UNIQUE_SHARE * (total - missing))
    findings.push({
      severity: 'warning',
      code: 'near-unique-column',
      message:
        `"${name}" has ${distinct} distinct values in ${total - missing} rows: as a categorical feature almost every ` +
        (name === roles.user
          ? `value is seen once, and values seen fewer than ${USER_FEATURE_MIN_COUNT} times share id 0 ` +
            '(set userFeature=false to keep it as the user key only)'
          : 'value is seen once, so it cannot generalize (ignore it, hash it, or raise --min-count)'),
      column: name,
      count: distinct,
      exampleLines: [],
    });
  return findings;
}
