import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobInfo, RunSummary } from '../../src-shared/api/index.js';
import { runLabels } from '../../src-shared/charts/index.js';
import type { PscAnalysis } from '../../src-shared/types/index.js';
import { describeError } from '../errors.js';
import { useLab } from '../lab.js';
import { onProjectSwitch } from './app.js';
import { useJobsStore } from './jobs.js';
import { useNoticesStore } from './notices.js';
import { useRunsStore } from './runs.js';

const key = (runIds: string[]) => runIds.join(',');

/**
 * The PSC analysis of the selected runs: a job, since it reads every row's predictions. The PSC view shows all of
 * it, the Results view its verdict; both ask for it with `ensure` when they are shown.
 */
export const usePscStore = defineStore('psc', () => {
  const { api } = useLab();
  const jobs = useJobsStore();
  const notices = useNoticesStore();
  const runs = useRunsStore();
  const analysis = ref<PscAnalysis | null>(null);
  /** The runs `analysis` belongs to, so the views can tell when the selection moved on. */
  const analysedRunIds = ref<string[]>([]);
  const jobId = ref<string | null>(null);
  /** From the request to the answer: an analysis is being asked for or computed. */
  const busy = ref(false);
  const error = ref<string | null>(null);
  /** The runs a view last asked for with `ensure`: analysed once the running analysis ends, if it was of others. */
  let wanted: string[] = [];

  /** Counts project switches, so an analysis of the old project's runs that ends later is not shown. */
  let project = 0;
  onProjectSwitch(() => {
    project++;
    analysis.value = null;
    analysedRunIds.value = [];
    error.value = null;
    wanted = [];
  });

  const job = computed<JobInfo | null>(() => (jobId.value ? (jobs.byId[jobId.value] ?? null) : null));
  /** The analysis of the runs selected now; null while they have not been analysed. */
  const current = computed(() => (key(analysedRunIds.value) === key(runs.selected) ? analysis.value : null));
  /** The analysis names models as runLabels does over the analysed runs: each name's run, for its badge. */
  const runsByName = computed(() => {
    const analysed = analysedRunIds.value
      .map((id) => runs.runs.find((run) => run.id === id))
      .filter((run) => run !== undefined);
    const labels = runLabels(analysed.map((run) => ({ runId: run.id, model: run.model })));
    return new Map<string, RunSummary>(analysed.map((run) => [labels.get(run.id)!, run]));
  });

  async function analyse(runIds: string[], part: 'validation' | 'test' = 'test'): Promise<void> {
    error.value = null;
    busy.value = true;
    const asked = project;
    try {
      const ref = await api.call('psc.analyse', { runIds, part });
      jobId.value = ref.jobId;
      const answer = await jobs.wait<'analyse'>(ref.jobId);
      if (asked !== project) return;
      analysis.value = answer;
      analysedRunIds.value = [...runIds];
    } catch (failure) {
      notices.report('Analysing PSC', failure);
      if (asked === project) error.value = describeError(failure);
    } finally {
      jobId.value = null;
      busy.value = false;
      // A view asked for other runs meanwhile: their turn now (never the same runs again, so a failure ends here).
      if (asked === project && wanted.length > 0 && key(wanted) !== key(runIds)) ensure(wanted);
    }
  }

  /** Analyses these runs unless they are analysed already or an analysis is running (then once it ends). */
  function ensure(runIds: string[]): void {
    wanted = [...runIds];
    if (runIds.length === 0 || busy.value || key(runIds) === key(analysedRunIds.value)) return;
    void analyse(runIds);
  }

  async function cancel(): Promise<void> {
    if (!jobId.value) return;
    try {
      await jobs.cancel(jobId.value);
    } catch (failure) {
      notices.report('Cancelling the PSC analysis', failure);
    }
  }

  return { analysis, analysedRunIds, current, runsByName, jobId, job, busy, error, analyse, ensure, cancel };
});
