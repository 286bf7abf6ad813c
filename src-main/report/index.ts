/**
 * The PDF report: pdfkit with the bundled DejaVu font, charts from src-shared/charts rendered by ECharts as SVG
 * and drawn as vectors (svg-to-pdfkit), so text and charts are searchable and no browser is needed.
 */
import { writeAtomically } from '../engine/files.js';
import type { Project } from '../engine/store/project.js';
import { gatherReportInput, type GatherOptions } from './gather.js';
import type { ReportInput } from './input.js';
import { BODY_SIZE, loadFonts, ReportLayout, type PageSize } from './layout.js';
import { SECTIONS } from './sections.js';

export type { DemoFacts, ReportInput } from './input.js';
export type { PageSize } from './layout.js';
export { gatherReportInput } from './gather.js';
export { withInterval } from './format.js';
export { defaultReportTitle } from './summary.js';
export { claimReportFile, reportFileName } from './file-name.js';

/** Body sizes the summary tries, largest first, until it fits its page. */
const SUMMARY_SIZES = [BODY_SIZE, 8.5, 7.5, 6.5];

export interface WriteReportOptions {
  pageSize?: PageSize;
  onProgress?(fraction: number, message: string): void;
  signal?: AbortSignal;
}

/** Lays out every section and writes the PDF to `out` atomically: `out` never holds a half-written report. */
export async function writeReport(
  input: ReportInput,
  out: string,
  options: WriteReportOptions = {},
): Promise<{ pages: number; bytes: number; fills: number[] }> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const fonts = await loadFonts();
  const info = {
    title: input.title,
    subject: `ESMC Lab report on ${input.dataset?.name ?? 'runs'} (${input.runs.map((r) => r.model).join(', ')})`,
  };
  const pageSize = options.pageSize ?? 'A4';
  // The page each section starts on, for the contents at the foot of the summary.
  const starts = new Map<string, number>();
  const contents = () =>
    'Details: ' +
    SECTIONS.slice(1)
      .map((s) => `${s.title} (page ${(starts.get(s.title) ?? 0) + 1})`)
      .join(' · ');
  const [summary, ...details] = SECTIONS;
  const renderSummary = (layout: ReportLayout) => {
    summary.render(layout, input);
    layout.gap(4);
    layout.reserve(layout.heightOf(contents().replaceAll(/page \d+/g, 'page 99'), 'note') + 6, contents);
  };
  // The summary is one page: set smaller when many runs or caveats would make it run over.
  const summarySize = SUMMARY_SIZES.find((size) => {
    const probe = new ReportLayout(pageSize, fonts, info);
    probe.bodySize = size;
    renderSummary(probe);
    return probe.page === 0;
  });
  const layout = new ReportLayout(pageSize, fonts, info);
  onProgress?.(0, summary.title);
  layout.bodySize = summarySize ?? SUMMARY_SIZES.at(-1)!;
  renderSummary(layout);
  layout.bodySize = BODY_SIZE;
  // The detail sections flow on from one another, after the summary's page.
  layout.newPage();
  details.forEach((section, k) => {
    signal?.throwIfAborted();
    onProgress?.((k + 1) / (SECTIONS.length + 1), section.title);
    layout.heading(section.title);
    starts.set(section.title, layout.page);
    section.render(layout, input);
  });
  onProgress?.(SECTIONS.length / (SECTIONS.length + 1), 'Writing the PDF');
  const { pdf, pages, fills } = await layout.finish(`${input.title} · ${input.createdAt.slice(0, 10)}`);
  signal?.throwIfAborted();
  await writeAtomically(out, (file) => file.writeFile(pdf));
  onProgress?.(1, `Wrote ${pages} pages`);
  return { pages, bytes: pdf.length, fills };
}

export interface ReportForRunsOptions
  extends WriteReportOptions, Pick<GatherOptions, 'compute' | 'analyse' | 'title' | 'demo'> {
  out: string;
}

/** Share of the progress bar that gathering the numbers takes; the layout and charts take the rest. */
const GATHER_SHARE = 0.35;

/**
 * The report of stored runs: their numbers gathered with the API's views (so the PDF and the app agree), then
 * written to `options.out`. What the API service's report job and `esmc-lab report` call.
 */
export async function writeReportForRuns(
  project: Project,
  runIds: string[],
  options: ReportForRunsOptions,
): Promise<{ path: string; title: string; pages: number; bytes: number; fills: number[]; seconds: number }> {
  const started = Date.now();
  const { onProgress, signal } = options;
  const input = await gatherReportInput(project, runIds, {
    title: options.title,
    demo: options.demo,
    signal,
    compute: options.compute,
    analyse: options.analyse,
    onProgress: (fraction, message) => onProgress?.(fraction * GATHER_SHARE, message),
  });
  const { pages, bytes, fills } = await writeReport(input, options.out, {
    pageSize: options.pageSize,
    signal,
    onProgress: (fraction, message) => onProgress?.(GATHER_SHARE + fraction * (1 - GATHER_SHARE), message),
  });
  return { path: options.out, title: input.title, pages, bytes, fills, seconds: (Date.now() - started) / 1000 };
}
