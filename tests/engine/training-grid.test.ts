import { describe, expect, it } from 'vitest';
import { compareToGrid, runGridTask, type GridRun } from '../../src-main/engine/experiments/training-grid.js';
import { gridCommand, gridMarkdown, mergeResults, passes } from '../../src-main/cli/commands/training-grid.js';
import type { TrainingGridResult } from '../../src-main/engine/experiments/training-grid.js';

const run = (setting: string, seed: number, cvr: number, ratio = 1): GridRun => ({
  rows: 20_000,
  preset: 'paper-like',
  seed,
  model: 'esmm',
  setting,
  batchSize: 128,
  learningRate: 0.0035,
  epochs: 50,
  epochsRun: 5,
  bestEpoch: 2,
  status: 'early-stopped',
  auc: { ctr: 0.7, cvr, ctcvr: 0.75 },
  meanCvr: 0.15 * ratio,
  observedCvr: 0.15,
  learned: true,
  seconds: 1,
});

const result = (runs: GridRun[], onlyAuto = false): TrainingGridResult => ({
  config: {
    sizes: [20_000],
    presets: ['paper-like'],
    seeds: [1, 2],
    models: ['esmm'],
    batchSizes: [256],
    learningRates: [0.01, 0.003],
    onlyAuto,
  },
  backend: { name: 'wasm', tfjsBackend: 'wasm', device: 'CPU (wasm SIMD)', skipped: [] },
  runs,
  comparisons: compareToGrid(runs),
  durationMs: 60_000,
});

describe('the training grid', () => {
  // The grid point "a" wins one seed by far and loses the other; "b" is steadily good: on average b is best.
  const runs = [
    run('auto', 1, 0.66),
    run('auto', 2, 0.66, 1.2),
    run('batch 256, lr 0.01', 1, 0.72),
    run('batch 256, lr 0.01', 2, 0.6),
    run('batch 256, lr 0.003', 1, 0.68),
    run('batch 256, lr 0.003', 2, 0.69),
  ];

  it('compares the defaults with the grid point best on average over the seeds, not with a lucky run', () => {
    const [comparison] = compareToGrid(runs);
    expect(comparison.seeds).toBe(2);
    expect(comparison.best.cvr).toEqual({ auc: 0.685, setting: 'batch 256, lr 0.003' });
    expect(comparison.shortfall.cvr).toBeCloseTo(0.025, 10);
    expect(comparison.shortfall.ctr).toBeCloseTo(0, 10);
    expect(comparison.cvrRatio).toBeCloseTo(1.1, 10);
    expect(passes(comparison)).toEqual({ auc: false, level: true });
  });

  it('merges a later run of the defaults over an earlier one, and writes the doc section with every command', () => {
    const later = result([run('auto', 1, 0.68), run('auto', 2, 0.68)], true);
    const merged = mergeResults([result(runs), later]);
    expect(merged.runs.filter((r) => r.setting === 'auto').map((r) => r.auc.cvr)).toEqual([0.68, 0.68]);
    expect(merged.comparisons[0].shortfall.cvr).toBeCloseTo(0.005, 10);
    const markdown = gridMarkdown(merged, [result(runs), later]);
    expect(markdown).toContain(`\`${gridCommand(result(runs).config)}\``);
    expect(markdown).toContain('--only-auto');
    expect(markdown).toContain('**1 of 1** (dataset, model) pairs');
    expect(markdown).toMatch(/\| esmm \| 0\.000 \| — \| 0\.005 \| — \| 0\.000 \| batch 256, lr 0\.003: 0\.685 \|/);
  });

  it('runs a cell: trains with the defaults on a simulated funnel and measures it', async () => {
    const measured = await runGridTask({
      rows: 4000,
      preset: 'paper-like',
      seed: 1,
      model: 'esmm',
      setting: { kind: 'grid', batchSize: 256, learningRate: 0.01 },
      backend: 'wasm',
    });
    expect(measured.setting).toBe('batch 256, lr 0.01');
    expect(measured.batchSize).toBe(256);
    expect(measured.auc.cvr).toBeGreaterThan(0.5);
    expect(measured.meanCvr / measured.observedCvr).toBeGreaterThan(0.5);
  }, 60_000);
});
