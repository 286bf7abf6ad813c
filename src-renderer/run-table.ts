import type { RunSummary } from '../src-shared/api/index.js';
import { formatSetting, SETTINGS, settingValue, type Setting, type SettingGroup } from '../src-shared/settings.js';
import { verdictOf, VERDICT_LABELS } from './learning.js';
import { formatDuration } from './train-form.js';

/**
 * The Runs view's table as data: which hyper-parameters earn a column, how a run is filtered and sorted. Pure,
 * so the view's logic is tested without a browser.
 */

/** A setting shown as a column: its label and each run's value as a field shows it ("auto" never: runs are resolved). */
export interface SettingColumn {
  key: `${SettingGroup}.${string}`;
  label: string;
  group: SettingGroup;
  setting: Setting;
}

const EVERY_SETTING: SettingColumn[] = (['train', 'model'] as const).flatMap((group) =>
  Object.entries(SETTINGS[group]).map(([name, setting]) => ({
    key: `${group}.${name}` as const,
    label: setting.label,
    group,
    setting,
  })),
);

/** A run's value of a setting as text; '' for a run without that config. */
export function settingText(run: RunSummary, column: SettingColumn): string {
  const config = column.group === 'train' ? run.trainConfig : run.modelConfig;
  if (!config) return '';
  const value = settingValue(config, column.setting);
  return Array.isArray(value) ? value.join(', ') : formatSetting(column.setting, value);
}

/** Every setting, for a run's detail. */
export function allSettings(run: RunSummary): [label: string, value: string][] {
  return EVERY_SETTING.map((column) => [column.label, settingText(run, column)] as [string, string]).filter(
    ([, value]) => value !== '',
  );
}

/**
 * The settings whose values differ between the runs shown: what sets them apart is what an analyst compares,
 * and a column that is the same on every row is noise.
 */
export function differingSettings(runs: RunSummary[]): SettingColumn[] {
  const withConfig = runs.filter((run) => run.trainConfig && run.modelConfig);
  return EVERY_SETTING.filter((column) => new Set(withConfig.map((run) => settingText(run, column))).size > 1);
}

/** The run's name as the analyst wrote it, else the label runLabels gave it. */
export function runName(run: RunSummary, labels: Map<string, string>): string {
  return run.name || labels.get(run.id) || run.model;
}

/** "early-stopped at epoch 5 (best 2)", "cancelled after epoch 1", "failed": a run's end in a table cell. */
export function statusText(run: RunSummary): string {
  if (run.external) return 'imported predictions';
  if (run.status === 'failed' || run.epochsRun === undefined) return run.status;
  const best = run.bestEpoch !== null && run.bestEpoch !== undefined && run.bestEpoch !== run.epochsRun;
  const kept = best ? ` (best ${run.bestEpoch})` : '';
  if (run.status === 'cancelled')
    return run.epochsRun === 0 ? 'cancelled in epoch 1' : `cancelled after epoch ${run.epochsRun}${kept}`;
  if (run.status === 'early-stopped') return `early-stopped at epoch ${run.epochsRun}${kept}`;
  return `completed: ${run.epochsRun} epoch${run.epochsRun === 1 ? '' : 's'}${kept}`;
}

export function durationText(run: RunSummary): string {
  return run.durationMs === null || run.durationMs === undefined ? '—' : formatDuration(run.durationMs / 1000);
}

/** The columns a run table sorts by, beyond the settings: each as the value it compares. */
export const SORT_KEYS = {
  name: (run: RunSummary, labels: Map<string, string>) => runName(run, labels).toLowerCase(),
  dataset: (run: RunSummary) => run.dataset ?? '',
  status: (run: RunSummary) => statusText(run),
  verdict: (run: RunSummary) => verdictOf(run),
  tags: (run: RunSummary) => (run.tags ?? []).join(', '),
  duration: (run: RunSummary) => run.durationMs ?? -1,
  backend: (run: RunSummary) => run.backend?.name ?? '',
  created: (run: RunSummary) => run.startedAt,
  cvr_auc: (run: RunSummary) => run.metrics.test?.cvr_auc ?? null,
  ctcvr_auc: (run: RunSummary) => run.metrics.test?.ctcvr_auc ?? null,
} satisfies Record<string, (run: RunSummary, labels: Map<string, string>) => string | number | null>;

export type SortKey = keyof typeof SORT_KEYS | `${SettingGroup}.${string}`;
export interface RunSort {
  key: SortKey;
  descending: boolean;
}

/** Runs in the order asked; runs without a value (a failed run's AUC) last either way. */
export function sortRuns(runs: RunSummary[], sort: RunSort, labels: Map<string, string>): RunSummary[] {
  const column = EVERY_SETTING.find((c) => c.key === sort.key);
  const valueOf = column
    ? (run: RunSummary) => {
        const text = settingText(run, column);
        const number = Number(text);
        return text === '' ? null : Number.isFinite(number) ? number : text;
      }
    : (run: RunSummary) => SORT_KEYS[sort.key as keyof typeof SORT_KEYS](run, labels);
  const sign = sort.descending ? -1 : 1;
  const position = new Map(runs.map((run, index) => [run.id, index]));
  const compare = (x: string | number, y: string | number) =>
    typeof x === 'number' && typeof y === 'number'
      ? x - y
      : String(x).localeCompare(String(y), undefined, { numeric: true });
  return [...runs].sort((a, b) => {
    const [x, y] = [valueOf(a), valueOf(b)];
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    // Ties keep the list's order (the order runs were stored in) in the direction asked: newest first stays so.
    return sign * (compare(x, y) || position.get(a.id)! - position.get(b.id)!);
  });
}

/**
 * Runs whose words hold every term of the query: name, model, dataset, status, verdict, tags, notes, backend,
 * and the settings as "label value" ("batch size 256"). Case does not matter.
 */
export function filterRuns(runs: RunSummary[], query: string, labels: Map<string, string>): RunSummary[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return runs;
  return runs.filter((run) => {
    const verdict = verdictOf(run);
    const words = [
      runName(run, labels),
      run.model,
      run.dataset ?? '',
      statusText(run),
      verdict === 'none' ? '' : VERDICT_LABELS[verdict],
      ...(run.tags ?? []),
      run.notes ?? '',
      run.backend?.name ?? '',
      ...allSettings(run).map(([label, value]) => `${label} ${value}`),
      run.id,
    ]
      .join(' \u0000 ')
      .toLowerCase();
    return terms.every((term) => words.includes(term));
  });
}

/** "a, b ,, c" → ['a', 'b', 'c']: the tags field's text, each tag once. */
export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((tag) => tag.trim())
        .filter(Boolean),
    ),
  ];
}
