import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobInfo } from '../../src-shared/api/index.js';
import type { PscAnalysis } from '../../src-shared/types/index.js';
import { describeError } from '../errors.js';
import { useLab } from '../lab.js';
import { onProjectSwitch } from './app.js';
import { useJobsStore } from './jobs.js';
import { useNoticesStore } from './notices.js';

/** The PSC analysis of the selected runs: a job, since it reads every row's predictions. */
export const usePscStore = defineStore('psc', () => {
  const { api } = useLab();
  const jobs = useJobsStore();
  const notices = useNoticesStore();
  const analysis = ref<PscAnalysis | null>(null);
  /** The runs `analysis` belongs to, so the view can tell when the selection moved on. */
  const analysedRunIds = ref<string[]>([]);
  const jobId = ref<string | null>(null);
  const error = ref<string | null>(null);

  /** Counts project switches, so an analysis of the old project's runs that ends later is not shown. */
  let project = 0;
  onProjectSwitch(() => {
    project++;
    analysis.value = null;
    analysedRunIds.value = [];
    error.value = null;
  });

  const job = computed<JobInfo | null>(() => (jobId.value ? (jobs.byId[jobId.value] ?? null) : null));

  async function analyse(runIds: string[], part: 'validation' | 'test' = 'test'): Promise<void> {
    error.value = null;
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
    }
  }

  async function cancel(): Promise<void> {
    if (!jobId.value) return;
    try {
      await jobs.cancel(jobId.value);
    } catch (failure) {
      notices.report('Cancelling the PSC analysis', failure);
    }
  }

  return { analysis, analysedRunIds, jobId, job, error, analyse, cancel };
});
