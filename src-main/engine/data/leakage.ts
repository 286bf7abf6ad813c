import type { ColumnRoles } from './roles.js';

/**
 * A feature that nearly determines a label hands the models the answer as surely as a copy of it does: a flag
 * that equals the click but for a few rows out of sync, a status column written after the purchase. Copies are
 * refused row by row (`feature-copies-label`); this rule catches the near ones from the label counts of each
 * categorical value, which both doors already have (the import's VALUES table, the CSV loader's vocabularies).
 */

/**
 * Values seen fewer times than this count as predicting nothing: an id column seen once per row would otherwise
 * look pure, each of its values holding one class only.
 */
export const LEAK_MIN_VALUE_ROWS = 20;
/** Fewer rows than this in the label's rarer class, and a pure-looking column may be chance. */
export const LEAK_MIN_CLASS_ROWS = 20;
/** A feature nearly determines a label when at most this share of the rarer class's rows disagrees with it. */
export const LEAK_MAX_ERROR_SHARE = 0.01;

/** One value of a feature column: how many of its rows have the label 1, and 0. */
export interface ValueLabelCounts {
  positives: number;
  negatives: number;
  /** A missing cell (id 0) predicts nothing, however many rows have it. */
  missing?: boolean;
}

/**
 * A label's rows as a feature's values split them: what `determination` decides on. The import sums it in SQL
 * over VALUES (importers/validate.ts); `tallyValues` sums it from per-value counts.
 */
export interface LabelTally {
  positives: number;
  negatives: number;
  /** Σ min(positives, negatives) over the values seen at least LEAK_MIN_VALUE_ROWS times (and not missing). */
  minorities: number;
  /** The rows of the other values (rarer or missing), by label. */
  undeterminedPositives: number;
  undeterminedNegatives: number;
}

export interface LabelDetermination {
  rows: number;
  positives: number;
  negatives: number;
  /**
   * Rows the values get wrong: each counted value's minority, and every row of the rarer class in the values that
   * cannot count (they would have to be guessed, and the guess that costs least is the commoner class).
   */
  errors: number;
  /** The rarer class's rows, the scale `errors` is judged on; `rarerLabel` is that class (1 or 0). */
  rarer: number;
  rarerLabel: 0 | 1;
  determines: boolean;
}

export function tallyValues(values: Iterable<ValueLabelCounts>): LabelTally {
  const tally: LabelTally = {
    positives: 0,
    negatives: 0,
    minorities: 0,
    undeterminedPositives: 0,
    undeterminedNegatives: 0,
  };
  for (const { positives, negatives, missing } of values) {
    tally.positives += positives;
    tally.negatives += negatives;
    if (!missing && positives + negatives >= LEAK_MIN_VALUE_ROWS) tally.minorities += Math.min(positives, negatives);
    else {
      tally.undeterminedPositives += positives;
      tally.undeterminedNegatives += negatives;
    }
  }
  return tally;
}

/**
 * Whether the values nearly determine the label: the rarer class has at least LEAK_MIN_CLASS_ROWS rows, and the
 * rows the values get wrong are at most LEAK_MAX_ERROR_SHARE of them. Judged against the rarer class, not all
 * rows: a constant column is right on 99% of rows where 1% of them click, and must not pass.
 */
export function determination(tally: LabelTally): LabelDetermination {
  const { positives, negatives } = tally;
  const rarerLabel = positives <= negatives ? 1 : 0;
  const rarer = Math.min(positives, negatives);
  const errors = tally.minorities + (rarerLabel === 1 ? tally.undeterminedPositives : tally.undeterminedNegatives);
  return {
    rows: positives + negatives,
    positives,
    negatives,
    errors,
    rarer,
    rarerLabel,
    determines: rarer >= LEAK_MIN_CLASS_ROWS && errors <= LEAK_MAX_ERROR_SHARE * rarer,
  };
}

/** `determination` of a feature's values, given one by one. */
export const labelDetermination = (values: Iterable<ValueLabelCounts>): LabelDetermination =>
  determination(tallyValues(values));

/** The labels a feature is checked against, named as the messages name them. */
export type CheckedLabel = 'click' | 'action' | 'purchase';

/**
 * The click, the action and the purchase label, in the order both doors check them (so both name the same pair
 * first). The action label is any of the action columns, as the models see it.
 */
export function checkedLabels(roles: ColumnRoles): { label: CheckedLabel; name: string }[] {
  const actions = roles.action ?? [];
  return [
    { label: 'click', name: roles.click },
    ...(actions.length > 0 ? [{ label: 'action' as const, name: actions.join(' or ') }] : []),
    { label: 'purchase', name: roles.purchase },
  ];
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Why a feature column that nearly determines a label is refused, in the words every door uses, with the numbers
 * that make the rule checkable: the rows it predicts, and the rows that disagree against the rarer class.
 */
export function labelDeterminesMessage(feature: string, label: string, found: LabelDetermination): string {
  // Rounded down, so that a few disagreeing rows never read as 100%.
  const share = Math.floor((1000 * (found.rows - found.errors)) / found.rows) / 10;
  const evidence =
    found.errors === 0
      ? `its values predict it on all ${count(found.rows)} rows`
      : `its values predict it on ${share}% of ${count(found.rows)} rows: ${count(found.errors)} disagree${found.errors === 1 ? 's' : ''}, ` +
        `within ${LEAK_MAX_ERROR_SHARE * 100}% of the ${count(found.rarer)} with ${label} = ${found.rarerLabel}`;
  return (
    `column "${feature}" ${found.errors === 0 ? 'determines' : 'nearly determines'} the label "${label}" ` +
    `(${evidence}): as a feature it would give the models the answer (set its role to ignore)`
  );
}
