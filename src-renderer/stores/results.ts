import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ResultsView } from '../../src-shared/api/index.js';
import { describeError } from '../errors.js';
import { useLab } from '../lab.js';
import { useNoticesStore } from './notices.js';

export type Part = 'validation' | 'test';

/** The metrics, intervals, pairwise tests and curves of the selected runs on one held-out part. */
export const useResultsStore = defineStore('results', () => {
  const { api } = useLab();
  const notices = useNoticesStore();
  const view = ref<ResultsView | null>(null);
  const part = ref<Part>('test');
  const loading = ref(false);
  const error = ref<string | null>(null);
  let latest = 0;

  async function load(runIds: string[]): Promise<void> {
    if (runIds.length === 0) {
      view.value = null;
      return;
    }
    const request = ++latest;
    loading.value = true;
    error.value = null;
    try {
      const answer = await api.call('results.compare', { runIds, part: part.value });
      // A slower answer to an older selection must not replace the newer one.
      if (request === latest) view.value = answer;
    } catch (failure) {
      if (request === latest) {
        view.value = null;
        notices.report('Comparing runs', failure);
        error.value = describeError(failure);
      }
    } finally {
      if (request === latest) loading.value = false;
    }
  }

  return { view, part, loading, error, load };
});
