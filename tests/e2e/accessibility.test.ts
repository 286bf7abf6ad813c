/**
 * Accessibility of the analyst UI in the browser host, with content in every view: the Taobao sample imported and
 * two models (esm2, esmc) trained for a few steps through the API, the runs selected, a file dropped for its
 * mapping, a row inspected. axe-core (injected from node_modules) checks each view (Data, Train, Results, Stages,
 * PSC, Runs) in the light and the dark theme and the test fails on any violation of impact serious or critical,
 * listing rule, element and help. By keyboard alone: the skip link is the first tab stop and lands on the view's
 * heading, a view opened from the navigation starts at its top with focus on its heading, a header row of sort
 * buttons is one tab stop with the arrow keys between them. Files that are no data are named as such in the UI,
 * on the Data view only.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiService, type ApiService } from '../../src-main/api/service.js';
import { startHost, type Host } from '../../src-main/host/server.js';
import { SAMPLE_FOLDERS, samplePath } from '../helpers/datasets.js';
import { ServiceHarness } from '../api/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dataFile = samplePath('taobao-userbehavior/userbehavior_first_4321_lines.csv');
const DATA_NAME = 'userbehavior_first_4321_lines.csv';
const skipReason = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium)`;

/** The objects a page holds that this Node program has no DOM types for. */
interface PageGlobals {
  document: { activeElement: PageElement | null; documentElement: { scrollHeight: number } };
  scrollY: number;
  scrollTo(x: number, y: number): void;
  innerHeight: number;
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
  axe: { run(context: unknown, options: unknown): Promise<AxeResults> };
}
interface PageElement {
  id: string;
  tagName: string;
  textContent: string | null;
  closest(selector: string): PageElement | null;
  getAttribute(name: string): string | null;
}
interface AxeResults {
  violations: {
    id: string;
    impact: string | null;
    help: string;
    helpUrl: string;
    nodes: { target: unknown[]; failureSummary?: string }[];
  }[];
}

