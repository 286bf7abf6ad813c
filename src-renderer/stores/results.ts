import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ResultsView } from '../../src-shared/api/index.js';
import { describeError } from '../errors.js';
import { useLab } from '../lab.js';
import { onProjectSwitch } from './app.js';
import { newestOnly } from './newest.js';
import { useNoticesStore } from './notices.js';

export type Part = 'validation' | 'test';

/** The metrics, intervals, pairwise tests and curves of the selected runs on one held-out part. */
export const useResultsStore = defineStore('results', () => {
  const { api } = useLab();
  const notices = useNoticesStore();
  const view = ref<ResultsView | null>(null);
  const part = ref<Part>('test');
  const error = ref<string | null>(null);
  const { loading, run, drop } = newestOnly();
  onProjectSwitch(() => {
    drop();
    view.value = null;
    error.value = null;
  });

  async function load(runIds: string[]): Promise<void> {
    error.value = null;
    if (runIds.length === 0) {
      drop();
      view.value = null;
      return;
    }
    await run(
      () => api.call('results.compare', { runIds, part: part.value }),
      (answer) => (view.value = answer),
      (failure) => {
        view.value = null;
        notices.report('Comparing runs', failure);
        error.value = describeError(failure);
      },
    );
  }

  return { view, part, loading, error, load };
});
