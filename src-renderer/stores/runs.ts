import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Params, RunDetail, RunSummary } from '../../src-shared/api/index.js';
import { hasResults } from '../../src-shared/types/index.js';
import { describeError } from '../errors.js';
import { useLab } from '../lab.js';
import { onProjectSwitch } from './app.js';
import { useJobsStore } from './jobs.js';
import { useNoticesStore } from './notices.js';

/**
 * The project's runs and the ones selected for study: Results, PSC and Stages all look at the selection, so a
 * comparison picked once is the same everywhere.
 */
export const useRunsStore = defineStore('runs', () => {
  const { api, host } = useLab();
  const jobs = useJobsStore();
  const notices = useNoticesStore();
  const runs = ref<RunSummary[]>([]);
  const selected = ref<string[]>([]);
  const loading = ref(false);
  const reportJobId = ref<string | null>(null);

  const selectedRuns = computed(() =>
    selected.value.map((id) => runs.value.find((run) => run.id === id)).filter((run) => run !== undefined),
  );
  /** Runs compared together must share a dataset; the first selected run decides which. */
  const selectedDataset = computed(() => selectedRuns.value[0]?.dataset ?? null);

  api.onEvent((event) => {
    if (event.type === 'project') runs.value = event.project?.runs ?? [];
  });
  onProjectSwitch(() => (selected.value = []));

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      runs.value = await api.call('runs.list', {});
      selected.value = selected.value.filter((id) => runs.value.some((run) => run.id === id));
    } catch (error) {
      notices.report('Listing runs', error);
    } finally {
      loading.value = false;
    }
  }

  function select(ids: string[]): void {
    selected.value = [...new Set(ids)];
  }

  function toggle(id: string): void {
    select(selected.value.includes(id) ? selected.value.filter((x) => x !== id) : [...selected.value, id]);
  }

  /** The datasets that have runs with results, newest run first: what a comparison can be made on. */
  const comparableDatasets = computed(() => {
    const newestFirst = [...runs.value].filter(hasResults).reverse();
    return [...new Set(newestFirst.flatMap((run) => (run.dataset === null ? [] : [run.dataset])))];
  });

  /**
   * The dataset the comparison is on: the selection's, or before anything is selected, the one of the newest
   * run with results.
   */
  const comparedDataset = computed(() => selectedDataset.value ?? comparableDatasets.value[0] ?? null);

  /** Switches the comparison to another dataset: the newest run of each model there with results. */
  function showDataset(dataset: string): void {
    const newestByModel = new Map<string, string>();
    for (const run of runs.value) if (run.dataset === dataset && hasResults(run)) newestByModel.set(run.model, run.id);
    select([...newestByModel.values()]);
  }

  /** Adds runs that just finished (a training) and selects them. */
  function adopt(finished: RunSummary[]): void {
    const known = new Set(runs.value.map((run) => run.id));
    runs.value = [...runs.value, ...finished.filter((run) => !known.has(run.id))];
    select(finished.filter(hasResults).map((run) => run.id));
  }

  /** A run's whole record (configs, curves), for its detail; null when it cannot be read (reported). */
  async function detail(id: string): Promise<RunDetail | null> {
    try {
      return await api.call('runs.get', { id });
    } catch (error) {
      notices.report('Reading the run', error);
      return null;
    }
  }

  /** Writes a run's name, tags or notes; the list shows them at once. */
  async function annotate(params: Params<'runs.update'>): Promise<boolean> {
    try {
      const updated = await api.call('runs.update', params);
      runs.value = runs.value.map((run) => (run.id === updated.id ? updated : run));
      return true;
    } catch (error) {
      notices.report('Saving the run', error);
      return false;
    }
  }

  /** Deletes runs with their predictions; the selection forgets them. */
  async function remove(ids: string[]): Promise<boolean> {
    try {
      await api.call('runs.delete', { ids });
      runs.value = runs.value.filter((run) => !ids.includes(run.id));
      selected.value = selected.value.filter((id) => !ids.includes(id));
      return true;
    } catch (error) {
      notices.report(`Deleting ${ids.length === 1 ? 'the run' : `${ids.length} runs`}`, error);
      return false;
    }
  }

  const importJobId = ref<string | null>(null);

  /**
   * Imports a file of predictions made outside the lab as an external run of `dataset` and selects it; the error,
   * with its file:line, is reported and returned for the form to show.
   */
  async function importPredictions(
    file: File,
    params: Omit<Params<'runs.importPredictions'>, 'file'>,
  ): Promise<string | null> {
    try {
      const ref = await api.call('runs.importPredictions', { ...params, file: await host.fileRef(file) });
      importJobId.value = ref.jobId;
      const run = await jobs.wait<'importPredictions'>(ref.jobId);
      adopt([run]);
      // Beside the lab's newest run of each model on the same rows: what the analyst imported it to compare with.
      if (run.dataset) showDataset(run.dataset);
      notices.info('Predictions imported', `${file.name} is now the run "${run.model}" on ${run.dataset}`);
      return null;
    } catch (error) {
      notices.report(`Importing predictions ${file.name}`, error);
      return describeError(error);
    } finally {
      importJobId.value = null;
    }
  }

  /** Writes the PDF report of the selected runs, then opens it (download or system viewer). */
  async function exportPdf(runIds: string[]): Promise<boolean> {
    try {
      const ref = await api.call('report.create', { runIds });
      reportJobId.value = ref.jobId;
      const report = await jobs.wait<'report'>(ref.jobId);
      await host.openFile(report.fileId, async (fileId) => {
        await api.call('files.open', { fileId });
      });
      notices.info('PDF report', `${report.pages} pages written to ${report.path}`);
      return true;
    } catch (error) {
      notices.report('Exporting the PDF report', error);
      return false;
    } finally {
      reportJobId.value = null;
    }
  }

  return {
    runs,
    selected,
    selectedRuns,
    selectedDataset,
    comparableDatasets,
    comparedDataset,
    showDataset,
    loading,
    reportJobId,
    importJobId,
    importPredictions,
    refresh,
    select,
    toggle,
    adopt,
    detail,
    annotate,
    remove,
    exportPdf,
  };
});
