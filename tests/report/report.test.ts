import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPercent, formatValue } from '../../src-shared/charts/index.js';
import { cvrGaucNote, UNTESTABLE_METRICS_NOTE } from '../../src-shared/metrics-shown.js';
import type { PscAnalysis } from '../../src-shared/types/index.js';
import { writeReport, type ReportInput } from '../../src-main/report/index.js';
import { reportInput } from './fixtures.js';
import { inkPerPage, pdfImages, pdfInfo, pdfText, popplerMissing, popplerNote } from './pdf.js';

const SECTION_TITLES = [
  '1 Dataset',
  '2 Validation findings',
  '3 Models and training',
  '4 Metrics',
  '5 Calibration per stage',
  '6 Probability Space Confusion',
  '7 Error against the truth',
  'Appendix: identifiers, settings and definitions',
];

/** pdftotext joins words of one line with single spaces; collapsing whitespace makes phrases comparable. */
function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}

let dir: string;
let input: ReportInput;
let path: string;
let written: { pages: number; bytes: number };
let text: string;
const progress: [number, string][] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-report-'));
  input = reportInput({ failedRun: true }).input;
  path = join(dir, 'report.pdf');
  written = await writeReport(input, path, { onProgress: (f, m) => progress.push([f, m]) });
  if (!popplerMissing) text = flat(pdfText(path));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(popplerMissing !== null)(`writeReport${popplerNote}`, () => {
  it('writes an A4 PDF whose page count and size are what it says', () => {
    const info = pdfInfo(path);
    expect(info.pages).toBe(written.pages);
    expect(written.pages).toBeGreaterThan(8);
    expect(readFileSync(path).length).toBe(written.bytes);
    expect(info.width).toBeCloseTo(595.28, 1);
    expect(info.height).toBeCloseTo(841.89, 1);
    expect(text).toContain(`page 1 of ${written.pages}`);
    expect(text).toContain(`page ${written.pages} of ${written.pages}`);
  });

  it('has every section, in order', () => {
    let from = 0;
    for (const title of SECTION_TITLES) {
      const at = text.indexOf(title, from);
      expect(at, title).toBeGreaterThan(from);
      from = at;
    }
  });

  it('shows the identifiers in the appendix and the numbers of the input, formatted as the charts format them', () => {
    const dataset = input.dataset!;
    expect(text).toContain(input.title);
    expect(text).toContain(`ESMC Lab version: ${input.appVersion}`);
    expect(text).toContain('Backend and device: all runs: wasm: CPU (wasm SIMD)');
    expect(text).toContain(`Dataset sha256: ${dataset.sha256}`);
    expect(text).toContain(`PSC share: of purchases`);
    expect(text).toContain(formatPercent(dataset.profile.funnel.rates.pscShare));
    for (const run of input.results!.runs)
      expect(text).toContain(`${run.model} ${formatValue(input.results!.metrics[run.id].cvr_auc)}`);
    const psc = input.psc as PscAnalysis;
    const share = psc.empirical.pscShare as { estimate: number; ci95: [number, number] };
    expect(text).toContain(
      `PSC share: ${formatPercent(share.estimate)} (95% CI ${formatPercent(share.ci95[0])} – ${formatPercent(share.ci95[1])};`,
    );
    expect(text).toContain('Oracle AUC');
    expect(text).toContain(`cvr_auc ${formatValue(psc.truth!.oracleAuc.cvr_auc)}`);
  });

  it('states the models’ formulas, hyper-parameters and the definitions', () => {
    for (const model of input.models) expect(text).toContain(flat(model.formula));
    expect(text).toContain('constraint λ = 0.01');
    // Only a model with the constraint among its loss terms lists its settings.
    const esm2Settings = flat(text).match(/esm2[^:]*: embedding .*?parameters/)?.[0];
    expect(esm2Settings).toBeDefined();
    expect(esm2Settings).not.toContain('constraint');
    expect(text).toContain('P(a=0 | b=1, c=1): share of clicked purchases made without an in-shop action');
  });

  it('draws its charts as vectors with searchable text', () => {
    expect(pdfImages(path)).toEqual([]);
    for (const chartText of [
      'Funnel: 20,000 exposures',
      'ROC: pCVR (clicked rows)',
      'Calibration: pCTCVR (all exposures)',
      'Chained vs constrained pCVR: esmc vs esm2',
      'pCVR = action path + no-action path',
      'PSC gap P(buy, no action | click)',
      'Error against the true probabilities (RMSE)',
      'Training loss',
    ])
      expect(text, chartText).toContain(chartText);
    expect(text).toMatch(/Δ on clicked rows: esmc − chain/);
  });

  it('has ink on every page', () => {
    const ink = inkPerPage(path);
    expect(ink).toHaveLength(written.pages);
    for (const [page, share] of ink.entries()) expect(share, `page ${page + 1}`).toBeGreaterThan(0.005);
  });

  it('says a run failed, with its error, instead of leaving it out silently', () => {
    expect(text).toContain(
      '1 run(s) failed and have no metrics: esmg (out of memory while allocating the embedding table)',
    );
    expect(text).toMatch(/esmg failed: out of memory .* missing from every table and chart below/);
  });

  it('reports progress from 0 to 1, section by section', () => {
    expect(progress[0]).toEqual([0, 'Summary']);
    expect(progress.at(-1)![0]).toBe(1);
    for (let k = 1; k < progress.length; k++) expect(progress[k][0]).toBeGreaterThan(progress[k - 1][0]);
  });
});

