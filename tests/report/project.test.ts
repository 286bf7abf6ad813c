/**
 * The report of real stored runs: a project with a simulated dataset, three trained models and a failed run,
 * and a dataset without an action label; the PDF's numbers are checked against what the API's views return,
 * and the `report` and `demo` commands are run end to end.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPercent, formatValue } from '../../src-shared/charts/index.js';
import { datasetDetail, pscAnalysisFor, resultsView } from '../../src-main/api/views.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { DEFAULT_MODEL_CONFIG } from '../../src-main/engine/models/index.js';
import { trainRun } from '../../src-main/engine/run.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { listRuns, saveFailedRun } from '../../src-main/engine/store/runs.js';
import { resolveTrainSettings } from '../../src-main/engine/train/trainer.js';
import { writeReportForRuns } from '../../src-main/report/index.js';
import { filledPerPage, pdfImages, pdfInfo, pdfPages, pdfText, popplerMissing, popplerNote } from './pdf.js';
import { cli } from '../helpers/cli.js';

const TRAIN = { epochs: 2, batchSize: 256, learningRate: 0.01, progressIntervalMs: 60_000 };

let dir: string;
let projectPath: string;
let project: Project;
let trained: string[];
let failedId: string;
let noActionRun: string;

const flat = (text: string) => text.replace(/\s+/g, ' ');
/** Without whitespace: pdftotext breaks lines where the layout did, so only the characters compare. */
const squeezed = (text: string) => text.replace(/\s+/g, '');

/** The sample file without its action column: a dataset on which the PSC share cannot be measured. */
function withoutActionColumn(source: string, out: string): void {
  const lines = readFileSync(source, 'utf8').trim().split('\n');
  const action = lines[0].split(',').indexOf('action');
  writeFileSync(
    out,
    lines
      .map((line) =>
        line
          .split(',')
          .filter((_, k) => k !== action)
          .join(','),
      )
      .join('\n') + '\n',
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-report-project-'));
  projectPath = join(dir, 'lab.duckdb');
  const csv = join(dir, 'paper.csv');
  await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows: 8000, seed: 3 }, csv, { format: 'csv' });
  const noAction = join(dir, 'no-action.csv');
  withoutActionColumn(fileURLToPath(new URL('../../assets/samples/funnel-sample.csv', import.meta.url)), noAction);
  project = await openProject(projectPath);
  await importDataset(project, csv, { name: 'paper', format: 'simulator' });
  await importDataset(project, noAction, { name: 'no-action' });
  const records = await trainRun({
    source: { kind: 'project', project, dataset: 'paper' },
    models: ['chain', 'esm2', 'esmc'],
    trainConfig: TRAIN,
  });
  trained = records.map((r) => r.id);
  failedId = randomUUID();
  await saveFailedRun(
    project,
    {
      id: failedId,
      model: 'esmg',
      startedAt: new Date().toISOString(),
      durationMs: 10,
      error: 'the backend ran out of memory',
      modelConfig: DEFAULT_MODEL_CONFIG,
      trainConfig: resolveTrainSettings({}, 10_000),
      backend: null,
    },
    { dataset: 'paper', split: 'random' },
  );
  const [esmm] = await trainRun({
    source: { kind: 'project', project, dataset: 'no-action' },
    models: ['esmm'],
    trainConfig: TRAIN,
  });
  noActionRun = esmm.id;
});

