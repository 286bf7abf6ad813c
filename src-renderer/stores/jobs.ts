import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { jobOutcome } from '../../src-shared/api/client.js';
import { ApiError } from '../../src-shared/api/errors.js';
import type { JobInfo, JobKind, JobResults } from '../../src-shared/api/index.js';
import { useLab } from '../lab.js';

interface Waiter {
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
  /** How many job lists had been asked for when the wait began. */
  since: number;
}

const ACTIVE: JobInfo['state'][] = ['queued', 'running'];

export function isActive(job: JobInfo): boolean {
  return ACTIVE.includes(job.state);
}

/** Every job the Node side runs, kept current by `job` events (and re-read after a reconnect). */
export const useJobsStore = defineStore('jobs', () => {
  const { api } = useLab();
  const byId = ref<Record<string, JobInfo>>({});

  const all = computed(() => Object.values(byId.value).sort((a, b) => a.startedAt.localeCompare(b.startedAt)));
  const running = computed(() => all.value.filter(isActive));

  /** The stores' waits, settled by whatever brings a job's end: its event, a job list after a reconnect, a cancel. */
  const waiters = new Map<string, Waiter[]>();
  let listsAsked = 0;

  function apply(job: JobInfo): void {
    const known = byId.value[job.id];
    // Events may overtake a jobs.list answer; a finished job never goes back to running.
    if (known && !isActive(known) && isActive(job)) return;
    byId.value[job.id] = job;
    const outcome = jobOutcome(job);
    const waiting = waiters.get(job.id);
    if (!outcome || !waiting) return;
    waiters.delete(job.id);
    for (const waiter of waiting) {
      if ('error' in outcome) waiter.reject(outcome.error);
      else waiter.resolve(outcome.result);
    }
  }

  api.onEvent((event) => {
    if (event.type === 'job') apply(event.job);
  });

  async function sync(): Promise<void> {
    const asked = ++listsAsked;
    const list = await api.call('jobs.list', {});
    for (const job of list) apply(job);
    // A job missing from a list asked for after its wait began is gone (the lab restarted, or forgot it after
    // many newer ones): it will never send its end, so waiting would keep its buttons disabled for good.
    const listed = new Set(list.map((job) => job.id));
    for (const [id, waiting] of waiters) {
      if (listed.has(id)) continue;
      const gone = waiting.filter((waiter) => waiter.since < asked);
      if (gone.length === 0) continue;
      const still = waiting.filter((waiter) => waiter.since >= asked);
      if (still.length > 0) waiters.set(id, still);
      else waiters.delete(id);
      for (const waiter of gone) waiter.reject(new ApiError('not-found', 'The lab no longer knows this job'));
    }
  }

  async function cancel(jobId: string): Promise<void> {
    apply(await api.call('jobs.cancel', { jobId }));
  }

  /**
   * The job's result when it is done; rejects with its error when it fails or is cancelled. The store already
   * follows every job, so a job that ended before the wait began is known here, and one that ends while the link
   * is down is settled by the job list read after the reconnect.
   */
  function wait<K extends JobKind>(jobId: string): Promise<JobResults[K]> {
    return new Promise((resolve, reject) => {
      const known = byId.value[jobId];
      const outcome = known ? jobOutcome<K>(known) : null;
      if (outcome) {
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.result);
        return;
      }
      const waiter = { resolve: resolve as (result: unknown) => void, reject, since: listsAsked };
      waiters.set(jobId, [...(waiters.get(jobId) ?? []), waiter]);
    });
  }

  return { byId, all, running, apply, sync, cancel, wait };
});
