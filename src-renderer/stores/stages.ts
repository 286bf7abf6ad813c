import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Params, RowsPage, StageRow } from '../../src-shared/api/index.js';
import { useLab } from '../lab.js';
import { onProjectSwitch } from './app.js';
import { newestOnly } from './newest.js';
import { useNoticesStore } from './notices.js';
import { useJobsStore } from './jobs.js';

export type RowFilterName = 'all' | 'clicked' | 'action' | 'purchase' | 'psc';
type RowFilter = NonNullable<Params<'stages.rows'>['filter']>;
export type ColumnRange = NonNullable<Params<'stages.rows'>['ranges']>[number];

export const ROW_FILTERS: Record<RowFilterName, { label: string; filter: RowFilter | undefined }> = {
  all: { label: 'All exposures in the test part', filter: undefined },
  clicked: { label: 'Clicked', filter: { click: 1 } },
  action: { label: 'Clicked with an in-shop action', filter: { click: 1, action: 1 } },
  purchase: { label: 'Purchased', filter: { purchase: 1 } },
  psc: { label: 'Purchased without an action (PSC)', filter: { pscOnly: true } },
};

export const PAGE_SIZE = 50;

/**
 * The run a column key belongs to: "<runId>:<stage>", "gap:<runId>" and "error:<runId>" name one; labels
 * ("purchase") and the truth ("truth:cvr") belong to none.
 */
export function runOfKey(key: string): string | null {
  const derived = /^(gap|error):(.+)$/.exec(key);
  if (derived) return derived[2];
  const colon = key.lastIndexOf(':');
  if (colon < 0) return null;
  const prefix = key.slice(0, colon);
  return prefix === 'truth' ? null : prefix;
}

/** The per-row inspector: one page of rows at a time from the Node side, never the whole table. */
export const useStagesStore = defineStore('stages', () => {
  const { api, host } = useLab();
  const notices = useNoticesStore();
  const jobs = useJobsStore();
  const page = ref<RowsPage | null>(null);
  const filter = ref<RowFilterName>('all');
  const sort = ref<{ key: string; descending: boolean } | null>(null);
  /** Rows whose value of one column lies between two bounds (either may be left out); null: no such condition. */
  const range = ref<ColumnRange | null>(null);
  const exportJobId = ref<string | null>(null);
  const offset = ref(0);
  const selectedRow = ref<StageRow | null>(null);
  const { loading, run, drop } = newestOnly();
  /** Counts project switches, so a row of the old project's runs answered later is not shown. */
  let project = 0;
  onProjectSwitch(() => {
    project++;
    drop();
    page.value = null;
    offset.value = 0;
    selectedRow.value = null;
  });

  async function load(runIds: string[]): Promise<void> {
    // A sort or a range on a run's column, or a row read for other runs, does not carry over to another selection.
    const ofOtherRuns = (key: string | undefined) => {
      const run = key === undefined ? null : runOfKey(key);
      return run !== null && !runIds.includes(run);
    };
    if (ofOtherRuns(sort.value?.key)) sort.value = null;
    if (ofOtherRuns(range.value?.key)) range.value = null;
    if (selectedRow.value && runIds.some((id) => !(id in selectedRow.value!.stages))) selectedRow.value = null;
    if (runIds.length === 0) {
      drop();
      page.value = null;
      return;
    }
    const params = { ...query(runIds), offset: offset.value, limit: PAGE_SIZE };
    await run(
      () => api.call('stages.rows', params),
      (answer) => (page.value = answer),
      (error) => notices.report('Reading rows', error),
    );
  }

  /** The rows asked for, whatever the page: the same for a page and for an export. */
  function query(runIds: string[]) {
    return {
      runIds,
      filter: ROW_FILTERS[filter.value].filter,
      ...(range.value ? { ranges: [range.value] } : {}),
      sort: sort.value ?? undefined,
    };
  }

  /** Writes every row the view selects (all pages) to a file, then hands it out (download or system viewer). */
  async function exportRows(runIds: string[], format: 'csv' | 'parquet'): Promise<void> {
    try {
      const ref = await api.call('stages.export', { ...query(runIds), format });
      exportJobId.value = ref.jobId;
      const written = await jobs.wait<'export'>(ref.jobId);
      await host.openFile(written.fileId, async (fileId) => {
        await api.call('files.open', { fileId });
      });
      notices.info('Rows exported', `${written.rows.toLocaleString()} rows written to ${written.path}`);
    } catch (error) {
      notices.report(`Exporting the rows as ${format.toUpperCase()}`, error);
    } finally {
      exportJobId.value = null;
    }
  }

  function setRange(next: ColumnRange | null): void {
    range.value = next;
    offset.value = 0;
  }

  async function inspect(runIds: string[], rowId: number): Promise<void> {
    const asked = project;
    try {
      const row = await api.call('stages.row', { runIds, rowId });
      if (asked === project) selectedRow.value = row;
    } catch (error) {
      notices.report(`Reading row ${rowId}`, error);
    }
  }

  /** Clicking the sorted column again flips its direction; a new column sorts highest first. */
  function sortBy(key: string): void {
    sort.value = sort.value?.key === key ? { key, descending: !sort.value.descending } : { key, descending: true };
    offset.value = 0;
  }

  function setFilter(name: RowFilterName): void {
    filter.value = name;
    offset.value = 0;
  }

  return {
    page,
    filter,
    sort,
    range,
    offset,
    loading,
    selectedRow,
    exportJobId,
    load,
    inspect,
    sortBy,
    setFilter,
    setRange,
    exportRows,
  };
});
