import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { AppInfo, ProjectSummary } from '../../src-shared/api/index.js';
import { useLab } from '../lab.js';
import type { ConnectionState } from '../transport/index.js';
import { useJobsStore } from './jobs.js';
import { useNoticesStore } from './notices.js';

/** What the whole app shows: the lab's info (backend, models, defaults), the open project, the link state. */
export const useAppStore = defineStore('app', () => {
  const { api, host } = useLab();
  const jobs = useJobsStore();
  const notices = useNoticesStore();
  const info = ref<AppInfo | null>(null);
  const project = ref<ProjectSummary | null>(null);
  const connection = ref<ConnectionState>('connecting');

  api.onEvent((event) => {
    if (event.type === 'project') project.value = event.project;
  });

  async function load(): Promise<void> {
    const reading = async () => {
      info.value = await api.call('app.info', {});
      project.value = info.value.project;
    };
    const outcomes = await Promise.allSettled([reading(), jobs.sync()]);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) notices.report('Connecting to the lab', failed.reason);
  }

  let wasDown = false;
  host.onConnection((state) => {
    connection.value = state;
    if (state === 'reconnecting') wasDown = true;
    // Events sent while the link was down are gone: read the current state again.
    if (state === 'open' && wasDown) {
      wasDown = false;
      void load();
    }
  });

  /** True when the project opened; otherwise the reason is in the messages. */
  async function openProject(path: string, create: boolean): Promise<boolean> {
    try {
      project.value = await api.call('project.open', { path, create });
      return true;
    } catch (error) {
      notices.report(`Opening ${path}`, error);
      return false;
    }
  }

  return { info, project, connection, load, openProject };
});

/**
 * In a store's setup: calls `clear` whenever another project (or none) becomes the open one, however it was opened
 * (the status bar, the desktop menu, a second launch, a reconnect to a lab that opened another): what the store
 * shows belongs to the old project. The same project announced again (its datasets or runs changed) is no switch.
 */
export function onProjectSwitch(clear: () => void): void {
  const app = useAppStore();
  // Synchronously, so nothing of the old project is drawn, or answered into, next to the new one.
  watch(() => app.project?.path ?? null, clear, { flush: 'sync' });
}
