/**
 * The report as a manager reads it: a first page with the verdict's own sentences, key figures, recommendation
 * and caveats; identifiers only in the appendix; percentages as the screen writes them; no page nearly empty;
 * a file name a person recognises.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPercent, formatValue } from '../../src-shared/charts/index.js';
import type { PscAnalysis, PscVerdict } from '../../src-shared/types/index.js';
import {
  claimReportFile,
  defaultReportTitle,
  reportFileName,
  writeReport,
  type ReportInput,
} from '../../src-main/report/index.js';
import { APPENDIX_TITLE, PSC_EXPERIMENT_FINDINGS } from '../../src-main/report/sections.js';
import { reportInput } from './fixtures.js';
import { filledPerPage, pdfPages, popplerMissing, popplerNote } from './pdf.js';

/** Without any whitespace: pdftotext breaks lines where the layout did, so only the characters compare. */
const squeezed = (text: string) => text.replace(/\s+/g, '');
const flat = (text: string) => text.replace(/\s+/g, ' ');

/** A demo-style report: chain, esm2 and esmc on simulated paper-like data, one of them not learned. */
function demoInput(options: { notLearned?: string[]; failedRun?: boolean } = {}): ReportInput {
  const { input } = reportInput(options);
  return {
    ...input,
    title: defaultReportTitle(input.dataset!.name, input.runs.length),
    demo: { preset: 'paper-like', rows: 20_000, pscShare: 0.4, models: ['chain', 'esm2', 'esmc'] },
  };
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-summary-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(popplerMissing !== null)(`the report's first page${popplerNote}`, () => {
  let input: ReportInput;
  let verdict: PscVerdict;
  let pages: string[];
  let fills: number[];
  let path: string;

  beforeAll(async () => {
    input = demoInput();
    verdict = (input.psc as PscAnalysis).verdict!;
    path = join(dir, 'demo.pdf');
    ({ fills } = await writeReport(input, path));
    pages = pdfPages(path);
  });

  it('is titled with the question on the dataset, unless a title is given', () => {
    expect(input.title).toBe('Do purchases bypass the in-shop action? — paper');
    expect(defaultReportTitle(null, 3)).toBe('Do purchases bypass the in-shop action? — 3 runs');
    expect(flat(pages[0])).toContain('Do purchases bypass the in-shop action? — paper');
  });

  it('holds the verdict’s headline and every sentence exactly as the app shows them', () => {
    expect(verdict.sentences.length).toBeGreaterThan(3);
    const page = squeezed(pages[0]);
    expect(page).toContain(squeezed(verdict.headline));
    for (const sentence of verdict.sentences) expect(page, sentence).toContain(squeezed(sentence));
  });

  it('gives the key figures, the recommendation and the caveats', () => {
    const page = flat(pages[0]);
    const share = verdict.share.dataset as { estimate: number; ci95: [number, number]; successes: number };
    expect(page).toContain(`Purchases without an in-shop action (PSC share): ${formatPercent(share.estimate)}`);
    expect(page).toContain(`95% interval ${formatPercent(share.ci95[0])} to ${formatPercent(share.ci95[1])}`);
    for (const model of verdict.models) {
      const auc = `${formatValue(model.cvrAuc.value)} [${formatValue(model.cvrAuc.ci95[0])}, ${formatValue(model.cvrAuc.ci95[1])}]`;
      expect(page, model.model).toMatch(
        new RegExp(`${model.model} ${model.rank} ${auc.replace(/[[\]]/g, '\\$&')} \\S+ yes`),
      );
    }
    expect(page).toContain(`Recommendation • Use ${verdict.trust} for pCVR:`);
    expect(page).toContain('Caveats');
    for (const caveat of verdict.caveats) expect(squeezed(pages[0])).toContain(squeezed(caveat));
    expect(page).toMatch(
      /Details: 1 Dataset \(page 2\) · .* Appendix: identifiers, settings and definitions \(page \d+\)/,
    );
  });

  it('says what the demo shows, with the model the verdict trusts and why', () => {
    const page = flat(pages[0]);
    expect(page).toContain('What this demo shows: a simulated funnel (paper-like, 20,000 exposures) with known truth,');
    expect(page).toContain('where 40% of purchases bypass the in-shop action.');
    expect(page).toContain(
      `the verdict trusts ${verdict.trust} for pCVR because it has the lowest error against the known true CVR`,
    );
  });

  it('names no file, hash, seed, backend or run id before the appendix, and all of them in it', () => {
    const text = pages.join('\f');
    const appendix = text.lastIndexOf(APPENDIX_TITLE);
    // The contents line on page 1 names the appendix too; the heading is the last mention.
    expect(appendix).toBeGreaterThan(pages[0].length);
    const before = flat(text.slice(0, appendix));
    const after = flat(text.slice(appendix));
    const dataset = input.dataset!;
    const secrets = [
      dataset.sha256,
      dataset.sha256.slice(0, 12),
      dataset.sourcePath,
      input.project.path,
      ...input.runs.flatMap((r) => [r.id, r.id.slice(0, 8)]),
      '/tmp/',
      'Seeds',
      'shuffling',
      'wasm',
    ];
    for (const secret of secrets) expect(before, secret).not.toContain(secret);
    for (const secret of [dataset.sha256, dataset.sourcePath, input.project.path, ...input.runs.map((r) => r.id)])
      expect(after, secret).toContain(secret);
    expect(after).toContain('Seeds: all runs: model 1, shuffling');
    // The definitions are stated once, in the appendix.
    expect(before).not.toContain('P(a=0 | b=1, c=1): share of clicked purchases made without an in-shop action');
    expect(after).toContain('P(a=0 | b=1, c=1): share of clicked purchases made without an in-shop action');
    expect(squeezed(after)).toContain(squeezed('A stage is learned when, on held-out rows, its AUC interval'));
    // The simulated experiment is cited where the definitions are, not in the verdict's pages.
    expect(squeezed(after)).toContain(squeezed(PSC_EXPERIMENT_FINDINGS));
    expect(before).not.toContain('docs/psc-experiment.md');
  });

  it('writes rates and shares as percentages, the way the screen formats them', () => {
    const text = flat(pages.join(' '));
    const psc = input.psc as PscAnalysis;
    const { rates } = input.dataset!.profile.funnel;
    const shares = [verdict.share.dataset!, verdict.share.part, psc.empirical.pscShare].flatMap((p) =>
      p.available ? [p.estimate, ...p.ci95] : [],
    );
    for (const value of [...shares, rates.ctr!, rates.cvr!, rates.avr!, rates.pscShare!]) {
      expect(text, String(value)).toContain(formatPercent(value));
      expect(text, String(value)).not.toContain(formatValue(value));
    }
    // The gaps (probabilities per click) too, in the report's own text; a chart's subtitle is the chart builder's.
    const gap = psc.empirical.gap as { estimate: number; ci95: [number, number] };
    expect(text).toContain(
      `Empirical gap: ${formatPercent(gap.estimate)} (95% CI ${formatPercent(gap.ci95[0])} – ${formatPercent(gap.ci95[1])};`,
    );
    for (const model of Object.values(psc.models))
      if (model.impliedGap.kind === 'decomposed') expect(text).toContain(formatPercent(model.impliedGap.value));
    for (const pair of psc.estimates) {
      expect(text).toContain(formatPercent(pair.clicked.meanChained));
      expect(text).toContain(formatPercent(pair.clicked.meanConstrained));
    }
    // AUCs and log-losses stay decimals.
    expect(text).toContain(formatValue(verdict.models[0].cvrAuc.value));
    expect(text).toContain(formatValue(input.results!.metrics[input.runs[0].id].cvr_logloss));
  });

  it('leaves no page under a fifth full, measured by the layout and on the rendered pages', () => {
    expect(fills).toHaveLength(pages.length);
    const rendered = filledPerPage(path);
    expect(rendered).toHaveLength(pages.length);
    for (const [page, fill] of fills.entries()) {
      expect(fill, `page ${page + 1} (layout)`).toBeGreaterThanOrEqual(0.2);
      expect(rendered[page], `page ${page + 1} (rendered)`).toBeGreaterThanOrEqual(0.2);
      // The layout's measure and the ink agree to within a few lines.
      expect(Math.abs(rendered[page] - fill), `page ${page + 1}`).toBeLessThan(0.08);
    }
  });
});

describe.skipIf(popplerMissing !== null)(`the first page with runs that did not learn${popplerNote}`, () => {
  it('names each run that did not learn, with why, and a failed run, and still fits one page', async () => {
    const input = demoInput({ notLearned: ['esmc'], failedRun: true });
    const verdict = (input.psc as PscAnalysis).verdict!;
    const path = join(dir, 'not-learned.pdf');
    const { fills } = await writeReport(input, path, { pageSize: 'Letter' });
    const pages = pdfPages(path);
    const page = flat(pages[0]);
    expect(verdict.trust).not.toBe('esmc');
    for (const sentence of verdict.sentences) expect(squeezed(pages[0]), sentence).toContain(squeezed(sentence));
    expect(page).toContain('esmc did not learn: CVR (AUC 0.49 [0.44, 0.54] includes 0.5).');
    expect(page).toMatch(/esmc not ranked .* no /);
    expect(page).toContain('1 run(s) failed and have no metrics: esmg (out of memory');
    expect(page).toMatch(/Details: 1 Dataset \(page 2\)/);
    for (const [k, fill] of fills.entries()) expect(fill, `page ${k + 1}`).toBeGreaterThanOrEqual(0.2);
  });

  it('does not judge whether PSC hurts a chained run that did not learn', async () => {
    const input = demoInput({ notLearned: ['chain'] });
    const path = join(dir, 'chain-not-learned.pdf');
    await writeReport(input, path);
    const page = flat(pdfPages(path)[0]);
    expect(page).toContain(
      'chain routes purchases through the action, but it did not learn: whether PSC hurts it cannot be read from this run.',
    );
    expect(page).not.toMatch(/chain is (not )?hurt/);
    expect(page).toMatch(/chain not ranked .* no not read \(not ranked\)/);
  });
});

describe.skipIf(popplerMissing !== null)(`the first page when the part cannot test pCVR${popplerNote}`, () => {
  it('recommends no model, says why, and prints no CVR log-loss measured on clicks of one class', async () => {
    const input = demoInput();
    const psc = input.psc as PscAnalysis;
    const unranked = 'the test part has 0 purchases among 5 clicks, so pCVR cannot be tested there';
    const verdict: PscVerdict = {
      ...psc.verdict!,
      rankedBy: 'logloss',
      trust: null,
      unranked,
      tiedWithTrust: [],
      hurt: [],
      models: psc.verdict!.models.map((m) => ({ ...m, rank: null, hurt: false, versusTrusted: undefined })),
    };
    const path = join(dir, 'unranked.pdf');
    await writeReport({ ...input, psc: { ...psc, verdict } }, path);
    const page = flat(pdfPages(path)[0]);
    expect(page).toContain(`Recommendation • No model can be recommended for pCVR: ${unranked}.`);
    expect(page).toContain(`; ${unranked}, so the verdict trusts none`);
    for (const model of verdict.models)
      expect(page, model.model).toMatch(new RegExp(`${model.model} not ranked .* — yes`));
  });
});

describe('the report’s file name', () => {
  const date = new Date(2026, 11, 3, 23, 30);

  it('says what the report is on and when, in characters every system accepts', () => {
    expect(reportFileName('paper-like-50000', date)).toBe('ESMC report – paper-like-50000 – 2026-12-03.pdf');
    expect(reportFileName('paper-like-50000', date, 2)).toBe('ESMC report – paper-like-50000 – 2026-12-03 (2).pdf');
    expect(reportFileName('a/b\\c: "λ" sweep?*<>|', date)).toBe('ESMC report – a b c λ sweep – 2026-12-03.pdf');
    expect(reportFileName('..hidden. ', date)).toBe('ESMC report – hidden – 2026-12-03.pdf');
    expect(reportFileName('CON', date)).toBe('ESMC report – CON_ – 2026-12-03.pdf');
    expect(reportFileName('x'.repeat(300), date).length).toBeLessThan(120);
    expect(reportFileName('line\nbreak\u0000', date)).toBe('ESMC report – line break – 2026-12-03.pdf');
  });

  it('adds " (2)" only when a file of that name exists, and never gives two reports one name', async () => {
    const folder = mkdtempSync(join(dir, 'names-'));
    const first = await claimReportFile(folder, 'paper-like-50000', date);
    expect(basename(first)).toBe('ESMC report – paper-like-50000 – 2026-12-03.pdf');
    writeFileSync(first, '%PDF- an earlier report');
    const together = await Promise.all([1, 2, 3].map(() => claimReportFile(folder, 'paper-like-50000', date)));
    expect(together.map((p) => basename(p)).sort()).toEqual([
      'ESMC report – paper-like-50000 – 2026-12-03 (2).pdf',
      'ESMC report – paper-like-50000 – 2026-12-03 (3).pdf',
      'ESMC report – paper-like-50000 – 2026-12-03 (4).pdf',
    ]);
    expect(readdirSync(folder)).toHaveLength(4);
    expect(existsSync(first)).toBe(true);
  });
});
