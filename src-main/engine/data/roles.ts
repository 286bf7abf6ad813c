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

/** The layouts recognised by their header. */
export type Layout = 'simulator' | 'aliexpress' | 'aliccp';

/** Each layout's columns: a header with all of them is that layout. */
export const LAYOUTS: { layout: Layout; required: string[] }[] = [
  { layout: 'simulator', required: ['click', 'action', 'purchase', 'user_id', 'true_ctr'] },
  { layout: 'aliexpress', required: ['search_id', 'categorical_1', 'numerical_1', 'click', 'conversion'] },
  { layout: 'aliccp', required: ['click', 'purchase', '101', '205'] },
];

export function isLayout(format: string): format is Layout {
  return LAYOUTS.some(({ layout }) => layout === format);
}

/** The layout whose columns the header has, if any. */
export function detectLayout(header: string[]): Layout | undefined {
  return LAYOUTS.find(({ required }) => required.every((name) => header.includes(name)))?.layout;
}

/** The columns of `layout` the header lacks. */
export function missingLayoutColumns(layout: Layout, header: string[]): string[] {
  return LAYOUTS.find((l) => l.layout === layout)!.required.filter((name) => !header.includes(name));
}

/**
 * What a layout knows beyond names and samples: its user and item keys. The user column is a feature whether or
 * not it is listed in `categorical` (see categoricalFeatures), so the layouts need not list it.
 */
export function layoutRoles(layout: Layout | undefined, roles: ColumnRoles): ColumnRoles {
  if (layout === 'aliccp') return { ...roles, user: roles.user ?? '101', item: '205' };
  if (layout === 'simulator') return { ...roles, user: 'user_id', item: 'item_id' };
  return roles;
}

export interface GuessOptions {
  /** The file's layout; undefined detects it from the header, null says it has none (e.g. --format csv). */
  layout?: Layout | null;
}

/**
 * The one role guess every command and the UI's file inspection make: names and sample values
 * (suggestRoles), then what the layout recognised by the header knows (layoutRoles). The encoders then add the
 * user key as a feature unless `userFeature` is false (categoricalFeatures), so the same file gives the same roles,
 * features and model whichever command reads it.
 */
export function guessRoles(header: string[], sampleRows: string[][], options: GuessOptions = {}): ColumnRoles {
  const layout = options.layout === undefined ? detectLayout(header) : (options.layout ?? undefined);
  return layoutRoles(layout, suggestRoles(header, sampleRows));
}

/** Values of the user feature seen fewer times than this share id 0, whatever the global minimum count. */
export const USER_FEATURE_MIN_COUNT = 2;

/**
 * The categorical feature columns the encoders fit: `roles.categorical`, with the user column first when it is
 * a feature (`userFeature` not false) and has no other role, and without it when `userFeature` is false.
 */
export function categoricalFeatures(roles: ColumnRoles): string[] {
  const { user } = roles;
  if (!user) return roles.categorical;
  if (roles.userFeature === false) return roles.categorical.filter((name) => name !== user);
  const taken = [
    roles.click,
    roles.purchase,
    roles.timestamp,
    ...(roles.action ?? []),
    ...roles.categorical,
    ...(roles.multiHot ?? []),
    ...roles.dense,
    ...roles.truth,
    ...roles.ignore,
  ];
  return taken.includes(user) ? roles.categorical : [user, ...roles.categorical];
}

/** The roles with `categorical` as the encoders see it (categoricalFeatures). */
export function withUserFeature(roles: ColumnRoles): ColumnRoles {
  return { ...roles, categorical: categoricalFeatures(roles) };
}

/** The minimum count of one categorical field's values: at least USER_FEATURE_MIN_COUNT for the user feature. */
export function fieldMinCount(roles: ColumnRoles, field: string, minCount: number): number {
  return field === roles.user ? Math.max(minCount, USER_FEATURE_MIN_COUNT) : minCount;
}

/**
 * The roles under which a saved encoding encodes: its categorical, multi-hot and dense fields exactly, and
 * `userFeature` saying whether its categorical fields include the user column, so that nothing is added to
 * an encoding saved before the user became a feature by default.
 */
export function rolesOfEncoding(
  roles: ColumnRoles,
  encoding: { categorical: { name: string }[]; multiHot?: { name: string }[]; dense: { name: string }[] },
): ColumnRoles {
  const categorical = encoding.categorical.map(({ name }) => name);
  return {
    ...roles,
    categorical,
    multiHot: encoding.multiHot?.map(({ name }) => name),
    dense: encoding.dense.map(({ name }) => name),
    ...(roles.user ? { userFeature: categorical.includes(roles.user) } : {}),
  };
}
