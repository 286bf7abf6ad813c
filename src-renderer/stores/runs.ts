import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { RunSummary } from '../../src-shared/api/index.js';
import { hasResults } from '../../src-shared/types/index.js';
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

  /** Adds runs that just finished (a training) and selects them. */
  function adopt(finished: RunSummary[]): void {
    const known = new Set(runs.value.map((run) => run.id));
    runs.value = [...runs.value, ...finished.filter((run) => !known.has(run.id))];
    select(finished.filter(hasResults).map((run) => run.id));
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
    loading,
    reportJobId,
    refresh,
    select,
    toggle,
    adopt,
    exportPdf,
  };
});