describe.skipIf(skipReason !== null)('accessibility of every view (axe-core, keyboard)', () => {
  let work: string;
  let service: ApiService;
  let host: Host;
  let browser: Browser;
  let page: Page;
  let axeSource: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(dataFile))
      throw new Error(`the Taobao sample is missing: looked in ${SAMPLE_FOLDERS.join(' and ')}`);
    work = await mkdtemp(join(tmpdir(), 'esmc-a11y-'));
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    // The renderer as the sources are now, built into the temp folder (as tests/e2e/ui.test.ts does).
    const { build } = await import('vite');
    const staticDir = join(work, 'renderer');
    // Built while the lab imports and trains; a failed build is thrown once those are done.
    const building = build({
      root: join(ROOT, 'src-renderer'),
      logLevel: 'warn',
      build: { outDir: staticDir, emptyOutDir: true },
    }).then(
      () => null,
      (error: unknown) => error,
    );
    service = await createApiService({ projectPath: join(work, 'lab.duckdb'), shell: 'browser', workers: 2 });
    // Content for every view, made through the API: the UI's own import and training are ui.test.ts's subject.
    const api = new ServiceHarness(service);
    const imported = await api.call('datasets.import', { file: { kind: 'path', path: dataFile }, name: 'taobao' });
    await api.result<'import'>(imported.jobId);
    const trained = await api.call('training.start', {
      dataset: 'taobao',
      models: ['esm2', 'esmc'],
      modelConfig: { embeddingDim: 4, tower: { hidden: [16] } },
      trainConfig: { epochs: 1, batchSize: 128, learningRate: 0.01, maxSteps: 15 },
    });
    await api.result<'train'>(trained.jobId);
    const failed = await building;
    if (failed) throw failed;
    host = await startHost({ service, staticDir, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    // The app's CSP (script-src 'self') would refuse axe's inline script; the page's own scripts are unchanged.
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, reducedMotion: 'reduce', bypassCSP: true });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await service?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Loads the app afresh and waits until it has read the lab's info. */
  async function open(): Promise<void> {
    await page.goto(host.url);
    await page.getByRole('table', { name: 'Datasets' }).waitFor({ timeout: 30_000 });
  }
  const nav = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name });
  /** What has focus: its id, tag and text, and whether it is in the Messages list or the view's area. */
  const focused = () =>
    page.evaluate(() => {
      const element = (globalThis as unknown as PageGlobals).document.activeElement;
      return {
        id: element?.id ?? '',
        tag: element?.tagName.toLowerCase() ?? '',
        text: element?.textContent?.trim() ?? '',
        inNotices: element?.closest('.notices') !== null,
        inMain: element?.closest('main') !== null,
        inHead: element?.closest('thead') !== null,
        sort: element?.closest('th')?.getAttribute('aria-sort') ?? null,
      };
    });
  const scrollY = () => page.evaluate(() => (globalThis as unknown as PageGlobals).scrollY);

  /** Drops files on the drop zone as a person's drag from the desktop does. */
  async function drop(files: { name: string; bytes: number[]; type: string }[]): Promise<void> {
    const transfer = await page.evaluateHandle((files) => {
      const page = globalThis as unknown as PageGlobals;
      const transfer = new page.DataTransfer();
      for (const file of files)
        transfer.items.add(new page.File([new Uint8Array(file.bytes)], file.name, { type: file.type }));
      return transfer;
    }, files);
    const zone = '[role="region"][aria-label="Drop data files here"]';
    for (const type of ['dragenter', 'dragover', 'drop'])
      await page.dispatchEvent(zone, type, { dataTransfer: transfer });
  }

  it('names a dropped image and an empty file as such, on the Data view alone', async () => {
    await open();
    const png = [
      0x89,
      0x50,
      0x4e,
      0x47,
      0x0d,
      0x0a,
      0x1a,
      0x0a,
      ...Array.from({ length: 600 }, (_, i) => (i * 7) % 256),
    ];
    await drop([
      { name: 'picture.png', bytes: png, type: 'image/png' },
      { name: 'x.csv', bytes: [], type: 'text/csv' },
    ]);
    const alerts = page.getByRole('region', { name: 'Messages' }).getByRole('alert');
    await expect.poll(() => alerts.count(), { timeout: 30_000 }).toBe(2);
    const texts = await alerts.allTextContents();
    expect(
      texts
        .map((text) =>
          text
            .replace(/\s+/g, ' ')
            .replace(/\s*Dismiss\s*$/, '')
            .trim(),
        )
        .sort(),
    ).toEqual([
      'Reading picture.png: picture.png is a PNG image, not a data file',
      'Reading x.csv: x.csv is empty (0 bytes)',
    ]);
    // They are the Data view's: another view does not show them, the Data view still does.
    await nav('Train').click();
    expect(await page.getByRole('region', { name: 'Messages' }).count()).toBe(0);
    await nav('Data').click();
    expect(await alerts.count()).toBe(2);
  });

  it('works by keyboard alone: skip link, views opened at their top on their heading, one stop per header row, the PDF', async () => {
    await open();
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ tag: 'a', text: 'Skip to content' });
    await page.keyboard.press('Enter');
    expect(await focused()).toMatchObject({ id: 'data-title', tag: 'h2' });
    // The next stop is the view's first control: no Dismiss button, no navigation in between.
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ inMain: true, inNotices: false, text: 'Choose files…' });

    // A long view scrolled down, then another view opened from the navigation by keyboard.
    await page.getByRole('button', { name: 'Show taobao' }).press('Enter');
    await page.getByRole('table', { name: 'Column statistics' }).waitFor({ timeout: 30_000 });
    await page.evaluate(() => (globalThis as unknown as PageGlobals).scrollTo(0, 100_000));
    expect(await scrollY()).toBeGreaterThan(0);
    await nav('Train').focus();
    await page.keyboard.press('Enter');
    expect(await focused()).toMatchObject({ id: 'train-title', tag: 'h2' });
    expect(await scrollY()).toBe(0);
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ inMain: true });
    // Back to the scrolled view: it opens at its top too.
    await nav('Data').focus();
    await page.keyboard.press('Enter');
    expect(await focused()).toMatchObject({ id: 'data-title' });
    expect(await scrollY()).toBe(0);

    // Results: the runs picked with the space bar, then the metrics table's header row as one tab stop.
    await nav('Results').focus();
    await page.keyboard.press('Enter');
    expect(await focused()).toMatchObject({ id: 'results-title' });
    const picker = page.getByRole('group', { name: /^Runs compared/ });
    for (const model of ['esm2', 'esmc'])
      await picker.getByRole('checkbox', { name: new RegExp(`^${model}`) }).press(' ');
    const metrics = page.getByRole('table', { name: 'Metrics by run' });
    await metrics.waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { name: 'Results', level: 2 }).focus();
    let stops = 0;
    do {
      await page.keyboard.press('Tab');
      stops++;
    } while (!(await focused()).inHead && stops < 40);
    expect(await focused()).toMatchObject({ inHead: true, text: 'Run' });
    await page.keyboard.press('ArrowRight');
    const first = await focused();
    expect(first).toMatchObject({ inHead: true, text: expect.stringMatching(/_auc|_gauc|_logloss|_ece/) });
    await page.keyboard.press('Enter');
    expect((await focused()).sort).toMatch(/^(ascending|descending)$/);
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    expect(await focused()).toMatchObject({ text: 'Run' });
    // Tab leaves the row at once: its other sort buttons are no tab stops.
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ inHead: false });

    // And on to the PDF of the runs compared: from the heading, Tab to Export PDF, then Enter.
    await page.getByRole('heading', { name: 'Results', level: 2 }).focus();
    stops = 0;
    do {
      await page.keyboard.press('Tab');
      stops++;
    } while ((await focused()).text !== 'Export PDF' && stops < 60);
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 180_000 }),
      page.keyboard.press('Enter'),
    ]);
    expect(download.suggestedFilename()).toMatch(/^ESMC report – taobao – \d{4}-\d{2}-\d{2}\.pdf$/);
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('has no serious or critical axe violation in any view, light or dark', async () => {
    // Content the views lead with: a file's mapping on the Data view, the dataset shown, a row inspected.
    const sample = [...(await readFile(dataFile))];
    await nav('Data').click();
    await drop([{ name: DATA_NAME, bytes: sample, type: 'text/csv' }]);
    await page.getByRole('table', { name: `Column roles of ${DATA_NAME}` }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Show taobao' }).click();
    await page.getByRole('table', { name: 'Column statistics' }).waitFor({ timeout: 30_000 });
    await nav('Stages').click();
    const rows = page.getByRole('table', { name: 'Rows and stage probabilities' });
    await expect.poll(() => page.getByText(/^rows 1–\d+ of \d+/).count(), { timeout: 30_000 }).toBe(1);
    await rows
      .getByRole('button', { name: /^Inspect row/ })
      .first()
      .click();
    await page.getByRole('table', { name: 'Row features' }).waitFor({ timeout: 30_000 });

    /** What each view shows once its content is there. */
    const ready: Record<string, () => Promise<void>> = {
      Data: () => page.getByRole('table', { name: 'Column statistics' }).waitFor({ timeout: 30_000 }),
      Train: () => page.getByRole('button', { name: 'Start training' }).waitFor({ timeout: 30_000 }),
      Results: () => page.getByRole('table', { name: 'Metrics by run' }).waitFor({ timeout: 30_000 }),
      Stages: () => page.getByRole('table', { name: 'Row features' }).waitFor({ timeout: 30_000 }),
      PSC: () => page.getByRole('region', { name: 'PSC verdict' }).waitFor({ timeout: 60_000 }),
      Runs: () => page.getByRole('table', { name: 'Runs' }).waitFor({ timeout: 30_000 }),
    };
    await page.addScriptTag({ content: axeSource });
    const themeButton = page.getByRole('button', { name: /^Theme: / });
    const found: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      for (let i = 0; i < 3 && !(await themeButton.getAttribute('aria-label'))!.startsWith(`Theme: ${theme}`); i++)
        await themeButton.click();
      for (const [view, shown] of Object.entries(ready)) {
        await nav(view).click();
        await shown();
        // Charts and late answers settle (reduced motion: no animation to wait for).
        await page.waitForTimeout(300);
        const results = await page.evaluate(() =>
          (globalThis as unknown as PageGlobals).axe.run((globalThis as unknown as PageGlobals).document, {
            resultTypes: ['violations'],
          }),
        );
        for (const violation of results.violations) {
          if (violation.impact !== 'serious' && violation.impact !== 'critical') continue;
          for (const node of violation.nodes)
            found.push(
              `${view} (${theme}): ${violation.id} [${violation.impact}] at ${node.target.join(' ')}: ${violation.help} ` +
                `(${violation.helpUrl})${node.failureSummary ? `\n    ${node.failureSummary.replace(/\n/g, '\n    ')}` : ''}`,
            );
        }
      }
    }
    expect(found, `axe found:\n${found.join('\n')}`).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
