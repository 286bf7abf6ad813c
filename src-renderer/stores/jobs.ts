import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobInfo, JobKind, JobResults } from '../../src-shared/api/index.js';
import { useLab } from '../lab.js';

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

  function apply(job: JobInfo): void {
    const known = byId.value[job.id];
    // Events may overtake a jobs.list answer; a finished job never goes back to running.
    if (known && !isActive(known) && isActive(job)) return;
    byId.value[job.id] = job;
  }

  api.onEvent((event) => {
    if (event.type === 'job') apply(event.job);
  });

  async function sync(): Promise<void> {
    for (const job of await api.call('jobs.list', {})) apply(job);
  }

  async function cancel(jobId: string): Promise<void> {
    apply(await api.call('jobs.cancel', { jobId }));
  }

  /** The job's result when it is done; rejects with its error when it fails or is cancelled. */
  function wait<K extends JobKind>(jobId: string): Promise<JobResults[K]> {
    return api.waitForJob<K>(jobId, apply);
  }

  return { byId, all, running, apply, sync, cancel, wait };
});
