/**
 * The PDF report: pdfkit with the bundled DejaVu font, charts from src-shared/charts rendered by ECharts as SVG
 * and drawn as vectors (svg-to-pdfkit), so text and charts are searchable and no browser is needed.
 */
import { writeAtomically } from '../engine/files.js';
import type { ReportInput } from './input.js';
import { loadFonts, ReportLayout, type PageSize } from './layout.js';
import { SECTIONS } from './sections.js';

export type { ReportInput } from './input.js';
export type { PageSize } from './layout.js';
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
