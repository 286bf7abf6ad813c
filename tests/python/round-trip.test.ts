/**
 * Issue 17's round trip: export a simulated dataset, train it with torchrun on 2 gloo processes, import the
 * predictions, and check them against (1) a single-process run of the same PyTorch model: the same within noise,
 * and (2) the lab's own tfjs model at the exported initial weights: the same probabilities within the parity
 * tolerance (tests/engine/parity.test.ts). Skipped, saying why, where no Python has torch and pyarrow.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { exportDataset } from '../../src-main/engine/export.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { importPredictions } from '../../src-main/engine/importers/predictions.js';
import { delongTest } from '../../src-main/engine/psc/index.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { readDataset } from '../../src-main/engine/store/read.js';
import { readPredictions } from '../../src-main/engine/store/runs.js';
import { loadModel } from '../../src-main/engine/train/checkpoint.js';
import { predictRows } from '../../src-main/engine/train/predict.js';
import { findTorchPython } from './interpreter.js';

const PARITY_TOLERANCE = 1e-5;
const python = findTorchPython();
const dir = mkdtempSync(join(tmpdir(), 'esmc-round-trip-'));
const exported = join(dir, 'export');
let project: Project;

/** esmc_torch from this checkout, on `args` (a module run by python, or torchrun's arguments). */
function runPython(args: string[]): Promise<string> {
  if (!python.ok) throw new Error(python.reason);
  const child = spawn(python.python, args, { cwd: dir, env: python.env });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`exit ${code}: ${output.slice(-4000)}`)),
    ),
  );
}
const train = (model: string, out: string, ...extra: string[]) => [
  '-m',
  'esmc_torch.train',
  '--export',
  exported,
  '--model',
  model,
  '--out',
  join(dir, out),
  ...extra,
];

describe.skipIf(!python.ok)(`esmc_torch round trip${python.ok ? '' : ` (skipped: ${python.reason})`}`, () => {
  beforeAll(async () => {
    await initBackend('cpu');
    project = await openProject(join(dir, 'lab.duckdb'));
    const csv = join(dir, 'sim.csv');
    await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows: 60_000 }, csv, { format: 'csv' });
    await importDataset(project, csv, { name: 'sim' });
    await exportDataset(project, {
      dataset: 'sim',
      out: exported,
      models: ['esmm', 'esmc'],
      trainConfig: { epochs: 1 },
    });
  }, 300_000);
  afterAll(() => {
    project?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains with DDP on 2 gloo processes as one process does, within noise', async () => {
    if (!python.ok) return;
    await runPython([...python.torchrun, '--nproc_per_node', '2', ...train('esmm', 'ddp.parquet')]);
    await runPython(train('esmm', 'single.parquet'));
    const ddp = await importPredictions(project, { dataset: 'sim', file: join(dir, 'ddp.parquet'), name: 'esmm-ddp' });
    const single = await importPredictions(project, {
      dataset: 'sim',
      file: join(dir, 'single.parquet'),
      name: 'esmm-single',
    });
    for (const run of [ddp.run, single.run]) expect(run.learning?.status, run.learning?.summary).toBe('learned');
    const test = await readDataset(project, 'sim', { part: 'test', split: 'random' }, { truth: false });
    const ddpRows = await readPredictions(project, ddp.run.id, { dataset: 'sim', split: 'random', part: 'test' });
    const singleRows = await readPredictions(project, single.run.id, { dataset: 'sim', split: 'random', part: 'test' });
    const cvr = delongTest(test.labels.purchase, ddpRows.stages.cvr, singleRows.stages.cvr, test.labels.click);
    const ctr = delongTest(test.labels.click, ddpRows.stages.ctr, singleRows.stages.ctr);
    for (const [name, result] of [
      ['CVR', cvr],
      ['CTR', ctr],
    ] as const) {
      expect(Math.abs(result.difference), `${name} AUC difference`).toBeLessThan(0.03);
      expect(result.pValue, `${name} DeLong p`).toBeGreaterThan(0.01);
    }
  }, 600_000);

  it('starts from the same model as the lab: probabilities at initialisation within the parity tolerance', async () => {
    await runPython(train('esmc', 'init.parquet', '--epochs', '0'));
    const { run } = await importPredictions(project, {
      dataset: 'sim',
      file: join(dir, 'init.parquet'),
      name: 'esmc-init',
    });
    const torch = await readPredictions(project, run.id);
    const data = await readDataset(project, 'sim', undefined, { truth: false });
    const { model } = await loadModel(join(exported, 'models/esmc.esmclab'));
    try {
      const lab = await predictRows(model, data);
      expect(torch.rowIds).toEqual(data.rowIds);
      for (const stage of ['ctr', 'avr', 'cvr', 'ctavr', 'ctcvr'] as const) {
        const ours = lab[stage]!;
        const theirs = torch.stages[stage]!;
        let worst = 0;
        for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
        expect(worst, stage).toBeLessThanOrEqual(PARITY_TOLERANCE);
      }
    } finally {
      model.dispose();
    }
  }, 600_000);
});
