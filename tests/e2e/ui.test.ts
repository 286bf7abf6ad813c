/**
 * The analyst UI end to end, as a person uses it: the real browser host on a temp project, Debian's chromium,
 * a CSV dropped on the drop zone, the mapping confirmed, two models trained for a few steps, the PSC view led by
 * its verdict (on screen without scrolling, the Data view's PSC share in its first sentence, the verdict's
 * headline on the exported PDF's first page), a run trained so that it cannot learn (flagged "not learned" in
 * every view), and a training cancelled. Screenshots (1440×900 window, full page; the PSC and Results views also
 * as the window shows them, at 1440×900 and 1024×700, light and dark) land in test-results/screenshots/ (CI keeps
 * them).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createApiService, type ApiService } from '../../src-main/api/service.js';
import { MODEL_NAMES } from '../../src-main/engine/models/index.js';
import { startHost, type Host } from '../../src-main/host/server.js';
import { SAMPLE_FOLDERS, samplePath } from '../helpers/datasets.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOTS = join(ROOT, 'test-results/screenshots');
const dataFile = samplePath('taobao-userbehavior/userbehavior_first_4321_lines.csv');
const skipReason = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium)`;
const hasPdftotext = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
/** Text with every run of whitespace (line breaks included) as one space, to compare wrapped text with a line. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The objects a page holds that this Node program has no DOM types for. */
interface PageGlobals {
  document: { documentElement: { scrollHeight: number } };
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: string[], name: string, options: { type: string }) => unknown;
}

