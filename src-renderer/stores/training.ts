import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ApiEvent, JobInfo, ModelJobState, Params, RunSummary, TrainingPlan } from '../../src-shared/api/index.js';
import type { StageMetrics } from '../../src-shared/types/index.js';
import { describeError } from '../errors.js';
import { useLab } from '../lab.js';
import type { TrainingOutcome } from '../train-form.js';
import { isActive, useJobsStore } from './jobs.js';
import { useNoticesStore } from './notices.js';
import { useRunsStore } from './runs.js';

/** One model's live progress inside a training job, built from its `train` events. */
export interface ModelProgress {
  model: string;
  state: ModelJobState;
  /** The stored run, once there is one. */
  runId?: string;
  /** Why it failed. */
  error?: string;
  rows: number | null;
  /** The epochs and steps the training plans (early stopping may end it before). */
  plannedEpochs: number | null;
  maxSteps?: number;
  /** Global step (across epochs), the total loss at it, and every loss term with the total under 'total'. */
  loss: { step: number; loss: number; losses: Record<string, number> }[];
  epochs: {
    epoch: number;
    trainLoss: Record<string, number>;
    validation?: StageMetrics;
    /** The model's own loss terms on the validation rows: what early stopping watches by default. */
    validationLoss?: number;
    /** The measure early stopping watches is the best so far: the model keeps this epoch's weights (so far). */
    improved: boolean;
  }[];
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  samplesPerSecond: number | null;
}

type TrainEventFrame = Extract<ApiEvent, { type: 'train' }>;

function emptyProgress(model: string): ModelProgress {
  return {
    model,
    state: 'queued',
    rows: null,
    plannedEpochs: null,
    loss: [],
    epochs: [],
    epoch: 0,
    step: 0,
    stepsPerEpoch: 0,
    samplesPerSecond: null,
  };
}

/** Folds one `train` event into a model's progress; pure, so the curves can be tested without a server. */
export function applyTrainEvent(progress: ModelProgress, event: TrainEventFrame['event']): void {
  if (event.type === 'loaded') {
    progress.rows = event.rows;
    progress.plannedEpochs = event.epochs ?? null;
    if (event.maxSteps !== undefined) progress.maxSteps = event.maxSteps;
  } else if (event.type === 'state') {
    progress.state = event.state;
    if (event.runId !== undefined) progress.runId = event.runId;
    if (event.error !== undefined) progress.error = event.error;
  } else if (event.type === 'step') {
    progress.epoch = event.epoch;
    progress.step = event.step;
    progress.stepsPerEpoch = event.stepsPerEpoch;
    progress.samplesPerSecond = event.samplesPerSecond;
    const { total } = event.losses;
    if (typeof total === 'number')
      progress.loss.push({
        step: (event.epoch - 1) * event.stepsPerEpoch + event.step,
        loss: total,
        losses: event.losses,
      });
  } else {
    progress.epochs.push({
      epoch: event.epoch,
      trainLoss: event.trainLoss,
      validation: event.validation,
      validationLoss: event.validationLoss,
      improved: event.improved,
    });
  }
}

