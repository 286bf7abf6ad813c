import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  ABLATION,
  checkHeadlines,
  comparisonsOf,
  HEADLINES,
  DEFAULT_SWEEP,
  parseVariant,
  runPscSweep,
  summarise,
  summarisePairs,
  type PscSweepResult,
  type SweepPair,
} from '../../src-main/engine/experiments/psc-sweep.js';
import { meanInterval, t95 } from '../../src-shared/stats.js';

const tiny = {
  ...DEFAULT_SWEEP,
  shares: [0, 0.6],
  models: ['chain' as const, 'esmc' as const],
  seeds: [1],
  rows: 4000,
  // Enough steps on 3,200 training rows to learn something, keeping the epoch of the best validation CVR AUC
  // (the sweep's own defaults are the app's, sized for 100,000 rows).
  trainConfig: { epochs: 3, batchSize: 128, learningRate: 0.01, monitor: 'cvr_auc' as const, patience: 2, minSteps: 0 },
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

  it('compares variants of one model on the same rows: DeLong per cell, paired differences over seeds', async () => {
    const result = await runPscSweep(
      { ...tiny, shares: [0.6], models: ['esmm', 'esmc:lambda=0', 'esmc:lambda=1'], seeds: [1, 2] },
      { workers: 1 },
    );
    expect(result.rows.map((r) => r.model)).toEqual([
      'esmm',
      'esmc:lambda=0',
      'esmc:lambda=1',
      'esmm',
      'esmc:lambda=0',
      'esmc:lambda=1',
    ]);
    // λ reaches the model: the same seed and rows with a different λ learn a different pCVR.
    expect(result.rows[1].cvr_rmse).not.toBe(result.rows[2].cvr_rmse);
    // Only the ablation steps whose two variants were trained.
    expect(comparisonsOf(result.config)).toEqual([['esmm', 'esmc:lambda=0']]);
    expect(result.pairs).toHaveLength(2);
    for (const pair of result.pairs) {
      const from = result.rows.find((r) => r.seed === pair.seed && r.model === 'esmm')!;
      const to = result.rows.find((r) => r.seed === pair.seed && r.model === 'esmc:lambda=0')!;
      expect(pair.cvr_auc_difference).toBeCloseTo(to.cvr_auc - from.cvr_auc, 6);
      expect(pair.cvr_rmse_difference).toBeCloseTo(to.cvr_rmse - from.cvr_rmse, 6);
      expect(pair.cvr_auc_p).toBeGreaterThan(0);
      expect(pair.cvr_auc_p).toBeLessThanOrEqual(1);
    }
    expect(result.pairSummary.map((row) => row.pscShare)).toEqual([0.6, 'all']);
    await expect(
      runPscSweep({ ...tiny, models: ['esmm'], comparisons: [['esmm', 'esms']] }, { workers: 1 }),
    ).rejects.toThrow('The comparison esmm → esms names "esms", which the sweep does not train');
    // A share the world cannot reach is refused before any cell trains.
    const cells: number[] = [];
    await expect(
      runPscSweep({ ...tiny, shares: [0.2, 0.94] }, { workers: 1, onCell: (_, done) => cells.push(done) }),
    ).rejects.toThrow('pscShare 0.94 is out of reach');
    expect(cells).toEqual([]);
  });

  it('reads model variants and refuses unknown names and settings', () => {
    expect(parseVariant('esmc:lambda=0.1:gradient=cvr-only')).toEqual({
      label: 'esmc:lambda=0.1:gradient=cvr-only',
      name: 'esmc',
      constraint: { lambda: 0.1, gradient: 'cvr-only' },
    });
    expect(parseVariant('esmm')).toEqual({ label: 'esmm', name: 'esmm', constraint: {} });
    expect(() => parseVariant('esmx')).toThrow('Unknown model "esmx"');
    expect(() => parseVariant('esmc:lambda=-1')).toThrow('lambda must be a number ≥ 0');
    expect(() => parseVariant('esmc:layers=some')).toThrow('layers must be hidden or all');
    expect(() => parseVariant('esmc:beta=1')).toThrow('Unknown setting "beta"');
    expect(parseVariant('aitm:weight.calibrator=0')).toEqual({
      label: 'aitm:weight.calibrator=0',
      name: 'aitm',
      constraint: {},
      lossWeights: { calibrator: 0 },
    });
    expect(() => parseVariant('aitm:weight.calibrator=-1')).toThrow('weight.calibrator must be a number ≥ 0');
    for (const [from, to] of ABLATION) expect(() => [parseVariant(from), parseVariant(to)]).not.toThrow();
  });

  it('summarises paired differences with t-intervals, wins and DeLong verdicts', () => {
    const pair = (seed: number, pscShare: number, auc: number, p: number, rmse: number): SweepPair => ({
      pscShare,
      seed,
      from: 'esmm',
      to: 'esmc',
      cvr_auc_difference: auc,
      cvr_auc_p: p,
      cvr_rmse_difference: rmse,
    });
    const rows = summarisePairs([
      pair(1, 0.2, 0.01, 0.01, -0.002),
      pair(2, 0.2, 0.02, 0.2, 0.001),
      pair(3, 0.2, -0.003, 0.03, -0.001),
      pair(1, 0.8, 0.0, 1, 0),
    ]);
    const at20 = rows.find((row) => row.pscShare === 0.2)!;
    expect(at20.cells).toBe(3);
    expect(at20.cvr_auc.mean).toBeCloseTo(0.009, 12);
    // sd of (0.01, 0.02, -0.003) = 0.011533…; t(2) = 4.303; half-width = 4.303 · sd / √3
    expect(at20.cvr_auc.ci95[1] - at20.cvr_auc.mean).toBeCloseTo((4.303 * 0.0115325626) / Math.sqrt(3), 6);
    expect([at20.aucWins, at20.rmseWins, at20.significantBetter, at20.significantWorse]).toEqual([2, 2, 1, 1]);
    expect(rows.find((row) => row.pscShare === 'all')!.cells).toBe(4);
    expect(t95(4)).toBe(2.776);
    expect(t95(200)).toBeCloseTo(1.972, 3);
    expect(meanInterval([1]).ci95.every(Number.isNaN)).toBe(true);
  });

  it('checks each headline finding by the direction of its mean paired difference', () => {
    const cell = (from: string, to: string, pscShare: number, auc: number, rmse: number): SweepPair => ({
      pscShare,
      seed: 1,
      from,
      to,
      cvr_auc_difference: auc,
      cvr_auc_p: 0.5,
      cvr_rmse_difference: rmse,
    });
    const config = { ...DEFAULT_SWEEP, shares: [0.2, 0.8] };
    const chained = (rmseAt80: number) =>
      checkHeadlines({ config, pairs: [cell('chain', 'esm2', 0.2, 0, 0.01), cell('chain', 'esm2', 0.8, 0, rmseAt80)] });
    // Only the highest share counts for the chain's collapse; a headline without its variants is not checked.
    expect(chained(-0.05)).toEqual([
      {
        claim: HEADLINES[0].claim,
        holds: true,
        evidence: 'esm2 − chain: mean Δ CVR RMSE -0.0500 over 1 cells at 80% PSC',
      },
    ]);
    expect(chained(0.001)[0].holds).toBe(false);
    const esmc = checkHeadlines({
      config,
      pairs: [cell('esmm', 'esmc', 0.2, -0.02, 0), cell('esmm', 'esmc', 0.8, 0.01, 0)],
    });
    expect(esmc.map((check) => [check.holds, check.evidence])).toEqual([
      [true, 'esmc − esmm: mean Δ CVR AUC -0.0050 over 2 cells'],
    ]);
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

  it('--quick: the headline findings of docs/psc-experiment.md hold in direction on a small grid', () => {
    const bin = fileURLToPath(new URL('../../bin/esmc-lab.js', import.meta.url));
    const args = ['experiment', 'psc-sweep', '--quick', '--workers', '2', '--backend', 'wasm', '--json'];
    const run = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    const result = JSON.parse(run.stdout) as PscSweepResult & {
      headlines: { claim: string; holds: boolean; evidence: string }[];
    };
    expect(result.config.rows).toBe(30_000);
    expect(result.headlines.map((check) => check.claim)).toEqual(HEADLINES.map((headline) => headline.claim));
    for (const check of result.headlines) expect(check.holds, `${check.claim}: ${check.evidence}`).toBe(true);
    expect(run.status, run.stderr).toBe(0);
  }, 240_000);
});
