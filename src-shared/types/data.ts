/**
 * The plain-JSON shapes of the data side: column roles, import findings, splits and the dataset profile. Shared by
 * the engine (src-main/engine) and the renderer, so pure types and plain constants only: no Node, no engine imports.
 */
/**
 * What each CSV column is for. Suggested from names and sample values, then shown to the user, who may edit
 * any of it before loading; so it is plain data, and it is saved inside a model's feature encoding.
 */
export interface ColumnRoles {
  /** The click label; '' when no column looked like one and the user still has to pick it. */
  click: string;
  /** In-shop action labels (cart, wish-list, …), OR-ed into one; undefined or empty when the data has none. */
  action?: string[];
  /** The purchase label on the whole exposure space (CTCVR); '' when still to be picked. */
  purchase: string;
  /** Groups rows per user for GAUC and user splits; by default also a categorical feature (see userFeature). */
  user?: string;
  /**
   * Whether the user column is also a categorical feature: absent or true = yes, false = the user key only.
   * The encoders add the user column to the categorical features when it is not listed already (it need not be
   * in `categorical`); its values seen fewer than 2 times in the fitted rows share id 0, whatever the minimum
   * count, so its table stays bounded. A saved encoding lists its categorical fields explicitly and is scored
   * with exactly those, so encodings saved before this switch existed keep meaning what they meant.
   */
  userFeature?: boolean;
  categorical: string[];
  /**
   * Bags of tokens in one cell joined by `|` (e.g. interest tags "3|17|42"), pooled into one embedding.
   * Undefined or empty when the data has none; roles saved before multi-hot support lack it.
   */
  multiHot?: string[];
  dense: string[];
  /** Known per-row probabilities of simulated data (true_ctr, true_cvr, …), kept for evaluation only. */
  truth: string[];
  ignore: string[];
  /** Orders rows for time splits; not a feature. Undefined when the data has no time column. */
  timestamp?: string;
  /** The item key, for per-item slices; like the user column it may also be a categorical feature. */
  item?: string;
}

export interface Finding {
  /** 'error' findings stop an import; the CSV loader throws a DataError instead of reporting them. */
  severity: 'info' | 'warning' | 'error';
  code: string;
  message: string;
  column?: string;
  count: number;
  exampleLines: number[];
}

/** What to do with rows whose purchase or in-shop action has no click before it. */
export type FunnelPolicy = 'drop' | 'keep' | 'fail';

export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

/** The split every comparison uses unless told otherwise. */
export const DEFAULT_SPLIT: SplitFractions = { train: 0.8, validation: 0.1, test: 0.1 };

export type SplitKind = 'random' | 'time' | 'user';
export const SPLIT_KINDS: SplitKind[] = ['random', 'time', 'user'];

export interface SplitSummary {
  dataset: string;
  split: string;
  kind: SplitKind;
  seed: number | null;
  fractions: SplitFractions;
  counts: Record<keyof SplitFractions, number>;
}

/**
 * Counts along exposure → click → in-shop action → purchase. Actions and purchases count only clicked rows,
 * the space the models' CVR lives in; rows that break the funnel (kept by policy) are counted apart.
 */
export interface FunnelCounts {
  exposures: number;
  clicks: number;
  /** Null when the data has no in-shop action label. */
  actions: number | null;
  purchases: number;
  purchasesWithAction: number | null;
  purchasesWithoutAction: number | null;
  /** Rows with a purchase or action but no click; 0 unless the import kept them. */
  funnelViolations: number;
}

export interface FunnelRates {
  /** clicks / exposures */
  ctr: number | null;
  /** actions / clicks */
  avr: number | null;
  /** purchases / clicks */
  cvr: number | null;
  /** actions / exposures */
  ctavr: number | null;
  /** purchases / exposures */
  ctcvr: number | null;
  /** P(purchase | action, click) */
  buyGivenAction: number | null;
  /** P(purchase | no action, click) */
  buyGivenNoAction: number | null;
  /** P(no action | purchase, click): the share of purchases the chain rule cannot explain (PSC). */
  pscShare: number | null;
}

export interface Funnel {
  counts: FunnelCounts;
  rates: FunnelRates;
}

export type ColumnKind = 'categorical' | 'multiHot' | 'dense' | 'truth';

export interface ColumnStats {
  name: string;
  kind: ColumnKind;
  missing: number;
  /** Distinct values (categorical) or tokens (multi-hot). */
  distinct?: number;
  /** The most frequent values with their row counts (categorical) or token counts (multi-hot). */
  top?: { value: string; count: number }[];
  mean?: number | null;
  std?: number | null;
  min?: number | null;
  max?: number | null;
  /** Mean tokens per bag (multi-hot). */
  meanLength?: number | null;
}

/**
 * The funnel among the rows holding one of a categorical column's most frequent values, or (isOther) among all
 * the column's other rows: values beyond the top K, values with too few clicks and missing ones. Profiles stored
 * before "other" existed have neither isOther nor distinctValues and no "other" slice.
 */
export interface SliceFunnel {
  column: string;
  value: string;
  funnel: Funnel;
  /** The merged slice of every value not kept, listed last. */
  isOther?: boolean;
  /** Distinct values merged into the "other" slice (missing counts as one); 1 for a kept value. */
  distinctValues?: number;
}

/** What the dataset view shows; plain JSON, stored in `datasets.profile`. */
export interface DatasetProfile {
  rows: number;
  funnel: Funnel;
  columns: ColumnStats[];
  slices: SliceFunnel[];
}

/** The input formats the importers read; 'auto' guesses from the file's name and header. */
export const IMPORT_FORMATS = [
  'auto',
  'csv',
  'parquet',
  'jsonl',
  'aliccp-raw',
  'aliccp-paddle',
  'aliccp',
  'aliexpress',
  'taobao',
  'simulator',
] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The simulator's presets (their settings live in the engine's simulate/config.ts). */
export const SIMULATOR_PRESET_NAMES = ['no-psc', 'paper-like', 'taobao-like'] as const;
export type SimulatorPreset = (typeof SIMULATOR_PRESET_NAMES)[number];