/** The training in view: what was started, each model's live curves, and the runs it produced. */
export const useTrainingStore = defineStore('training', () => {
  const { api } = useLab();
  const jobs = useJobsStore();
  const notices = useNoticesStore();
  const runs = useRunsStore();
  const jobId = ref<string | null>(null);
  const progress = ref<Record<string, ModelProgress>>({});
  const finishedRuns = ref<RunSummary[]>([]);
  /** What the next training would do (training.plan), for the Train view's line above Start. */
  const plan = ref<TrainingPlan | null>(null);
  const planError = ref<string | null>(null);
  const planning = ref(false);
  let plansAsked = 0;
  /** Per finished run id: how its training ended (epochs run, the epoch kept, why it stopped), from its record. */
  const outcomes = ref<Record<string, TrainingOutcome>>({});
  /** From the click until the job's end is known; the job's own events may lag behind the start. */
  const following = ref(false);

  const job = computed<JobInfo | null>(() => (jobId.value ? (jobs.byId[jobId.value] ?? null) : null));
  const active = computed(() => following.value || (job.value !== null && isActive(job.value)));
  const models = computed(() => Object.values(progress.value));
  const lossSeries = computed(() => models.value.map((m) => ({ model: m.model, points: m.loss })));

  /**
   * Asks what a training with these settings would do on the dataset; null clears the plan (settings with
   * problems). Only the newest question's answer is kept: settings typed quickly must not show an older plan.
   */
  async function loadPlan(params: Params<'training.plan'> | null): Promise<void> {
    const asked = ++plansAsked;
    if (params === null) {
      plan.value = null;
      planError.value = null;
      planning.value = false;
      return;
    }
    planning.value = true;
    try {
      const answer = await api.call('training.plan', params);
      if (asked !== plansAsked) return;
      plan.value = answer;
      planError.value = null;
    } catch (error) {
      if (asked !== plansAsked) return;
      plan.value = null;
      planError.value = describeError(error);
    } finally {
      if (asked === plansAsked) planning.value = false;
    }
  }

  /**
   * The run a model of this training produced: from the job's result, or — for a model that ended while the
   * others went on, or in a cancelled job — from the project's runs.
   */
  function runOf(model: string): RunSummary | undefined {
    const runId = progress.value[model]?.runId;
    return (
      finishedRuns.value.find((run) => run.model === model) ??
      (runId === undefined ? undefined : runs.runs.find((run) => run.id === runId))
    );
  }

  /** Reads how a stored run's training ended; the table falls back on the epoch events without it. */
  async function readOutcome(runId: string): Promise<void> {
    try {
      const detail = await api.call('runs.get', { id: runId });
      const training = detail.record?.training;
      if (training)
        outcomes.value[runId] = {
          status: detail.status,
          epochsRun: training.epochsRun,
          bestEpoch: training.bestEpoch,
          ...(training.stopReason === undefined ? {} : { stopReason: training.stopReason }),
        };
    } catch {
      // The state then comes from the epoch events alone.
    }
  }

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
    // A model that ends while the others train (one cancelled) shows how it ended at once.
    const ended = event.event;
    if (ended.type === 'state' && ended.runId && (ended.state === 'stored' || ended.state === 'cancelled'))
      void readOutcome(ended.runId);
  });

  /** Starts a training job and follows it; resolves with its runs, or null after a failure (reported) or cancel. */
  async function start(params: Params<'training.start'>): Promise<RunSummary[] | null> {
    following.value = true;
    progress.value = Object.fromEntries(params.models.map((model) => [model, emptyProgress(model)]));
    finishedRuns.value = [];
    outcomes.value = {};
    const context = `Training ${params.models.join(', ')} on ${params.dataset}`;
    try {
      const ref = await api.call('training.start', params);
      jobId.value = ref.jobId;
      const ended = await jobs.wait<'train'>(ref.jobId);
      finishedRuns.value = ended;
      const failed = ended.filter((run) => run.status === 'failed');
      for (const run of failed) notices.report(`${context}: ${run.model}`, new Error(run.error ?? 'failed'));
      return ended;
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

  /** Stops one model: it ends after its current step and is stored with its best epoch; the others go on. */
  async function cancelModel(model: string): Promise<void> {
    if (!jobId.value) return;
    try {
      await api.call('jobs.cancel', { jobId: jobId.value, model });
    } catch (error) {
      notices.report(`Cancelling ${model}`, error);
    }
  }

  return {
    jobId,
    job,
    active,
    progress,
    models,
    lossSeries,
    metricSeries,
    finishedRuns,
    outcomes,
    runOf,
    plan,
    planError,
    planning,
    loadPlan,
    start,
    cancel,
    cancelModel,
  };
});
