/**
 * The PDF report: pdfkit with the bundled DejaVu font, charts from src-shared/charts rendered by ECharts as SVG
 * and drawn as vectors (svg-to-pdfkit), so text and charts are searchable and no browser is needed.
 */
import { writeAtomically } from '../engine/files.js';
import type { Project } from '../engine/store/project.js';
import { gatherReportInput, type GatherOptions } from './gather.js';
import type { ReportInput } from './input.js';
import { loadFonts, ReportLayout, type PageSize } from './layout.js';
import { SECTIONS } from './sections.js';

export type { ReportInput } from './input.js';
export type { PageSize } from './layout.js';
export { gatherReportInput } from './gather.js';
export { withInterval } from './sections.js';

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
): Promise<{ pages: number; bytes: number }> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const layout = new ReportLayout(options.pageSize ?? 'A4', await loadFonts(), {
    title: input.title,
    subject: `ESMC Lab report on ${input.dataset?.name ?? 'runs'} (${input.runs.map((r) => r.model).join(', ')})`,
  });
  SECTIONS.forEach((section, k) => {
    signal?.throwIfAborted();
    onProgress?.(k / (SECTIONS.length + 1), section.title);
    if (k > 0) layout.heading(section.title);
    section.render(layout, input);
  });
  onProgress?.(SECTIONS.length / (SECTIONS.length + 1), 'Writing the PDF');
  const { pdf, pages } = await layout.finish(`${input.title} · ${input.createdAt.slice(0, 10)}`);
  signal?.throwIfAborted();
  await writeAtomically(out, (file) => file.writeFile(pdf));
  onProgress?.(1, `Wrote ${pages} pages`);
  return { pages, bytes: pdf.length };
}

export interface ReportForRunsOptions extends WriteReportOptions, Pick<GatherOptions, 'compute' | 'analyse'> {
  title?: string;
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
): Promise<{ path: string; pages: number; bytes: number; seconds: number }> {
  const started = Date.now();
  const { onProgress, signal } = options;
  const input = await gatherReportInput(project, runIds, {
    title: options.title,
    signal,
    compute: options.compute,
    analyse: options.analyse,
    onProgress: (fraction, message) => onProgress?.(fraction * GATHER_SHARE, message),
  });
  const { pages, bytes } = await writeReport(input, options.out, {
    pageSize: options.pageSize,
    signal,
    onProgress: (fraction, message) => onProgress?.(GATHER_SHARE + fraction * (1 - GATHER_SHARE), message),
  });
  return { path: options.out, pages, bytes, seconds: (Date.now() - started) / 1000 };
}
