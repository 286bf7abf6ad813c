import type { ColumnRoles } from '../../../src-shared/types/data.js';

export type { ColumnRoles } from '../../../src-shared/types/data.js';

// Names are compared after lower-casing and turning runs of non-alphanumerics into '_'.
const CLICK_NAMES = ['click', 'clk', 'clicked', 'clicks'];
const ACTION_NAMES = [
  'action',
  'cart',
  'add_to_cart',
  'add_cart',
  'addtocart',
  'carted',
  'fav',
  'favorite',
  'favourite',
  'wish',
  'wishlist',
  'wish_list',
  'collect',
];
const PURCHASE_NAMES = [
  'purchase',
  'purchased',
  'buy',
  'bought',
  'conversion',
  'conv',
  'converted',
  'pay',
  'paid',
  'order',
  'ordered',
];
const LABEL_AFFIXES = (name: string) => [
  name,
  `is_${name}`,
  `has_${name}`,
  `label_${name}`,
  `y_${name}`,
  `${name}_label`,
];
const USER_NAMES = ['user_id', 'userid', 'user', 'uid'];
/** Ali-CCP's user-ID field: a feature in its own right, and the user key when nothing else is. */
const ALI_CCP_USER_FIELD = '101';
const TIMESTAMP_NAMES = ['timestamp', 'ts', 'time', 'event_time', 'datetime', 'unix_time', 'time_stamp'];
const IGNORE_NAMES = ['sample_id', 'sample_idx', 'search_id', 'idx', 'index', 'row_id', 'request_id', 'impression_id'];
/** pandas writes its index as an unnamed first column. */
const PANDAS_INDEX = /^(unnamed_\d+)?$/;
const DENSE_NAME = /^(d|dense_?|num_?|numerical_?)\d/;
const INTEGER = /^[+-]?\d+$/;
/** Joins the tokens of a multi-hot cell; a comma would clash with the CSV delimiter. */
export const MULTI_HOT_SEPARATOR = '|';
/** The spellings pandas writes or reads as NaN, and an empty cell. */
const MISSING = new Set(['', 'na', 'nan', 'null', 'none']);

export function isMissing(cell: string): boolean {
  return MISSING.has(cell.trim().toLowerCase());
}

/** The tokens of a multi-hot cell, blanks dropped; a missing cell is an empty bag. */
export function splitTokens(cell: string): string[] {
  if (isMissing(cell)) return [];
  return cell
    .split(MULTI_HOT_SEPARATOR)
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

function normalize(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

function labelMatcher(names: string[]): (name: string) => boolean {
  const spellings = new Set(names.flatMap(LABEL_AFFIXES));
  return (name) => spellings.has(name);
}

const isClickName = labelMatcher(CLICK_NAMES);
const isActionName = labelMatcher(ACTION_NAMES);
const isPurchaseName = labelMatcher(PURCHASE_NAMES);

// One sampled cell with two tokens is enough: bags of one token look like plain values.
function looksMultiHot(cells: Iterable<string>): boolean {
  for (const cell of cells) if (cell.includes(MULTI_HOT_SEPARATOR) && splitTokens(cell).length > 1) return true;
  return false;
}

type ValueKind = 'integer' | 'decimal' | 'text';

function valueKind(cells: Iterable<string>): ValueKind {
  let kind: ValueKind = 'integer';
  for (const cell of cells) {
    if (isMissing(cell)) continue;
    const value = cell.trim();
    if (INTEGER.test(value)) continue;
    if (!Number.isFinite(Number(value))) return 'text';
    kind = 'decimal';
  }
  return kind;
}

/**
 * Guesses roles from column names first (labels, user key, timestamp, truth, row ids) and from sample values for the
 * rest: `|`-separated tokens are multi-hot bags, integers and text are categorical codes, numbers with
 * decimals are dense. A second column that also looks like the click or purchase label is ignored rather than
 * used as a feature, since it would leak the label.
 */
export function suggestRoles(header: string[], sampleRows: string[][]): ColumnRoles {
  const roles: ColumnRoles = { click: '', purchase: '', categorical: [], dense: [], truth: [], ignore: [] };
  const action: string[] = [];
  const multiHot: string[] = [];
  let userField: string | undefined;
  header.forEach((column, index) => {
    const name = normalize(column);
    if (name.startsWith('true_')) roles.truth.push(column);
    else if (isClickName(name)) {
      if (roles.click) roles.ignore.push(column);
      else roles.click = column;
    } else if (isPurchaseName(name)) {
      if (roles.purchase) roles.ignore.push(column);
      else roles.purchase = column;
    } else if (isActionName(name)) action.push(column);
    else if (USER_NAMES.includes(name)) {
      if (roles.user) roles.ignore.push(column);
      else roles.user = column;
    } else if (TIMESTAMP_NAMES.includes(name) && !roles.timestamp) roles.timestamp = column;
    else if (IGNORE_NAMES.includes(name) || PANDAS_INDEX.test(name)) roles.ignore.push(column);
    else if (DENSE_NAME.test(name)) roles.dense.push(column);
    else {
      if (name === ALI_CCP_USER_FIELD) userField = column;
      const cells = sampleRows.map((row) => row[index]);
      if (looksMultiHot(cells)) multiHot.push(column);
      else (valueKind(cells) === 'decimal' ? roles.dense : roles.categorical).push(column);
    }
  });
  if (action.length > 0) roles.action = action;
  if (multiHot.length > 0) roles.multiHot = multiHot;
  roles.user ??= userField;
  return roles;
}
