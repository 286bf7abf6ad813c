/**
 * Issue 17: `export` writes a dataset's split as Parquet parts, its encoding and each model's configuration and
 * initial weights, in the documented layout (docs/cluster.md), and never leaves a half-written folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { exportDataset, type ExportManifest } from '../../src-main/engine/export.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { stageRates } from '../../src-main/engine/metrics/learning.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { countLabelsOf, readDataset } from '../../src-main/engine/store/read.js';
import { loadModel } from '../../src-main/engine/train/checkpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-export-'));
let project: Project;
let manifest: ExportManifest;
const out = join(dir, 'export');

beforeAll(async () => {
  await initBackend('cpu');
  project = await openProject(join(dir, 'project.duckdb'));
  const csv = join(dir, 'sim.csv');
  await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows: 5000 }, csv, { format: 'csv' });
  await importDataset(project, csv, { name: 'sim' });
  manifest = await exportDataset(project, {
    dataset: 'sim',
    out,
    models: ['esmm', 'esmc'],
    trainConfig: { epochs: 2 },
  });
});
afterAll(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('export', () => {
  it('writes the layout export.json describes', () => {
    const written = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')) as ExportManifest;
    expect(written).toEqual(manifest);
    expect(written).toMatchObject({ format: 'esmc-lab-export', version: 1, dataset: 'sim', split: 'random' });
    expect(written.labels).toEqual(['click', 'action', 'purchase']);
    expect(written.columns.categorical).toContain('cat.user_id');
    expect(written.columns.multiHot).toEqual(['bag.user_tags']);
    expect(written.parts.train.rows + written.parts.validation.rows + written.parts.test.rows).toBe(5000);
    expect(written.predictions.columns).toMatchObject({ ctr: 'p_ctr', buyGivenNoAction: 'p_buy_given_no_action' });
    expect(written.models.esmc.training).toMatchObject({ epochs: 2, seed: 1 });
    expect(typeof written.models.esmc.training.batchSize).toBe('number');
    expect(JSON.parse(readFileSync(join(out, 'encoding.json'), 'utf8')).categorical[0].name).toBe('user_id');
    expect(readdirSync(dir).filter((name) => name.includes('partial'))).toEqual([]);
  });

  it('writes each part as the rows the lab reads for it, ids and labels and features alike', async () => {
    for (const part of ['train', 'test'] as const) {
      const files = manifest.parts[part].files.map((file) => `'${join(out, file)}'`).join(', ');
      const rows = await project.all(`SELECT * FROM read_parquet([${files}]) ORDER BY row_id`);
      const data = await readDataset(project, 'sim', { part, split: 'random' });
      expect(rows).toHaveLength(data.rows);
      const fields = data.schema.categorical.length;
      for (const i of [0, Math.floor(data.rows / 2), data.rows - 1]) {
        const row = rows[i];
        expect(Number(row.row_id)).toBe(data.rowIds![i]);
        expect(Number(row.click)).toBe(data.labels.click[i]);
        expect(Number(row.purchase)).toBe(data.labels.purchase[i]);
        manifest.columns.categorical.forEach((column, f) =>
          expect(Number(row[column])).toBe(data.categorical[i * fields + f]),
        );
        const bag = (row['bag.user_tags'] as number[]).map(Number);
        // A bag keeps every id; a reader takes the first maxLength, as the lab's reader does.
        const length = data.schema.multiHot[0].maxLength;
        const slots = Array.from(data.multiHot[0].subarray(i * length, (i + 1) * length)).filter((id) => id >= 0);
        expect(bag.slice(0, length)).toEqual(slots);
        expect(Number(row['dense.d0'])).toBeCloseTo(data.dense[i * data.schema.dense.length], 5);
      }
    }
  });

  it('saves each model at its initial weights, output biases at the training rates', async () => {
    const rates = stageRates(
      await countLabelsOf(project, await project.dataset('sim'), { part: 'train', split: 'random' }),
    );
    const { model, header } = await loadModel(join(out, manifest.models.esmc.file));
    try {
      expect(header.model).toBe('esmc');
      expect(header.schema).toEqual(manifest.schema);
      const weights = await model.params.read();
      const bias = weights['ctr.out.bias'].data[0];
      expect(1 / (1 + Math.exp(-bias))).toBeCloseTo(rates.ctr!, 5);
    } finally {
      model.dispose();
    }
  });

  it('refuses a folder that is not empty, and leaves it as it was', async () => {
    const taken = join(dir, 'taken');
    mkdirSync(taken);
    writeFileSync(join(taken, 'notes.txt'), 'mine');
    await expect(exportDataset(project, { dataset: 'sim', out: taken, models: ['esmm'] })).rejects.toThrow(
      /is not empty; choose a new folder/,
    );
    expect(readdirSync(taken)).toEqual(['notes.txt']);
  });

  it('leaves nothing behind when it fails', async () => {
    const target = join(dir, 'failed');
    const stop = (step: string) => {
      if (step === 'writing the models') throw new Error('disk full');
    };
    await expect(
      exportDataset(project, { dataset: 'sim', out: target, models: ['esmm'], onStep: stop }),
    ).rejects.toThrow('disk full');
    await expect(exportDataset(project, { dataset: 'sim', out: target, models: ['nope'] })).rejects.toThrow(
      /Unknown model "nope"/,
    );
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.includes('partial'))).toEqual([]);
  });
});
