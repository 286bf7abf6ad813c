import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ApiEvent, JobInfo, Params, RunSummary } from '../../src-shared/api/index.js';
import type { StageMetrics } from '../../src-shared/types/index.js';
import { useLab } from '../lab.js';
import { isActive, useJobsStore } from './jobs.js';
import { useNoticesStore } from './notices.js';

/** One model's live progress inside a training job, built from its `train` events. */
export interface ModelProgress {
  model: string;
  rows: number | null;
  /** Global step (across epochs) and the total loss at it. */
  loss: { step: number; loss: number }[];
  epochs: { epoch: number; trainLoss: Record<string, number>; validation?: StageMetrics; improved: boolean }[];
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  samplesPerSecond: number | null;
}

type TrainEventFrame = Extract<ApiEvent, { type: 'train' }>;

function emptyProgress(model: string): ModelProgress {
  return { model, rows: null, loss: [], epochs: [], epoch: 0, step: 0, stepsPerEpoch: 0, samplesPerSecond: null };
}

/** Folds one `train` event into a model's progress; pure, so the curves can be tested without a server. */
export function applyTrainEvent(progress: ModelProgress, event: TrainEventFrame['event']): void {
  if (event.type === 'loaded') {
    progress.rows = event.rows;
  } else if (event.type === 'step') {
    progress.epoch = event.epoch;
    progress.step = event.step;
    progress.stepsPerEpoch = event.stepsPerEpoch;
    progress.samplesPerSecond = event.samplesPerSecond;
    const loss = event.losses.total;
    if (typeof loss === 'number')
      progress.loss.push({ step: (event.epoch - 1) * event.stepsPerEpoch + event.step, loss });
  } else {
    progress.epochs.push({
      epoch: event.epoch,
      trainLoss: event.trainLoss,
      validation: event.validation,
      improved: event.improved,
    });
  }
}

/** The training in view: what was started, each model's live curves, and the runs it produced. */
export const useTrainingStore = defineStore('training', () => {
  const { api } = useLab();
  const jobs = useJobsStore();
  const notices = useNoticesStore();
  const jobId = ref<string | null>(null);
  const progress = ref<Record<string, ModelProgress>>({});
  const finishedRuns = ref<RunSummary[]>([]);
  /** From the click until the job's end is known; the job's own events may lag behind the start. */
  const following = ref(false);

  const job = computed<JobInfo | null>(() => (jobId.value ? (jobs.byId[jobId.value] ?? null) : null));
  const active = computed(() => following.value || (job.value !== null && isActive(job.value)));
  const models = computed(() => Object.values(progress.value));
  const lossSeries = computed(() => models.value.map((m) => ({ model: m.model, points: m.loss })));

  function metricSeries(metric: string) {
    return models.value.map((m) => ({
      model: m.model,
      points: m.epochs.map((e) => ({ epoch: e.epoch, value: e.validation?.[metric] ?? null })),
    }));
  }

  api.onEvent((event) => {
    if (event.type !== 'train' || event.jobId !== jobId.value) return;
    progress.value[event.model] ??= emptyProgress(event.model);
    applyTrainEvent(progress.value[event.model], event.event);
  });

  /** Starts a training job and follows it; resolves with its runs, or null after a failure (reported) or cancel. */
  async function start(params: Params<'training.start'>): Promise<RunSummary[] | null> {
    following.value = true;
    progress.value = Object.fromEntries(params.models.map((model) => [model, emptyProgress(model)]));
    finishedRuns.value = [];
    const context = `Training ${params.models.join(', ')} on ${params.dataset}`;
    try {
      const ref = await api.call('training.start', params);
      jobId.value = ref.jobId;
      const runs = await jobs.wait<'train'>(ref.jobId);
      finishedRuns.value = runs;
      const failed = runs.filter((run) => run.status === 'failed');
      for (const run of failed) notices.report(`${context}: ${run.model}`, new Error(run.error ?? 'failed'));
      return runs;
    } catch (error) {
      notices.report(context, error);
      return null;
    } finally {
      following.value = false;
    }
  }

  async function cancel(): Promise<void> {
    if (!jobId.value) return;
    try {
      await jobs.cancel(jobId.value);
    } catch (error) {
      notices.report('Cancelling the training', error);
    }
  }

  return { jobId, job, active, progress, models, lossSeries, metricSeries, finishedRuns, start, cancel };
});