describe.skipIf(popplerMissing !== null)(`writeReport on incomplete inputs${popplerNote}`, () => {
  it('explains what is missing for a dataset without an action label', async () => {
    const noAction = reportInput({ withAction: false }).input;
    const out = join(dir, 'no-action.pdf');
    await writeReport(noAction, out, { pageSize: 'Letter' });
    const info = pdfInfo(out);
    expect(info.width).toBeCloseTo(612, 1);
    expect(info.height).toBeCloseTo(792, 1);
    const noActionText = flat(pdfText(out));
    for (const title of SECTION_TITLES) expect(noActionText).toContain(title);
    expect(noActionText).toContain('The dataset has no in-shop action label');
    expect(noActionText).toContain('No in-shop action label: actions and the PSC share are not available');
    expect(noActionText).toContain('PSC share: not available: the data has no in-shop action label');
    expect(noActionText).toContain('No pair of a chained model');
  });

  it('explains a missing analysis and missing results', async () => {
    const bare: ReportInput = {
      ...reportInput().input,
      results: null,
      psc: { unavailable: 'no run has predictions on the test part' },
    };
    const out = join(dir, 'bare.pdf');
    const { pages } = await writeReport(bare, out);
    const bareText = flat(pdfText(out));
    expect(pages).toBeGreaterThan(3);
    expect(bareText).toContain('No run has predictions to evaluate, so there are no metrics.');
    expect(bareText).toContain('The PSC analysis is not available: no run has predictions on the test part.');
  });

  it('says why cvr_gauc is missing, in the words of the Results view', async () => {
    const few = reportInput().input;
    const results = few.results!;
    const metrics = Object.fromEntries(
      Object.entries(results.metrics).map(([id, m]) => [id, { ...m, cvr_gauc: NaN, cvr_gauc_users: 7 }]),
    );
    const out = join(dir, 'few-users.pdf');
    await writeReport({ ...few, results: { ...results, metrics } }, out);
    const note = cvrGaucNote(Object.values(metrics), results.part)!;
    expect(note).toContain('only 7 users have both a purchase and a non-purchase');
    expect(flat(pdfText(out))).toContain(note);
    expect(text).not.toContain('cvr_gauc is left out');
  });

  it("prints — for a stage the run's check found untestable on the part, as the Results view does", async () => {
    const base = reportInput().input;
    const results = base.results!;
    const [first, ...others] = results.runs;
    const untestable = {
      ...first.learning!,
      untestable: ['ctr' as const],
      parts: {
        [results.part]: {
          part: results.part,
          stages: [{ ...first.learning!.parts[results.part]?.stages[0], stage: 'ctr', status: 'untestable' }],
        },
      },
    } as typeof first.learning;
    const runs = [{ ...first, learning: untestable }, ...others];
    const out = join(dir, 'untestable.pdf');
    await writeReport({ ...base, results: { ...results, runs } }, out);
    const page = flat(pdfText(out));
    // The section itself, past the first page's list of sections.
    const from = page.indexOf('4 Metrics', page.indexOf('4 Metrics (page') + 1);
    const metrics = page.slice(from, page.indexOf('5 Calibration per stage', from));
    // The run's CTR AUC and CTR log-loss (the last column) are gone from both tables; the next run's remain.
    const n = '[\\d.]+';
    const ctr = (run: (typeof runs)[number]) => formatValue(results.metrics[run.id].ctr_logloss);
    expect(metrics).toMatch(new RegExp(`${first.model} ${n} \\[${n}, ${n}\\] — ${n} \\[`));
    expect(metrics).toMatch(new RegExp(`${first.model} (${n}|—) (${n}|—) (${n}|—) ${n} ${n} — ${others[0].model} `));
    expect(metrics).toMatch(new RegExp(`${others[0].model} (${n}|—) (${n}|—) (${n}|—) ${n} ${n} ${ctr(others[0])} `));
    expect(metrics).toContain(UNTESTABLE_METRICS_NOTE);
  });

  it('leaves what was at the path untouched when cancelled', async () => {
    const out = join(dir, 'kept.pdf');
    writeFileSync(out, 'an older report');
    const controller = new AbortController();
    const writing = writeReport(input, out, {
      signal: controller.signal,
      onProgress: (fraction) => {
        if (fraction > 0.3) controller.abort(new Error('cancelled by the user'));
      },
    });
    await expect(writing).rejects.toThrow('cancelled by the user');
    expect(readFileSync(out, 'utf8')).toBe('an older report');
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });
});
