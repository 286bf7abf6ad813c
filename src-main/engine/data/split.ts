import { takeRows, type EncodedDataset } from './dataset.js';
import { Random } from '../random.js';
import type { SplitFractions } from '../../../src-shared/types/data.js';

export type { SplitFractions } from '../../../src-shared/types/data.js';
export { DEFAULT_SPLIT } from '../../../src-shared/types/data.js';

/** Row indices of each part, ascending, so every part keeps the file's order. */
export interface SplitIndices {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

type Part = keyof SplitIndices;

export function checkFractions(fractions: SplitFractions): void {
  const { train, validation, test } = fractions;
  const valid = [train, validation, test].every((f) => Number.isFinite(f) && f >= 0);
  if (!valid || Math.abs(train + validation + test - 1) > 1e-6) {
    throw new RangeError(`split fractions must be ≥ 0 and sum to 1, got ${JSON.stringify(fractions)}`);
  }
}

/** Which part the item at `position` (of `total`, in shuffled order) falls into. */
function partAt(position: number, total: number, fractions: SplitFractions): Part {
  if (position < Math.round(total * fractions.train)) return 'train';
  if (position < Math.round(total * (fractions.train + fractions.validation))) return 'validation';
  return 'test';
}

/** The parts of a split, in the order they are stored and listed. */
export const SPLIT_PARTS: readonly Part[] = ['train', 'validation', 'test'];

function collect(rows: number, partOfRow: (row: number) => Part): SplitIndices {
  // Counted, then filled into typed arrays: pushing 10M row numbers onto arrays first took seconds.
  const codes = new Uint8Array(rows);
  const sizes = [0, 0, 0];
  for (let row = 0; row < rows; row++) sizes[(codes[row] = SPLIT_PARTS.indexOf(partOfRow(row)))]++;
  const parts = sizes.map((size) => new Int32Array(size));
  const filled = [0, 0, 0];
  for (let row = 0; row < rows; row++) parts[codes[row]][filled[codes[row]]++] = row;
  return { train: parts[0], validation: parts[1], test: parts[2] };
}

/** A seeded random split of rows: the same seed gives the same parts on every run. */
export function splitRows(rows: number, fractions: SplitFractions, seed: number): SplitIndices {
  checkFractions(fractions);
  const order = new Int32Array(rows);
  for (let row = 0; row < rows; row++) order[row] = row;
  new Random(seed).shuffle(order);
  const positions = new Int32Array(rows);
  for (let position = 0; position < rows; position++) positions[order[position]] = position;
  return collect(rows, (row) => partAt(positions[row], rows, fractions));
}

/**
 * A seeded split that keeps all rows of a user in one part, so validation measures generalization to new
 * users. Users are shuffled and the parts filled by row count, so the fractions hold for rows, not users.
 */
export function splitByUser(userIds: Int32Array, fractions: SplitFractions, seed: number): SplitIndices {
  checkFractions(fractions);
  const rowsPerUser = new Map<number, number>();
  for (const user of userIds) rowsPerUser.set(user, (rowsPerUser.get(user) ?? 0) + 1);
  // Sorted first so that the shuffle, not the order users first appear in, decides the parts.
  const users = [...rowsPerUser].sort(([a], [b]) => a - b);
  const order = new Random(seed).shuffle(Int32Array.from(users.keys()));
  const partOfUser = new Map<number, Part>();
  let rowsBefore = 0;
  for (const index of order) {
    const [user, rows] = users[index];
    // A user goes where the middle of its rows falls, so a big user straddling a boundary lands on the nearer side.
    partOfUser.set(user, partAt(rowsBefore + rows / 2, userIds.length, fractions));
    rowsBefore += rows;
  }
  return collect(userIds.length, (row) => partOfUser.get(userIds[row]) as Part);
}

export function takeSplit(data: EncodedDataset, split: SplitIndices): Record<Part, EncodedDataset> {
  return {
    train: takeRows(data, split.train),
    validation: takeRows(data, split.validation),
    test: takeRows(data, split.test),
  };
}
