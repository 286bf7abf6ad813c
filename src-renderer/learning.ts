import type { RunSummary } from '../src-shared/api/index.js';
import { hasResults, LEARNING_DEFINITION } from '../src-shared/types/index.js';

/** What the views say about a run's "did it learn?" check; 'none' for runs without results (nothing to check). */
export type Verdict = 'learned' | 'not-learned' | 'untestable' | 'unchecked' | 'none';

type Checked = Pick<RunSummary, 'status' | 'learning' | 'metrics'>;

export const VERDICT_LABELS: Record<Exclude<Verdict, 'none'>, string> = {
  learned: 'Learned',
  'not-learned': 'Not learned',
  untestable: 'Not testable',
  unchecked: 'not checked',
};

/** The note beside a run that did not learn, wherever its numbers are shown. */
export const NOT_RESULTS = 'Not learned: its numbers are not results.';

const UNCHECKED = 'Trained before ESMC Lab checked whether a run learned: train it again to have it checked.';

export function verdictOf(run: Checked): Verdict {
  if (!hasResults(run)) return 'none';
  return run.learning?.status ?? 'unchecked';
}

/** The run's numbers are not results: it is shown de-emphasised and never ranked. */
export function isNotLearned(run: Checked): boolean {
  return run.learning?.status === 'not-learned';
}

/** For a hover: the run's own summary with its numbers, then what "learned" means. */
export function verdictTitle(run: Checked): string {
  const summary = run.learning?.summary ?? UNCHECKED;
  return `${summary}\n\n${LEARNING_DEFINITION}`;
}

/** The summary without its leading "Not learned: ", for text that already says so. */
export function verdictDetail(run: Checked): string {
  return (run.learning?.summary ?? UNCHECKED).replace(/^Not learned: /, '');
}
