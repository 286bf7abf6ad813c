/**
 * Issue 17: a file of per-row probabilities made outside the lab becomes an external run, scored like a trained
 * one; every kind of bad input names its file, line and column and stores nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src-main/engine/data/errors.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { importPredictions, stageOfColumn } from '../../src-main/engine/importers/predictions.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { readDataset } from '../../src-main/engine/store/read.js';
import { listRuns, readPredictions, readRun } from '../../src-main/engine/store/runs.js';
import { writeReportForRuns } from '../../src-main/report/index.js';
import { pdfText, popplerMissing } from '../report/pdf.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-import-predictions-'));
let project: Project;
/** The simulated rows' true probabilities by row id: a perfect external model. */
let truth: { rowIds: Int32Array; columns: Record<string, Float32Array> };

beforeAll(async () => {
  project = await openProject(join(dir, 'project.duckdb'));
  const csv = join(dir, 'sim.csv');
  await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows: 20000 }, csv, { format: 'csv' });
  await importDataset(project, csv, { name: 'sim' });
  const data = await readDataset(project, 'sim');
  truth = { rowIds: data.rowIds!, columns: data.truth! };
});
afterAll(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

const TRUTH_OF = {
  p_ctr: 'true_ctr',
  p_avr: 'true_avr',
  p_cvr: 'true_cvr',
  p_ctavr: 'true_ctavr',
  p_buy_given_action: 'true_buy_given_action',
  p_buy_given_no_action: 'true_buy_given_no_action',
};

/** Lines of a predictions CSV (header first) from the truth; `edit` may change any line before it is written. */
function predictionLines(columns: (keyof typeof TRUTH_OF)[] = ['p_ctr', 'p_cvr']): string[] {
  const lines = [['row_id', ...columns].join(',')];
  truth.rowIds.forEach((rowId, i) =>
    lines.push([rowId, ...columns.map((c) => truth.columns[TRUTH_OF[c]][i].toPrecision(7))].join(',')),
  );
  return lines;
}

let files = 0;
function write(lines: string[]): string {
  const path = join(dir, `preds-${++files}.csv`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

async function stored(): Promise<{ runs: number; predictions: number }> {
  const runs = (await listRuns(project)).length;
  const predictions = Number((await project.one('SELECT count(*)::DOUBLE AS n FROM predictions'))?.n);
  return { runs, predictions };
}

/** The import fails with a DataError whose message starts with file:line[:column]: and matches `problem`. */
async function refused(file: string, problem: RegExp, at: string, name = 'bad') {
  const before = await stored();
  const error = await importPredictions(project, { dataset: 'sim', file, name }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  const message = (error as Error).message;
  expect(message.startsWith(`${file}${at}: `), message).toBe(true);
  expect(message).toMatch(problem);
  expect(await stored()).toEqual(before);
}

describe('import-predictions', () => {
  it('understands the usual spellings of each stage', () => {
    expect(stageOfColumn('p_ctr')).toBe('ctr');
    expect(stageOfColumn('pCTR')).toBe('ctr');
    expect(stageOfColumn('CVR')).toBe('cvr');
    expect(stageOfColumn('p_buy_given_no_action')).toBe('buyGivenNoAction');
    expect(stageOfColumn('P(buy | action)')).toBe('buyGivenAction');
    expect(stageOfColumn('p_buyGivenAction')).toBe('buyGivenAction');
    expect(stageOfColumn('price')).toBeUndefined();
    expect(stageOfColumn('click')).toBeUndefined();
  });

  it('stores an external run scored on the test part, deriving pCTCVR by the chain', async () => {
    const file = write(predictionLines(['p_ctr', 'p_avr', 'p_cvr', 'p_buy_given_action', 'p_buy_given_no_action']));
    const { run, rows } = await importPredictions(project, { dataset: 'sim', file, name: 'oracle' });
    expect(rows).toBe(20000);
    expect(run.external).toMatchObject({
      rows: 20000,
      keys: ['row_id'],
      stages: ['ctr', 'avr', 'cvr', 'buyGivenAction', 'buyGivenNoAction'],
      derived: ['ctcvr'],
      lacks: ['ctavr'],
    });
    expect(run.metrics.test?.cvr_auc).toBeGreaterThan(0.6);
    expect(run.metrics.validation?.rows).toBeGreaterThan(0);
    expect(run.learning?.status, run.learning?.summary).toBe('learned');

    const read = await readRun(project, run.id);
    expect(read?.external?.file).toBe(file);
    expect(read?.modelConfig).toBeUndefined();
    expect(read?.record?.external?.derived).toEqual(['ctcvr']);
    const predictions = await readPredictions(project, run.id);
    expect(predictions.rowIds).toHaveLength(20000);
    const { ctr, cvr, ctcvr, ctavr } = predictions.stages;
    expect(ctavr).toBeUndefined();
    for (const i of [0, 1234, 19999]) {
      expect(ctr[i]).toBeCloseTo(truth.columns.true_ctr[i], 6);
      expect(ctcvr[i]).toBeCloseTo(ctr[i] * cvr[i], 6);
    }
  });

  it.skipIf(popplerMissing !== null)('is reported with the file and stages it came from', async () => {
    const oracle = (await listRuns(project)).find((run) => run.model === 'oracle')!;
    const out = join(dir, 'external.pdf');
    await writeReportForRuns(project, [oracle.id], { out });
    const text = pdfText(out).replace(/\s+/g, ' ');
    expect(text).toContain('oracle: predictions made outside the lab');
    expect(text).toMatch(/20,000 rows imported from \S*preds-\d+\.csv, keyed by row_id/);
    expect(text).toContain('derived by the chain rule: P(click, buy)');
    expect(text).toContain('Trust oracle for pCVR');
  });

  it('marks a file of constants as a model that learned nothing', async () => {
    const lines = predictionLines().map((line, i) => (i === 0 ? line : line.replace(/,.*$/, ',0.2,0.1')));
    const { run } = await importPredictions(project, { dataset: 'sim', file: write(lines), name: 'constant' });
    expect(run.learning?.status).toBe('not-learned');
    expect(run.learning?.notLearned).toEqual(expect.arrayContaining(['ctr', 'cvr']));
  });

  it('reads Parquet, and pCVR from pCTR and pCTCVR', async () => {
    const csv = write(
      predictionLines(['p_ctr', 'p_cvr']).map((line, i) => {
        if (i === 0) return 'row_id,pCTR,pCTCVR';
        const [id, ctr, cvr] = line.split(',');
        return [id, ctr, String(Number(ctr) * Number(cvr))].join(',');
      }),
    );
    const parquet = join(dir, 'preds.parquet');
    await project.run(`COPY (SELECT * FROM read_csv('${csv}')) TO '${parquet}' (FORMAT parquet)`);
    const { run } = await importPredictions(project, { dataset: 'sim', file: parquet, name: 'from-parquet' });
    expect(run.external).toMatchObject({ stages: ['ctr', 'ctcvr'], derived: ['cvr'] });
    const { stages } = await readPredictions(project, run.id);
    expect(stages.cvr[7]).toBeCloseTo(truth.columns.true_cvr[7], 5);
  });

  it('refuses unknown, missing and repeated keys with their line', async () => {
    const unknown = predictionLines();
    unknown[5] = unknown[5].replace(/^\d+/, '99999');
    await refused(write(unknown), /row_id "99999" names no row of dataset "sim"/, ':6:1');
    const missing = predictionLines();
    missing[3] = missing[3].replace(/^\d+/, '');
    await refused(write(missing), /1 line has no row_id/, ':4:1');
    const repeated = predictionLines();
    repeated[9] = repeated[9].replace(/^\d+/, '2');
    await refused(write(repeated), /row_id "2" is predicted again \(first on line 4/, ':10:1');
  });

  it('refuses probabilities outside [0, 1], NaN, text and empty cells with their line and column', async () => {
    const cases: [number, string, RegExp][] = [
      [7, '1.5', /p_cvr 1.5 is outside \[0, 1\]/],
      [8, '-0.01', /p_cvr -0.01 is outside \[0, 1\]/],
      [9, 'NaN', /p_cvr is NaN/],
      [10, 'high', /p_cvr "high" is not a number/],
      [11, '', /1 line has no p_cvr/],
    ];
    for (const [line, cell, problem] of cases) {
      const lines = predictionLines();
      lines[line - 1] = lines[line - 1].replace(/[^,]*$/, cell);
      await refused(write(lines), problem, `:${line}:3`);
    }
  });

  it('refuses a file without a key, without a stage, or without pCTR', async () => {
    await refused(write(['id,p_ctr', '0,0.5']), /no key column "row_id".*--keys/, ':1');
    await refused(write(['row_id,score', '0,0.5']), /no prediction column/, ':1');
    const cvrOnly = predictionLines(['p_cvr']);
    await refused(write(cvrOnly), /needs pCTR with pCVR or pCTCVR.*no p_ctr or p_ctcvr/, ':1');
  });

  it('refuses a file that leaves test rows without a prediction', async () => {
    const file = write(predictionLines().slice(0, 10001));
    const before = await stored();
    const error = (await importPredictions(project, { dataset: 'sim', file, name: 'partial' }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(new RegExp(`^${file}: has no prediction for [\\d,]+ rows of the test part`));
    expect(await stored()).toEqual(before);
  });

  it("refuses a lab model's name", async () => {
    const file = write(predictionLines());
    await expect(importPredictions(project, { dataset: 'sim', file, name: 'esmc' })).rejects.toThrow(
      /"esmc" is the name of a model the lab trains/,
    );
  });

  it('keys rows by categorical columns whose values name one row each', async () => {
    const lines = ['exposure,shop,click,action,purchase'];
    for (let i = 0; i < 400; i++)
      lines.push(`e${i},s${i % 7},${i % 3 === 0 ? 1 : 0},${i % 6 === 0 ? 1 : 0},${i % 9 === 0 ? 1 : 0}`);
    const data = write(lines);
    await importDataset(project, data, { name: 'keyed', roles: { categorical: ['exposure', 'shop'], dense: [] } });
    const keyed = await readDataset(project, 'keyed');
    const preds = ['exposure,p_ctr,p_cvr'];
    for (let i = 399; i >= 0; i--) preds.push(`e${i},${(0.2 + (i % 5) / 10).toFixed(2)},0.25`);
    const file = write(preds);
    const { run } = await importPredictions(project, {
      dataset: 'keyed',
      file,
      name: 'by-exposure',
      keys: ['exposure'],
    });
    const { rowIds, stages } = await readPredictions(project, run.id);
    expect(rowIds).toEqual(keyed.rowIds);
    // Row ids follow the data file's order: row i is exposure e{i}.
    for (const i of [0, 3, 399]) expect(stages.ctr[i]).toBeCloseTo(0.2 + (i % 5) / 10, 6);

    const byShop = write(['shop,p_ctr,p_cvr', 's1,0.5,0.5']);
    const error = (await importPredictions(project, {
      dataset: 'keyed',
      file: byShop,
      name: 'x',
      keys: ['shop'],
    }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/keys shop do not name one row each/);
    const unknownValue = write(['exposure,p_ctr,p_cvr', 'nobody,0.5,0.5']);
    await expect(
      importPredictions(project, { dataset: 'keyed', file: unknownValue, name: 'x', keys: ['exposure'] }),
    ).rejects.toThrow(/:2:1: exposure "nobody" names no row of dataset "keyed"/);
  });
});