afterAll(() => {
  project?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(popplerMissing !== null)(`writeReportForRuns${popplerNote}`, () => {
  it('shows the numbers the views return, and the failed run with its error', async () => {
    const out = join(dir, 'paper.pdf');
    const progress: number[] = [];
    const written = await writeReportForRuns(project, [...trained, failedId], {
      out,
      title: 'Paper-like',
      onProgress: (fraction) => progress.push(fraction),
    });
    expect(written.path).toBe(out);
    expect(written.pages).toBe(pdfInfo(out).pages);
    expect(written.bytes).toBe(readFileSync(out).length);
    expect(written.seconds).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(1);
    const text = flat(pdfText(out));
    const dataset = await datasetDetail(project, 'paper');
    expect(text).toContain(`PSC share: of purchases`);
    expect(text).toContain(formatPercent(dataset.profile.funnel.rates.pscShare));
    expect(text).toContain(`Dataset sha256: ${dataset.sha256}`);
    const results = await resultsView(project, trained, 'test');
    for (const run of results.runs)
      expect(text).toContain(`${run.model} ${formatValue(results.metrics[run.id].cvr_auc)}`);
    const psc = await pscAnalysisFor(project, trained, 'test');
    const share = psc.empirical.pscShare as { estimate: number };
    expect(text).toContain(`PSC share: ${formatPercent(share.estimate)} (95% CI `);
    expect(text).toContain(`cvr_auc ${formatValue(psc.truth!.oracleAuc.cvr_auc)}`);
    expect(text).toContain('esmg (the backend ran out of memory)');
    expect(text).toMatch(/failed: the backend ran out of memory\. It has no metrics/);
    expect(pdfImages(out)).toEqual([]);
    for (const field of psc.slices) expect(text).toContain(`PSC gap P(buy, no action | click) by ${field.field}`);
  });

  it('explains what a dataset without an action label cannot show', async () => {
    const out = join(dir, 'no-action.pdf');
    await writeReportForRuns(project, [noActionRun], { out, pageSize: 'Letter' });
    expect(pdfInfo(out).width).toBeCloseTo(612, 1);
    const text = flat(pdfText(out));
    expect(text).toContain('The dataset has no in-shop action label');
    expect(text).toContain('PSC share: not available');
    expect(text).toContain('The data has no true probabilities');
    const results = await resultsView(project, [noActionRun], 'test');
    expect(text).toContain(`esmm ${formatValue(results.metrics[noActionRun].cvr_auc)}`);
  });

  it('reports a project whose runs all failed', async () => {
    const out = join(dir, 'failed.pdf');
    const { pages } = await writeReportForRuns(project, [failedId], { out });
    expect(pages).toBeGreaterThan(3);
    const text = flat(pdfText(out));
    expect(text).toContain('No run has predictions to evaluate, so there are no metrics.');
    expect(text).toContain('The PSC analysis is not available: none of the runs has predictions');
  });

  it('refuses an unknown run with a clear error and writes nothing', async () => {
    const out = join(dir, 'never.pdf');
    await expect(writeReportForRuns(project, ['no-such-run'], { out })).rejects.toThrow(/no run "no-such-run"/);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(popplerMissing !== null)(`esmc-lab report and demo${popplerNote}`, () => {
  beforeAll(() => project.close());

  it('writes a report of all runs of a dataset, or of runs named by id prefix', async () => {
    const out = join(dir, 'cli.pdf');
    const all = await cli('report', '--project', projectPath, '--runs', 'all', '--dataset', 'paper', '--out', out);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^wrote .*cli\.pdf: \d+ pages/);
    expect(all.stderr).toContain('Analysing Probability Space Confusion');
    expect(flat(pdfText(out))).toContain('esmg (the backend ran out of memory)');
    const letter = join(dir, 'cli-letter.pdf');
    const some = await cli(
      'report',
      '--project',
      projectPath,
      '--runs',
      trained[0].slice(0, 8),
      '--out',
      letter,
      '--page-size',
      'Letter',
    );
    expect(some.code, some.stderr).toBe(0);
    expect(pdfInfo(letter).height).toBeCloseTo(792, 1);
  });

  it('says what is wrong with the call', async () => {
    const unknown = await cli('report', '--project', projectPath, '--runs', 'zzzz', '--out', join(dir, 'x.pdf'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--runs: no run "zzzz"/);
    const ambiguous = await cli('report', '--project', projectPath, '--runs', 'all', '--out', join(dir, 'x.pdf'));
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/--runs all: the project has runs on paper, no-action; choose one with --dataset/);
    const size = await cli('report', '--project', projectPath, '--runs', 'all', '--page-size', 'A3');
    expect(size.code).toBe(2);
    expect(existsSync(join(dir, 'x.pdf'))).toBe(false);
  });

  it('runs the demo end to end: models that learn, a report, and the project kept beside it', async () => {
    const folder = join(dir, 'demo');
    mkdirSync(folder);
    const out = join(folder, 'demo.pdf');
    const kept = join(folder, 'demo.duckdb');
    const demo = await cli('demo', '--rows', '20000', '--epochs', '3', '--out', out);
    expect(demo.code, demo.stderr).toBe(0);
    const aucs = [...demo.stdout.matchAll(/^(chain|esm2|esmc)\s+completed\s+([\d.]+)/gm)];
    expect(aucs.map((m) => m[1])).toEqual(['chain', 'esm2', 'esmc']);
    for (const [, , cvrAuc] of aucs) expect(Number(cvrAuc)).toBeGreaterThan(0.55);
    expect(demo.stdout).toContain(`open it with: esmc-lab start --project ${kept}`);
    expect(readdirSync(folder).sort()).toEqual(['demo.duckdb', 'demo.pdf']);
    const text = flat(pdfText(out));
    expect(text).toContain('Do purchases bypass the in-shop action? — paper-like-20000');
    expect(text).toContain('What this demo shows: a simulated funnel (paper-like, 20,000 exposures) with known truth');
    expect(text).toContain('Chained vs constrained pCVR: esmc vs esm2');
    // Page 1 is the verdict of the kept runs, word for word; no page is under a fifth full.
    const keptProject = await openProject(kept);
    try {
      const runs = (await listRuns(keptProject)).map((run) => run.id);
      const { verdict } = await pscAnalysisFor(keptProject, runs, 'test');
      const first = squeezed(pdfPages(out)[0]);
      for (const sentence of [verdict!.headline, ...verdict!.sentences]) expect(first).toContain(squeezed(sentence));
      expect(flat(pdfPages(out)[0])).toContain(`the verdict trusts ${verdict!.trust} for pCVR because`);
    } finally {
      keptProject.close();
    }
    for (const [page, fill] of filledPerPage(out).entries()) expect(fill, `page ${page + 1}`).toBeGreaterThan(0.2);
    // The kept project holds the demo's dataset and runs: it reprints the report.
    const again = await cli('report', '--project', kept, '--runs', 'all', '--out', join(folder, 'again.pdf'));
    expect(again.code, again.stderr).toBe(0);
  });

  it('runs the demo again beside the same project: it adds to it, and --project still chooses another', async () => {
    const folder = join(dir, 'demo');
    const out = join(folder, 'demo.pdf');
    const second = await cli('demo', '--rows', '3000', '--epochs', '1', '--out', out);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`Importing into ${join(folder, 'demo.duckdb')} as "paper-like-3000"`);
    const third = await cli('demo', '--rows', '3000', '--epochs', '1', '--out', out);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toContain('as "paper-like-3000-2"');
    expect(flat(pdfText(out))).toContain('— paper-like-3000-2');
    const elsewhere = join(dir, 'elsewhere.duckdb');
    const chosen = await cli('demo', '--rows', '3000', '--epochs', '1', '--out', out, '--project', elsewhere);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stdout).toContain(`open it with: esmc-lab start --project ${elsewhere}`);
    expect(existsSync(elsewhere)).toBe(true);
  });
});
