import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_SWEEP,
  runPscSweep,
  summarise,
  type PscSweepResult,
} from '../../src-main/engine/experiments/psc-sweep.js';

const tiny = {
  ...DEFAULT_SWEEP,
  shares: [0, 0.6],
  models: ['chain' as const, 'esmc' as const],
  seeds: [1],
  rows: 4000,
  // Enough steps on 3,200 training rows to learn something (the sweep's own settings are for 40,000).
  trainConfig: { ...DEFAULT_SWEEP.trainConfig, epochs: 3, batchSize: 128, learningRate: 0.01 },
  backend: 'wasm' as const,
};

describe('psc-sweep experiment', () => {
  it('trains every model on every (share, seed) cell and measures it against the truth', async () => {
    const cells: number[] = [];
    const result = await runPscSweep(tiny, { workers: 1, onCell: (_, done) => cells.push(done) });
    expect(cells).toEqual([1, 2]);
    expect(result.rows.map((r) => `${r.pscShare}/${r.model}`)).toEqual(['0/chain', '0/esmc', '0.6/chain', '0.6/esmc']);
    for (const row of result.rows) {
      for (const metric of ['cvr_auc', 'ctcvr_auc', 'oracle_cvr_auc', 'oracle_ctcvr_auc'] as const) {
        expect(row[metric]).toBeGreaterThan(0.4);
        expect(row[metric]).toBeLessThanOrEqual(1);
      }
      expect(row.cvr_rmse).toBeGreaterThan(0);
      expect(row.cvr_rmse).toBeLessThan(0.5);
      expect(Math.abs(row.cvr_bias)).toBeLessThan(row.cvr_rmse + 1e-9);
    }
    expect(result.rows[0].achievedPscShare).toBe(0);
    expect(result.rows[2].achievedPscShare).toBeGreaterThan(0.45);
    expect(result.summary).toHaveLength(4);
    expect(result.backend.name).toBe('wasm');
  });

  it('summarises seeds as mean and sample standard deviation', () => {
    const row = (seed: number, cvr_auc: number) => ({
      pscShare: 0.2,
      achievedPscShare: 0.2,
      seed,
      model: 'esmc',
      status: 'completed',
      bestEpoch: 1,
      cvr_auc,
      ctcvr_auc: 0.7,
      cvr_rmse: 0.1,
      cvr_rmse_clicked: 0.2,
      cvr_bias: -0.01,
      oracle_cvr_auc: 0.8,
      oracle_ctcvr_auc: 0.9,
    });
    const [summary] = summarise([row(1, 0.6), row(2, 0.7), row(3, 0.8)]);
    expect(summary.seeds).toBe(3);
    expect(summary.mean.cvr_auc).toBeCloseTo(0.7, 12);
    expect(summary.std.cvr_auc).toBeCloseTo(0.1, 12);
    expect(summary.std.ctcvr_auc).toBeCloseTo(0, 12);
  });

  it('runs its cells on worker threads from the installed command', () => {
    const bin = fileURLToPath(new URL('../../bin/esmc-lab.js', import.meta.url));
    const args = [
      'experiment',
      'psc-sweep',
      '--shares',
      '0,0.5',
      '--models',
      'esmm',
      '--seeds',
      '1',
      '--rows',
      '2000',
      '--epochs',
      '1',
      '--workers',
      '2',
      '--backend',
      'wasm',
      '--json',
    ];
    const result = JSON.parse(
      execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    ) as PscSweepResult;
    expect(result.rows.map((r) => r.pscShare)).toEqual([0, 0.5]);
    expect(result.rows.every((r) => r.model === 'esmm' && Number.isFinite(r.cvr_rmse))).toBe(true);
  });
});
