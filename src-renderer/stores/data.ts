import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { DatasetDetail, FileInspection, FileRef, JobInfo, Params } from '../../src-shared/api/index.js';
import type { ColumnRoles } from '../../src-shared/types/index.js';
import { describeError } from '../errors.js';
import { useLab } from '../lab.js';
import { onProjectSwitch } from './app.js';
import { useJobsStore } from './jobs.js';
import { useNoticesStore } from './notices.js';

/** A dropped file on its way in: inspected, its roles edited, then imported (or failed, with the reason). */
export interface PendingFile {
  key: number;
  inspection: FileInspection;
  datasetName: string;
  roles: ColumnRoles;
  jobId: string | null;
  error: string | null;
}

/** A file name without its extension, cut to what the API accepts as a dataset name. */
export function datasetNameFor(fileName: string): string {
  const base = (fileName.split(/[\\/]/).at(-1) ?? '').replace(
    /\.(csv|tsv|txt|parquet|pq|jsonl|ndjson|json)(\.gz)?$/i,
    '',
  );
  return (base.trim() || 'dataset').slice(0, 200);
}

/** The Data view's state: files being inspected and imported, the simulator, the dataset being shown. */
export const useDataStore = defineStore('data', () => {
  const { api, host } = useLab();
  const jobs = useJobsStore();
  const notices = useNoticesStore();
  const pending = ref<PendingFile[]>([]);
  const inspecting = ref(0);
  const dataset = ref<DatasetDetail | null>(null);
  const simulateJobId = ref<string | null>(null);
  let nextKey = 1;
  /** Counts project switches, so a dataset of the old project that arrives later (an import ending) is not shown. */
  let project = 0;
  onProjectSwitch(() => {
    project++;
    dataset.value = null;
  });

  /** Shows a dataset unless another project was opened since it was asked for. */
  function showAnswer(asked: number, answer: DatasetDetail): void {
    if (asked === project) dataset.value = answer;
  }

  const simulateJob = computed<JobInfo | null>(() =>
    simulateJobId.value ? (jobs.byId[simulateJobId.value] ?? null) : null,
  );

  /** Reads each file's columns, samples and suggested roles; each file fails or succeeds on its own. */
  async function addFiles(files: File[]): Promise<void> {
    await Promise.all(files.map((file) => inspect(file.name, () => host.fileRef(file))));
  }

  /** A file the shell already knows (the desktop's File › Import data…). */
  async function inspectRef(file: FileRef): Promise<void> {
    await inspect(file.kind === 'path' ? file.path : file.name, async () => file);
  }

  async function inspect(label: string, resolve: () => Promise<FileRef>): Promise<void> {
    inspecting.value++;
    try {
      const inspection = await api.call('files.inspect', { file: await resolve() });
      pending.value.push({
        key: nextKey++,
        inspection,
        datasetName: datasetNameFor(inspection.fileName || label),
        roles: JSON.parse(JSON.stringify(inspection.suggestedRoles)) as ColumnRoles,
        jobId: null,
        error: null,
      });
    } catch (error) {
      notices.report(`Reading ${label}`, error);
    } finally {
      inspecting.value--;
    }
  }

  function discard(key: number): void {
    pending.value = pending.value.filter((file) => file.key !== key);
  }

  /** Imports one inspected file with the roles as edited; on success it becomes the dataset in view. */
  async function importFile(key: number, replace = false): Promise<boolean> {
    const file = pending.value.find((candidate) => candidate.key === key);
    if (!file) return false;
    file.error = null;
    const asked = project;
    try {
      const ref = await api.call('datasets.import', {
        file: file.inspection.file,
        name: file.datasetName,
        format: file.inspection.format,
        roles: file.roles,
        replace,
      });
      file.jobId = ref.jobId;
      showAnswer(asked, await jobs.wait<'import'>(ref.jobId));
      discard(key);
      return true;
    } catch (error) {
      file.jobId = null;
      notices.report(`Importing ${file.inspection.fileName}`, error);
      file.error = describeError(error);
      return false;
    }
  }

  async function simulate(params: Params<'datasets.simulate'>): Promise<boolean> {
    const asked = project;
    try {
      const ref = await api.call('datasets.simulate', params);
      simulateJobId.value = ref.jobId;
      showAnswer(asked, await jobs.wait<'simulate'>(ref.jobId));
      return true;
    } catch (error) {
      notices.report(`Simulating ${params.preset}`, error);
      return false;
    } finally {
      simulateJobId.value = null;
    }
  }

  async function show(name: string): Promise<void> {
    const asked = project;
    try {
      showAnswer(asked, await api.call('datasets.get', { name }));
    } catch (error) {
      notices.report(`Opening dataset ${name}`, error);
    }
  }

  return { pending, inspecting, dataset, simulateJob, addFiles, inspectRef, discard, importFile, simulate, show };
});