describe.skipIf(skipReason !== null)('analyst UI in the browser host', () => {
  let work: string;
  let service: ApiService;
  let host: Host;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  /** The Data view's PSC share of the imported dataset, as written there: the verdict must write the same. */
  let dataShare = '';

  beforeAll(async () => {
    if (!existsSync(dataFile))
      throw new Error(`the Taobao sample is missing: looked in ${SAMPLE_FOLDERS.join(' and ')}`);
    work = await mkdtemp(join(tmpdir(), 'esmc-e2e-'));
    // Build the renderer from the current sources into the temp folder, so the test never serves a stale build
    // and never writes dist/ under other tests' feet.
    const { build } = await import('vite');
    const staticDir = join(work, 'renderer');
    await build({
      root: join(ROOT, 'src-renderer'),
      logLevel: 'warn',
      build: { outDir: staticDir, emptyOutDir: true },
    });
    service = await createApiService({ projectPath: join(work, 'lab.duckdb'), shell: 'browser', workers: 2 });
    host = await startHost({ service, staticDir, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    // Reduced motion: the charts draw without animation, as for a person who asked for it, so shots are final.
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, reducedMotion: 'reduce' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await service?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /**
   * The whole page at the window's width: the window is made as tall as the page for the shot, so the sticky
   * header and status bar sit at its top and bottom instead of being drawn over its middle (as a full-page shot
   * of a 900-pixel window draws them).
   */
  async function shot(name: string): Promise<void> {
    const { width, height } = page.viewportSize()!;
    const pageHeight = await page.evaluate(
      () => (globalThis as unknown as PageGlobals).document.documentElement.scrollHeight,
    );
    await page.setViewportSize({ width, height: Math.max(height, pageHeight) });
    try {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    } finally {
      await page.setViewportSize({ width, height });
    }
  }
  /** What the window shows without scrolling, at each size and in each theme, then back to 1440×900 in light. */
  async function windowShots(name: string): Promise<void> {
    const themeButton = page.getByRole('button', { name: /^Theme: / });
    const setTheme = async (theme: 'light' | 'dark') => {
      for (let i = 0; i < 3 && !(await themeButton.getAttribute('aria-label'))!.startsWith(`Theme: ${theme}`); i++)
        await themeButton.click();
    };
    try {
      for (const theme of ['light', 'dark'] as const) {
        await setTheme(theme);
        for (const [width, height] of [
          [1440, 900],
          [1024, 700],
        ]) {
          await page.setViewportSize({ width, height });
          await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
          await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}x${height}-${theme}.png`) });
        }
      }
    } finally {
      await setTheme('light');
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  }
  /** What the page showed when a step failed, beside the step's own screenshots. */
  function shotOnFailure(name: string): void {
    onTestFailed(async () => {
      await shot(`failed-${name}`).catch(() => undefined);
    });
  }
  const view = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name });
  /** The Train view's advanced fields (Stop after steps…) are under "More settings". */
  async function openMoreSettings(): Promise<void> {
    const more = page.locator('details.more');
    if ((await more.getAttribute('open')) === null) await more.locator('summary').click();
  }

  /** The series names an ECharts SVG chart drew (legend and labels are SVG text). */
  async function chartTexts(label: string): Promise<string> {
    const chart = page.getByRole('img', { name: label });
    await expect.poll(() => chart.locator('svg path').count(), { timeout: 20_000 }).toBeGreaterThan(5);
    return (await chart.locator('svg text').allTextContents()).join(' | ');
  }

  it('opens with the lab info: backend and simulator presets', async () => {
    shotOnFailure('opens');
    await page.goto(host.url);
    // The first app.info resolves the training backend, which takes seconds.
    await expect
      .poll(() => page.getByRole('button', { name: 'Simulate paper-like' }).count(), { timeout: 30_000 })
      .toBe(1);
    await expect.poll(() => page.getByText(/^Backend: .+\(.+\)/).count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByText('connected', { exact: true }).count()).toBe(1);
  });

  it('imports a dropped CSV through the mapping table and draws its funnel', async () => {
    shotOnFailure('import');
    const text = await readFile(dataFile, 'utf8');
    const dataTransfer = await page.evaluateHandle(
      ({ text, name }) => {
        const scope = globalThis as unknown as PageGlobals;
        const transfer = new scope.DataTransfer();
        transfer.items.add(new scope.File([text], name, { type: 'text/csv' }));
        return transfer;
      },
      { text, name: 'userbehavior_first_4321_lines.csv' },
    );
    const zone = '[role="region"][aria-label="Drop data files here"]';
    for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent(zone, type, { dataTransfer });

    const mapping = page.getByRole('table', { name: 'Column roles of userbehavior_first_4321_lines.csv' });
    await mapping.waitFor({ timeout: 30_000 });
    // The Taobao events became one row per (user, item) with derived labels, suggested as such.
    expect(await page.getByRole('combobox', { name: 'Role of click' }).inputValue()).toBe('click');
    expect(await page.getByRole('combobox', { name: 'Role of action' }).inputValue()).toBe('action');
    expect(await page.getByRole('combobox', { name: 'Role of purchase' }).inputValue()).toBe('purchase');
    // A person's edit: the raw timestamp is no feature.
    await page.getByRole('combobox', { name: 'Role of timestamp' }).selectOption('ignore');
    await shot('01-mapping');

    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const funnel = await chartTexts('Funnel chart');
    expect(funnel).toMatch(/Funnel/);
    expect(funnel).toMatch(/PSC share/);
    const rates = page.getByLabel('Funnel rates');
    expect(await rates.innerText()).toMatch(/PSC share\s+\d+\.\d\d%/);
    // The whole dataset's PSC share with its counts and interval, written as the PSC verdict writes it.
    const share = page.getByLabel('PSC share of the dataset');
    dataShare = await share.locator('.figure').innerText();
    expect(dataShare).toMatch(
      /^\d+\.\d\d% \([\d,]+ of [\d,]+ clicked purchases; 95% interval \d+\.\d\d% to \d+\.\d\d%\)$/,
    );
    expect(dataShare.startsWith((await rates.innerText()).match(/PSC share\s+(\d+\.\d\d%)/)![1])).toBe(true);
    expect(await page.getByRole('table', { name: 'Column statistics' }).locator('tbody tr').count()).toBeGreaterThan(3);
    expect(await page.getByRole('table', { name: 'Column roles of userbehavior_first_4321_lines.csv' }).count()).toBe(
      0,
    );
    await shot('02-profile');
  });

  it('trains two models for a few steps with live curves', async () => {
    shotOnFailure('train');
    await view('Train').click();
    const models = MODEL_NAMES;
    for (const model of models) {
      const box = page.getByRole('checkbox', { name: new RegExp(`^${model} —`) });
      if (model === 'esm2' || model === 'esmc') await box.check();
      else await box.uncheck();
    }
    await page.getByLabel('Epochs').fill('1');
    await page.getByLabel('Batch size').fill('128');
    await page.getByLabel('Learning rate').fill('0.01');
    await page.getByLabel('Embedding dim').fill('4');
    await page.getByLabel('Tower widths').fill('16');
    await openMoreSettings();
    await page.getByLabel('Stop after steps').fill('15');
    // Before Start: what the training will do with these settings, resolved on this dataset.
    const plan = page.getByRole('group', { name: 'Training plan' });
    await expect
      .poll(() => plan.locator('.plan-line').textContent(), { timeout: 20_000 })
      .toMatch(/^Batch 128 · learning rate 0\.01 · up to 1 epoch · stops after 15 steps · early stopping/);
    await page.getByRole('button', { name: 'Start training' }).click();

    await page.getByRole('button', { name: 'Open results' }).waitFor({ timeout: 90_000 });
    const losses = await chartTexts('Loss curves');
    expect(losses).toContain('esm2');
    expect(losses).toContain('esmc');
    const progress = await page.getByRole('table', { name: 'Training progress' }).innerText();
    expect(progress).toMatch(/esm2/);
    expect(progress).toMatch(/esmc/);
    await shot('03-training');
  });

  it("leads the PSC view with the verdict, on screen at once, with the Data view's share", async () => {
    shotOnFailure('psc');
    await view('PSC').click();
    const verdict = page.getByRole('region', { name: 'PSC verdict' });
    await verdict.waitFor({ timeout: 60_000 });
    const headline = oneLine(await verdict.locator('.headline').innerText());
    expect(headline).toMatch(/^\d+\.\d\d% of purchases bypass the in-shop action: /);
    // The whole verdict is in the 1440×900 window as the analysis lands: below the header, above the status bar.
    const box = (await verdict.boundingBox())!;
    const header = (await page.locator('header.top').boundingBox())!;
    const status = (await page.getByRole('contentinfo', { name: 'Status' }).boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(header.y + header.height);
    expect(box.y + box.height).toBeLessThanOrEqual(status.y);
    expect(box.x + box.width).toBeLessThanOrEqual(1440);
    // One figure everywhere: the first sentence starts with the Data view's PSC share, word for word.
    const sentences = verdict.getByRole('list', { name: 'Verdict sentences' }).getByRole('listitem');
    const first = oneLine(await sentences.first().innerText());
    expect(first.startsWith(`${dataShare} were made without an in-shop action on the whole dataset.`)).toBe(true);
    // Every model is in its table: ranked when it learned, "not ranked" and greyed when it did not.
    const models = verdict.getByRole('table', { name: 'Models in the verdict' });
    const rows = models.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    for (const row of await rows.all()) {
      const rank = await row.locator('td.rank').innerText();
      const greyed = (await row.getAttribute('class'))?.includes('unlearned') ?? false;
      expect(rank === 'not ranked' ? greyed : /^\d$/.test(rank) && !greyed).toBe(true);
    }
    // A term's definition is one click away, at the bottom of the view.
    await verdict.locator('.headline a.term').first().click();
    const definition = page.locator('#psc-definition-pscShare');
    await expect.poll(() => definition.evaluate((element) => element.classList.contains('highlight'))).toBe(true);
    expect(await definition.isVisible()).toBe(true);

    // The sections below, as before.
    const scatter = await chartTexts('Chained vs constrained scatter');
    expect(scatter).toContain('esmc vs esm2');
    expect(scatter).toContain('chained = constrained');
    expect(await chartTexts('Delta histogram')).toMatch(/Δ/);
    expect(await chartTexts('Decomposition chart')).toContain('esm2');
    const implied = await page.getByRole('table', { name: 'Implied gap by model' }).innerText();
    // Each name carries its run's verdict (Learned, Not learned) before its role.
    expect(implied).toMatch(/esm2[^\n]*\tchained/);
    expect(implied).toMatch(/esmc[^\n]*\tconstrained/);
    expect(implied).not.toMatch(/lower.bound/i);
    expect(await page.getByText(/^PSC share on the test part/).count()).toBe(1);
    await shot('04-psc');
    await windowShots('04-psc-window');
  });

  it("exports the PSC view's runs as a PDF whose first page holds the verdict's headline and sentences", async () => {
    shotOnFailure('report');
    const verdict = page.getByRole('region', { name: 'PSC verdict' });
    const headline = oneLine(await verdict.locator('.headline').innerText());
    const sentences = await verdict.getByRole('list', { name: 'Verdict sentences' }).locator('li').allInnerTexts();
    const download = page.waitForEvent('download', { timeout: 90_000 });
    await page.getByRole('button', { name: 'Export PDF' }).click();
    const file = await download;
    expect(await file.failure()).toBeNull();
    const pdf = await readFile(await file.path());
    const path = join(work, 'psc-report.pdf');
    await writeFile(path, pdf);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(
      await page
        .getByRole('status')
        .filter({ hasText: /\d+ pages written to/ })
        .count(),
    ).toBe(1);
    if (!hasPdftotext) return;
    const firstPage = oneLine(
      execFileSync('pdftotext', ['-enc', 'UTF-8', '-layout', '-f', '1', '-l', '1', path, '-'], { encoding: 'utf8' }),
    );
    expect(firstPage).toContain(headline);
    // pdftotext breaks lines where the layout did (also after a hyphen): the characters must be the screen's.
    const squeezed = (text: string) => text.replace(/\s+/g, '');
    expect(sentences.length).toBeGreaterThan(2);
    for (const sentence of sentences) expect(squeezed(firstPage), sentence).toContain(squeezed(sentence));
  });

  it('compares the runs in Results with intervals', async () => {
    shotOnFailure('results');
    await view('Results').click();
    const table = page.getByRole('table', { name: 'Metrics by run' });
    await table.waitFor({ timeout: 30_000 });
    expect(await table.innerText()).toMatch(/esm2[\s\S]*esmc|esmc[\s\S]*esm2/);
    expect(await chartTexts('ROC curves, cvr')).toContain('esmc');
    // The PSC verdict of the same runs leads, above the metrics (analysed already: nothing to wait for).
    const verdict = page.getByRole('region', { name: 'PSC verdict' });
    await verdict.waitFor({ timeout: 60_000 });
    expect((await verdict.boundingBox())!.y).toBeLessThan((await table.boundingBox())!.y);
    expect(oneLine(await verdict.getByRole('listitem').first().innerText())).toContain(dataShare);
    await shot('05-results');
    await windowShots('05-results-window');
  });

  it("inspects the rows the chain rule cannot explain, and one row's path", async () => {
    shotOnFailure('stages');
    await view('Stages').click();
    await page
      .getByRole('combobox', { name: 'Row filter' })
      .selectOption({ label: 'Purchased without an action (PSC)' });
    const table = page.getByRole('table', { name: 'Rows and stage probabilities' });
    await expect.poll(() => page.getByText(/^rows 1–\d+ of \d+/).count(), { timeout: 20_000 }).toBe(1);
    const rows = table.locator('tbody tr');
    // Every row shown is a clicked purchase without an action: click 1, action 0, purchase 1. Polled, because the
    // unfiltered page the view opened with may still be on screen until the filtered one lands.
    const labelsShown = async () =>
      Promise.all((await rows.all()).map(async (row) => (await row.locator('td').allTextContents()).slice(1, 4)));
    await expect
      .poll(
        async () => {
          const shown = await labelsShown();
          return shown.length > 0 && shown.every((labels) => labels.join(',') === '1,0,1');
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    await page.getByRole('button', { name: 'Sort by esmc pCVR' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'loading' }).count(), { timeout: 20_000 })
      .toBe(0);
    expect(await page.getByRole('columnheader', { name: 'Sort by esmc pCVR' }).getAttribute('aria-sort')).toBe(
      'descending',
    );
    await rows
      .first()
      .getByRole('button', { name: /^Inspect row/ })
      .click();
    expect(await chartTexts('Row path chart')).toMatch(/clicked, no action, purchased/);
    expect(await page.getByRole('table', { name: 'Row features' }).innerText()).toMatch(/item_id/);
    await shot('06-stages');
  });

  it('shows the gap column, filters on a range, and exports exactly the rows it shows as CSV', async () => {
    shotOnFailure('stages-export');
    await view('Stages').click();
    const table = page.getByRole('table', { name: 'Rows and stage probabilities' });
    // esm2 (chained) and esmc (constrained) are compared: the row's Δ between their pCVRs is a column.
    const gapHeader = table.getByRole('columnheader', { name: 'Sort by Δ esmc − esm2' });
    await expect.poll(() => gapHeader.count(), { timeout: 20_000 }).toBe(1);
    const ranges = page.getByRole('form', { name: 'Range filter' });
    await ranges.getByLabel('Column of the range').selectOption({ label: 'Δ esmc − esm2' });
    await ranges.getByLabel('Lower bound').fill('-1');
    await ranges.getByLabel('Upper bound').fill('1');
    await ranges.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => ranges.getByRole('status').innerText()).toBe('Rows where -1 ≤ Δ esmc − esm2 ≤ 1');
    const status = page.getByText(/^rows \d+–\d+ of \d+ in the test part/);
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'loading' }).count(), { timeout: 20_000 })
      .toBe(0);
    const total = Number((await status.innerText()).match(/of (\d+)/)![1]);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(50);
    const shownIds = (await table.locator('tbody tr td:first-child').allInnerTexts()).map(Number);
    expect(shownIds).toHaveLength(total);
    // The first column stays when the table scrolls sideways.
    const panel = page.locator('.rows-panel');
    await panel.evaluate((element) => (element.scrollLeft = element.scrollWidth));
    const firstCell = table.locator('tbody tr td:first-child').first();
    const [cellBox, panelBox] = await Promise.all([firstCell.boundingBox(), panel.boundingBox()]);
    expect(Math.abs(cellBox!.x - panelBox!.x)).toBeLessThan(20);
    await shot('07-stages-range');

    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 30_000 }),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile((await download.path())!, 'utf8');
    const [header, ...lines] = csv.trim().split('\n');
    expect(header.split(',')).toEqual(expect.arrayContaining(['row_id', 'esm2 cvr', 'esmc cvr', 'Δ esmc − esm2']));
    expect(lines.map((line) => Number(line.split(',')[0]))).toEqual(shownIds);
    expect(download.suggestedFilename()).toMatch(/^ESMC rows – .+\.csv$/);
  });

  it('flags a run that cannot have learned (1 epoch at learning rate 1e-6) in every view', async () => {
    shotOnFailure('not-learned');
    await view('Train').click();
    for (const model of MODEL_NAMES) {
      const box = page.getByRole('checkbox', { name: new RegExp(`^${model} —`) });
      if (model === 'esmm') await box.check();
      else await box.uncheck();
    }
    await page.getByLabel('Epochs').fill('1');
    await page.getByLabel('Learning rate').fill('1e-6');
    await openMoreSettings();
    await page.getByLabel('Stop after steps').fill('');
    const plan = page.getByRole('group', { name: 'Training plan' });
    await expect
      .poll(() => plan.locator('.plan-line').textContent(), { timeout: 20_000 })
      .toMatch(/^Batch 128 · learning rate 1e-6 · up to 1 epoch · early stopping/);
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByRole('button', { name: 'Open results' }).waitFor({ timeout: 90_000 });

    // Train: the model's row says how it ended and that it did not learn, with the numbers why.
    const progress = page.getByRole('table', { name: 'Training progress' });
    await expect.poll(() => progress.innerText(), { timeout: 20_000 }).toMatch(/esmm[^\n]*done: 1 epoch/);
    expect(await progress.locator('.learning-badge').innerText()).toBe('Not learned');
    const note = await progress.locator('.learning-note').innerText();
    expect(note).toMatch(/^Not learned: its numbers are not results\. /);
    expect(await progress.locator('.learning-badge').getAttribute('title')).toMatch(/^Not learned: /);
    expect(await page.locator('.job .message').innerText()).toBe('done: 1 stored');
    await shot('08-not-learned-train');

    // Results: the run (selected after its training) beside an earlier one: flagged, greyed, the note under it.
    await view('Results').click();
    await page
      .getByRole('group', { name: /^Runs compared/ })
      .getByRole('checkbox', { name: /^esm2/ })
      .check();
    const metrics = page.getByRole('table', { name: 'Metrics by run' });
    await metrics.waitFor({ timeout: 30_000 });
    const esmmRow = metrics.locator('tbody tr.unlearned', { hasText: 'esmm' });
    await expect.poll(() => esmmRow.count(), { timeout: 20_000 }).toBe(1);
    expect(await esmmRow.locator('th').innerText()).toMatch(/^esmm\s+Not learned$/);
    expect(await metrics.innerText()).toContain('Not learned: its numbers are not results.');
    expect(await metrics.locator('.sig').count()).toBe(0);
    await shot('09-not-learned-results');

    // Stages: the run's column group says so in its header.
    await view('Stages').click();
    const header = page
      .getByRole('table', { name: 'Rows and stage probabilities' })
      .locator('thead th.unlearned', { hasText: 'esmm' });
    await expect.poll(() => header.count(), { timeout: 20_000 }).toBe(1);
    expect(await header.innerText()).toMatch(/^esmm\s+Not learned$/);
    // Its probabilities are there (greyed), not the page of an earlier selection.
    await expect.poll(() => page.locator('tbody td.unlearned').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await shot('10-not-learned-stages');

    // PSC: where the models are listed.
    await view('PSC').click();
    const implied = page.getByRole('table', { name: 'Implied gap by model' });
    const esmmModel = implied.locator('tr.unlearned', { hasText: 'esmm' });
    await expect.poll(() => esmmModel.count(), { timeout: 60_000 }).toBe(1);
    expect(await esmmModel.locator('th').innerText()).toMatch(/^esmm\s+Not learned$/);
    expect(await implied.innerText()).toMatch(/esm2/);
    await shot('11-not-learned-psc');

    // Runs: beside the name, and the summary as text.
    await view('Runs').click();
    const runsTable = page.getByRole('table', { name: 'Runs' });
    const row = runsTable.locator('tbody tr').filter({ has: page.locator('th', { hasText: 'esmm' }) });
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    expect(await row.locator('th').innerText()).toMatch(/^esmm\s+Not learned$/);
    expect(await row.locator('td.verdict').innerText()).toMatch(/^Not learned: its numbers are not results\. \S/);
    await shot('12-not-learned-runs');
  });

  it('cancels one model of two: it keeps its best epoch and is listed in Runs, the other trains to its end', async () => {
    shotOnFailure('cancel-one');
    await view('Train').click();
    for (const model of MODEL_NAMES) {
      const box = page.getByRole('checkbox', { name: new RegExp(`^${model} —`) });
      if (model === 'esm2' || model === 'esmc') await box.check();
      else await box.uncheck();
    }
    await page.getByLabel('Epochs').fill('40');
    await page.getByLabel('Learning rate').fill('0.01');
    await openMoreSettings();
    await page.getByLabel('Stop after steps').fill('400');
    // No early stopping: esmc must still be training when it is cancelled, however fast this machine is.
    await page.getByLabel('Patience').fill('');
    await page.getByRole('button', { name: 'Start training' }).click();
    const progress = page.getByRole('table', { name: 'Training progress' });
    const rowOf = (model: string) =>
      progress.locator('tbody tr').filter({ has: page.locator('th', { hasText: model }) });
    // Once esmc has finished an epoch, and while it trains, stop it alone.
    await expect
      .poll(
        async () => (await rowOf('esmc').locator('td.state').innerText()).match(/^training: epoch (\d+)/)?.[1] ?? '0',
        { timeout: 90_000 },
      )
      .not.toMatch(/^[01]$/);
    await rowOf('esmc').getByRole('button', { name: 'Cancel esmc' }).click();
    await shot('14-training-two');
    await expect
      .poll(() => rowOf('esmc').locator('td.state').innerText(), { timeout: 30_000 })
      .toMatch(/^cancelled after epoch \d+ of 40/);
    // The other model goes on to its end.
    await page.getByRole('button', { name: 'Open results' }).waitFor({ timeout: 120_000 });
    expect(await rowOf('esm2').locator('td.state').innerText()).toMatch(/^(done|early-stopped)/);
    expect(await page.locator('.job .message').innerText()).toBe('done: 1 stored; 1 cancelled (esmc)');
    await shot('15-cancelled-one');

    // Runs: the cancelled model is a run with its epoch; tag it, find it by its tag, then delete it.
    await view('Runs').click();
    const runsTable = page.getByRole('table', { name: 'Runs' });
    const cancelled = runsTable.locator('tbody tr', { hasText: /cancelled after epoch \d+/ });
    await expect.poll(() => cancelled.count(), { timeout: 20_000 }).toBe(1);
    expect(await cancelled.locator('td.num').last().innerText()).toMatch(/^0\.\d+$/);
    await cancelled.getByRole('button', { name: /^Details of esmc/ }).click();
    const detail = page.getByRole('region', { name: /esmc/ });
    await detail.getByLabel('Name').fill('esmc stopped by hand');
    await detail.getByLabel('Tags').fill('handpicked, e2e');
    await detail.getByLabel('Notes').fill('cancelled after its first epochs');
    await detail.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => cancelled.locator('th').innerText()).toMatch(/^esmc stopped by hand/);
    expect(await detail.getByRole('table', { name: 'Settings' }).innerText()).toMatch(/epochs\s+40/);
    await shot('16-run-detail');
    const filter = page.getByRole('searchbox');
    await filter.fill('handpicked');
    await expect.poll(() => runsTable.locator('tbody tr').count()).toBe(1);
    expect(await runsTable.locator('tbody tr .tag').allInnerTexts()).toEqual(['handpicked', 'e2e']);
    const total = Number((await page.locator('#runs-count').innerText()).match(/of (\d+) runs/)![1]);
    await runsTable.locator('tbody tr').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Delete selected…' }).click();
    const confirm = page.getByRole('alertdialog');
    // Only what the filter shows: the other selected run, hidden by the filter, stays.
    expect(await confirm.innerText()).toContain('Delete run esmc stopped by hand and every row of its predictions?');
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect.poll(() => runsTable.locator('tbody tr').count()).toBe(0);
    await filter.fill('');
    await expect.poll(() => runsTable.locator('tbody tr').count()).toBe(total - 1);
    await shot('17-run-deleted');
  });

  it('cancels a whole training and recovers', async () => {
    shotOnFailure('cancel');
    await view('Train').click();
    await openMoreSettings();
    await page.getByLabel('Stop after steps').fill('');
    await page.getByLabel('Epochs').fill('200');
    await page.getByRole('button', { name: 'Start training' }).click();
    const cancel = page.getByRole('button', { name: 'Cancel all' });
    await expect.poll(() => cancel.isEnabled()).toBe(true);
    // Wait until it really trains, so the cancel stops work in progress.
    await expect
      .poll(
        async () =>
          (await page.getByRole('table', { name: 'Training progress' }).innerText()).match(/\d+ \/ \d+/) !== null,
        {
          timeout: 60_000,
        },
      )
      .toBe(true);
    await cancel.click();
    await expect
      .poll(() => page.locator('.job .message').innerText(), { timeout: 30_000 })
      .toMatch(/^cancelled: 2 cancelled \(esm2, esmc\)$/);
    await expect.poll(() => page.getByRole('button', { name: 'Start training' }).isEnabled()).toBe(true);
    expect(await cancel.isEnabled()).toBe(false);
    expect(await page.getByLabel('Running jobs').getByRole('progressbar').count()).toBe(0);
    await shot('18-cancelled');

    // The project still answers: the earlier runs are there, and the cancelled ones beside them.
    await view('Runs').click();
    const runsTable = page.getByRole('table', { name: 'Runs' });
    await expect.poll(() => runsTable.locator('tbody tr', { hasText: 'cancelled' }).count()).toBe(2);
    expect(pageErrors).toEqual([]);
  });
  it('shows every view in both themes at 1024 and 1440 pixels, none wider than the window', async () => {
    shotOnFailure('every-view');
    const tooWide: string[] = [];
    for (const name of ['Data', 'Train', 'Runs', 'Results', 'Stages', 'PSC']) {
      await view(name).click();
      await page.waitForTimeout(300);
      await windowShots(`view-${name.toLowerCase()}`);
      await page.setViewportSize({ width: 1024, height: 700 });
      // Charts redraw at their new width a moment after the window changes.
      await page.waitForTimeout(500);
      const [scrollWidth, innerWidth] = await page.evaluate(() => {
        const globals = globalThis as unknown as {
          innerWidth: number;
          document: { documentElement: { scrollWidth: number } };
        };
        return [globals.document.documentElement.scrollWidth, globals.innerWidth];
      });
      if (scrollWidth > innerWidth + 1) tooWide.push(`${name}: ${scrollWidth}px in a ${innerWidth}px window`);
      await page.setViewportSize({ width: 1440, height: 900 });
    }
    expect(tooWide).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
