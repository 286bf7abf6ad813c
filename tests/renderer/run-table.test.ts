import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-shared/api/index.js';
import { resolveTrainSettings } from '../../src-shared/types/index.js';
import { DEFAULT_MODEL_CONFIG } from '../../src-shared/types/index.js';
import {
  allSettings,
  differingSettings,
  filterRuns,
  parseTags,
  runName,
  settingText,
  sortRuns,
  statusText,
} from '../../src-renderer/run-table.js';

function run(id: string, overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    model: 'esmm',
    status: 'completed',
    dataset: 'sales',
    split: 'random',
    startedAt: `2026-12-0${id.length}T10:00:00.000Z`,
    backend: { name: 'wasm', tfjsBackend: 'wasm', device: 'CPU (wasm SIMD)', skipped: [] },
    metrics: { test: { cvr_auc: 0.7, ctcvr_auc: 0.8 } },
    durationMs: 65_000,
    modelConfig: DEFAULT_MODEL_CONFIG,
    trainConfig: resolveTrainSettings({}, 20_000),
    epochsRun: 8,
    bestEpoch: 5,
    name: null,
    tags: [],
    notes: '',
    ...overrides,
  };
}

const labels = new Map([
  ['a', 'esmm'],
  ['bb', 'esmc'],
  ['ccc', 'esm2'],
]);

describe('the run table', () => {
  const runs = [
    run('a', { tags: ['baseline'] }),
    run('bb', {
      model: 'esmc',
      status: 'early-stopped',
      modelConfig: { ...DEFAULT_MODEL_CONFIG, constraint: { ...DEFAULT_MODEL_CONFIG.constraint, lambda: 0.001 } },
      metrics: { test: { cvr_auc: 0.75, ctcvr_auc: 0.81 } },
      name: 'esmc, small λ',
      notes: 'the λ sweep',
    }),
    run('ccc', {
      model: 'esm2',
      status: 'failed',
      error: 'out of memory',
      metrics: {},
      epochsRun: undefined,
      bestEpoch: undefined,
      trainConfig: resolveTrainSettings({ batchSize: 512 }, 20_000),
    }),
  ];

  it('has a column for each setting that differs between the runs shown, and only those', () => {
    const columns = differingSettings(runs);
    // A larger batch also changes the auto epochs and learning rate: each is a column of its own.
    expect(columns.map((column) => column.key)).toEqual([
      'train.epochs',
      'train.batchSize',
      'train.learningRate',
      'model.lambda',
    ]);
    expect(runs.map((r) => settingText(r, columns[1]))).toEqual(['256', '256', '512']);
    expect(differingSettings(runs.slice(0, 1))).toEqual([]);
    expect(allSettings(runs[0])).toContainEqual(['batch size', '256']);
  });

  it('says how each run ended, with the epoch it keeps', () => {
    expect(runs.map(statusText)).toEqual([
      'completed: 8 epochs (best 5)',
      'early-stopped at epoch 8 (best 5)',
      'failed',
    ]);
    expect(statusText(run('d', { status: 'cancelled', epochsRun: 2, bestEpoch: 2 }))).toBe('cancelled after epoch 2');
    expect(statusText(run('d', { status: 'cancelled', epochsRun: 0, bestEpoch: null, metrics: {} }))).toBe(
      'cancelled in epoch 1',
    );
  });

  it('names a run by what the analyst wrote, else by its label', () => {
    expect(runs.map((r) => runName(r, labels))).toEqual(['esmm', 'esmc, small λ', 'esm2']);
  });

  it('filters on every word: name, model, tags, notes, status, settings', () => {
    const ids = (query: string) => filterRuns(runs, query, labels).map((r) => r.id);
    expect(ids('')).toEqual(['a', 'bb', 'ccc']);
    expect(ids('BASELINE')).toEqual(['a']);
    expect(ids('sweep')).toEqual(['bb']);
    expect(ids('failed')).toEqual(['ccc']);
    expect(ids('batch size 512')).toEqual(['ccc']);
    expect(ids('esmc small')).toEqual(['bb']);
    expect(ids('esmc baseline')).toEqual([]);
  });

  it('sorts by any column, runs without a value last, ties in the list order', () => {
    const ids = (key: Parameters<typeof sortRuns>[1]['key'], descending: boolean) =>
      sortRuns(runs, { key, descending }, labels).map((r) => r.id);
    expect(ids('cvr_auc', true)).toEqual(['bb', 'a', 'ccc']);
    expect(ids('cvr_auc', false)).toEqual(['a', 'bb', 'ccc']);
    expect(ids('created', true)).toEqual(['ccc', 'bb', 'a']);
    expect(ids('name', false)).toEqual(['ccc', 'bb', 'a']);
    expect(ids('train.batchSize', true)).toEqual(['ccc', 'bb', 'a']);
    // Equal values keep the stored order, reversed when descending: newest first among ties.
    const same = runs.map((r) => ({ ...r, startedAt: '2026-12-01T10:00:00.000Z' }));
    expect(sortRuns(same, { key: 'created', descending: true }, labels).map((r) => r.id)).toEqual(['ccc', 'bb', 'a']);
  });

  it('reads tags from the field as the analyst typed them', () => {
    expect(parseTags(' a, b ,, a,c ')).toEqual(['a', 'b', 'c']);
    expect(parseTags('')).toEqual([]);
  });
});
