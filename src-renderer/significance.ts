import type { RunSummary } from '../src-shared/api/index.js';
import type { ModelComparison, PairwiseComparison } from '../src-shared/types/index.js';

/** A pair names its runs by run id or, where the runs' models differ, by model; either finds the run. */
export function runMatches(run: Pick<RunSummary, 'id' | 'model'>, name: string): boolean {
  return run.id === name || run.model === name;
}

/**
 * The runs that beat every other compared run on `metric` with a significant DeLong test (at most one can).
 * A run only ahead of some, or ahead without significance, gets no mark: the mark is a claim the data backs.
 */
export function significantWinners(
  runs: Pick<RunSummary, 'id' | 'model'>[],
  comparison: ModelComparison,
  metric: string,
): Set<string> {
  const winners = new Set<string>();
  const pairs = comparison.pairs.filter((pair) => pair.metric === metric);
  if (runs.length < 2 || pairs.length === 0) return winners;
  for (const run of runs) {
    const others = runs.filter((other) => other.id !== run.id);
    const beatsAll = others.every((other) =>
      pairs.some((pair) => pair.significant && winnerOf(pair, run, other) === 'first'),
    );
    if (beatsAll) winners.add(run.id);
  }
  return winners;
}

function winnerOf(
  pair: PairwiseComparison,
  first: Pick<RunSummary, 'id' | 'model'>,
  second: Pick<RunSummary, 'id' | 'model'>,
): 'first' | 'second' | null {
  if (runMatches(first, pair.modelA) && runMatches(second, pair.modelB))
    return pair.difference > 0 ? 'first' : 'second';
  if (runMatches(first, pair.modelB) && runMatches(second, pair.modelA))
    return pair.difference < 0 ? 'first' : 'second';
  return null;
}
