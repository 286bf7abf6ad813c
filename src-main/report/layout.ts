import { readFile } from 'node:fs/promises';
import type { EChartsOption } from 'echarts';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { readInstalled } from './installed.js';
import { renderChartSvg } from './svg.js';

export type PageSize = 'A4' | 'Letter';

const MARGIN = 56;
/** The body text's size; a page that must hold more (the summary) may set a smaller one. */
export const BODY_SIZE = 9.5;
const COLORS = { text: '#1f2328', subtle: '#57606a', rule: '#d0d7de', header: '#f3f5f7', warning: '#9a3412' };
/** Charts are drawn by ECharts at this pixel width and scaled to the text width: 12 px labels read as ~9 pt. */
const CHART_PIXEL_WIDTH = 640;

export interface ReportFonts {
  regular: Buffer;
  bold: Buffer;
}

/**
 * DejaVu Sans (its licence allows bundling; see assets/fonts/LICENSE-DejaVu.txt): the standard PDF fonts have
 * no Δ, λ, κ, ², ≥ or ¬. Debian's copy (fonts-dejavu-core) is the fallback.
 */
export async function loadFonts(): Promise<ReportFonts> {
  const font = async (file: string) =>
    (await readInstalled(`assets/fonts/${file}`)) ??
    (await readFile(`/usr/share/fonts/truetype/dejavu/${file}`).catch(() => undefined));
  const [regular, bold] = await Promise.all([font('DejaVuSans.ttf'), font('DejaVuSans-Bold.ttf')]);
  if (!regular || !bold)
    throw new Error('cannot find the report font DejaVuSans.ttf (assets/fonts/ of the installation)');
  return { regular, bold };
}

/** A place on a page kept free for text known only once every page is laid out (page numbers). */
export interface Reserved {
  page: number;
  y: number;
  height: number;
}

export interface TableOptions {
  /** Relative column widths; default equal. */
  widths?: number[];
  /** Columns whose cells are numbers, aligned right. Default every column but the first. */
  numeric?: boolean[];
}

/**
 * A thin layer over pdfkit for a report: headings, paragraphs, tables that break across pages with their
 * header repeated, and ECharts options drawn as vector graphics with real (searchable) text.
 */
export class ReportLayout {
  readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly ended: Promise<Buffer>;
  /** Per page, the lowest y anything was drawn to (the footer aside): how full the page is. */
  private readonly lowest: number[] = [];
  private readonly deferred: { at: Reserved; draw: () => string; size: number }[] = [];
  /** The size of body text, tables (1 pt less) and notes (1 pt less) from here on. */
  bodySize = BODY_SIZE;

  constructor(pageSize: PageSize, fonts: ReportFonts, info: { title: string; subject: string }) {
    this.doc = new PDFDocument({
      size: pageSize === 'Letter' ? 'LETTER' : 'A4',
      margin: MARGIN,
      bufferPages: true,
      info: { Title: info.title, Subject: info.subject, Creator: 'ESMC Lab', Producer: 'ESMC Lab (pdfkit)' },
    });
    this.doc.registerFont('Regular', fonts.regular);
    this.doc.registerFont('Bold', fonts.bold);
    this.doc.font('Regular').fontSize(this.bodySize).fillColor(COLORS.text);
    // Every new page, ours or pdfkit's own when a paragraph runs over, first records how far the last one was filled.
    const addPage = this.doc.addPage.bind(this.doc);
    this.doc.addPage = (options?: PDFKit.PDFDocumentOptions) => {
      this.mark();
      return addPage(options);
    };
    this.ended = new Promise((resolve, reject) => {
      this.doc.on('data', (chunk: Buffer) => this.chunks.push(chunk));
      this.doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      this.doc.on('error', reject);
    });
  }

  get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private get left(): number {
    return this.doc.page.margins.left;
  }

  private get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  /** The page being written, from 0. */
  get page(): number {
    const { start, count } = this.doc.bufferedPageRange();
    return start + count - 1;
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensureSpace(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  newPage(): void {
    this.doc.addPage();
  }

  /** Records how far down the current page is filled. */
  private mark(): void {
    const page = this.page;
    this.lowest[page] = Math.max(this.lowest[page] ?? 0, Math.min(this.doc.y, this.bottom));
  }

  /**
   * How full each page is: the share of the space between the margins down to the lowest thing drawn on it
   * (0 for an empty page, 1 for a full one), the footer aside.
   */
  fills(): number[] {
    const { count } = this.doc.bufferedPageRange();
    const top = this.doc.page.margins.top;
    return Array.from({ length: count }, (_, page) =>
      Math.max(0, ((this.lowest[page] ?? top) - top) / (this.bottom - top)),
    );
  }

  title(text: string, subtitle: string): void {
    // A long dataset name is one word to the line breaker: the size shrinks until the longest word fits a line.
    this.doc.font('Bold').fontSize(20);
    const longest = Math.max(...text.split(/\s+/).map((word) => this.doc.widthOfString(word)));
    const size = longest > this.width ? Math.max(11, Math.floor((20 * this.width) / longest)) : 20;
    this.doc.fontSize(size).fillColor(COLORS.text).text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.3);
    this.doc.font('Regular').fontSize(10.5).fillColor(COLORS.subtle).text(subtitle, { width: this.width });
    this.doc.moveDown(1.2);
    this.reset();
  }

  /**
   * A heading stays on the page of what follows it (`keep` points of it: a few lines by default, a whole chart
   * when one comes next); a numbered section flows on after the previous one when the page has room.
   */
  heading(text: string, level: 1 | 2 = 1, keep = 60): void {
    const atTop = this.doc.y <= this.doc.page.margins.top + 1;
    this.ensureSpace((level === 1 ? Math.max(keep, 110) : keep) + (atTop ? 20 : 44));
    if (!atTop && this.doc.y > this.doc.page.margins.top + 1) this.doc.moveDown(level === 1 ? 1.4 : 0.6);
    this.doc
      .font('Bold')
      .fontSize(level === 1 ? 16 : 12)
      .fillColor(COLORS.text)
      .text(text, this.left, this.doc.y, { width: this.width });
    if (level === 1) {
      const y = this.doc.y + 2;
      this.doc
        .moveTo(this.left, y)
        .lineTo(this.left + this.width, y)
        .lineWidth(0.75)
        .strokeColor(COLORS.rule)
        .stroke();
    }
    this.doc.moveDown(0.5);
    this.reset();
  }

  /** A paragraph; one of a few lines is kept whole on a page, a longer one may run over to the next. */
  paragraph(text: string, style: 'body' | 'note' | 'warning' | 'lead' = 'body'): void {
    const color = style === 'note' ? COLORS.subtle : style === 'warning' ? COLORS.warning : COLORS.text;
    const size = style === 'note' ? this.bodySize - 1 : style === 'lead' ? this.bodySize + 2 : this.bodySize;
    this.doc
      .font(style === 'lead' ? 'Bold' : 'Regular')
      .fontSize(size)
      .fillColor(color);
    const height = this.doc.heightOfString(text, { width: this.width });
    if (height < 80) this.ensureSpace(height);
    this.doc.text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.5);
    this.reset();
  }

  /** Moves down `points`, at most to the foot of the page. */
  gap(points: number): void {
    this.doc.y = Math.min(this.doc.y + points, this.bottom);
  }

  /** The height `text` takes as a paragraph of this style. */
  heightOf(text: string, style: 'body' | 'note' = 'body'): number {
    this.doc.font('Regular').fontSize(style === 'note' ? this.bodySize - 1 : this.bodySize);
    const height = this.doc.heightOfString(text, { width: this.width });
    this.reset();
    return height;
  }

  /** Items after a bullet each, the text indented; each item kept whole on a page. */
  bullets(items: string[], style: 'body' | 'warning' = 'body'): void {
    const indent = 12;
    const width = this.width - indent;
    for (const item of items) {
      this.doc
        .font('Regular')
        .fontSize(this.bodySize)
        .fillColor(style === 'warning' ? COLORS.warning : COLORS.text);
      this.ensureSpace(this.doc.heightOfString(item, { width }));
      const y = this.doc.y;
      this.doc.text('•', this.left + 2, y, { width: indent, lineBreak: false });
      this.doc.text(item, this.left + indent, y, { width });
      this.doc.moveDown(0.3);
    }
    this.doc.moveDown(0.3);
    this.reset();
  }

  /**
   * Keeps `height` points free here for a line whose text is known only at the end (`text`, called in finish):
   * the contents with page numbers.
   */
  reserve(height: number, text: () => string): void {
    this.ensureSpace(height);
    this.deferred.push({ at: { page: this.page, y: this.doc.y, height }, draw: text, size: this.bodySize - 1 });
    this.doc.y += height;
    this.reset();
  }

  /** "Label: value" lines, e.g. the title page's facts; one line of text each, so they copy and search whole. */
  facts(pairs: [string, string][]): void {
    for (const [label, value] of pairs) {
      this.doc.font('Bold').fontSize(this.bodySize);
      this.ensureSpace(this.doc.heightOfString(`${label}: ${value}`, { width: this.width }) + 2);
      this.doc
        .fillColor(COLORS.text)
        .text(`${label}: `, this.left, this.doc.y, { width: this.width, continued: true })
        .font('Regular')
        .text(value);
      this.doc.moveDown(0.25);
    }
    this.doc.moveDown(0.5);
    this.reset();
  }

  /**
   * A table that breaks across pages, repeating its header. Drawn cell by cell: pdfkit's own table lays
   * out in time quadratic in the rows (4 s for the 90 pairwise tests of 10 runs).
   */
  table(headers: string[], rows: string[][], options: TableOptions = {}): void {
    const weights = options.widths ?? headers.map(() => 1);
    const total = weights.reduce((a, b) => a + b, 0);
    const widths = weights.map((w) => (w / total) * this.width);
    const numeric = options.numeric ?? headers.map((_, k) => k > 0);
    const size = this.bodySize - 1;
    const pad = { x: 4, y: 2.5 };
    const heightOf = (cells: string[], font: 'Regular' | 'Bold') => {
      this.doc.font(font).fontSize(size);
      return (
        Math.max(...cells.map((cell, k) => this.doc.heightOfString(cell || ' ', { width: widths[k] - 2 * pad.x }))) +
        2 * pad.y
      );
    };
    const drawRow = (cells: string[], font: 'Regular' | 'Bold', height: number) => {
      const top = this.doc.y;
      if (font === 'Bold') this.doc.rect(this.left, top, this.width, height).fill(COLORS.header);
      this.doc.font(font).fontSize(size).fillColor(COLORS.text);
      let x = this.left;
      cells.forEach((cell, k) => {
        this.doc.text(cell, x + pad.x, top + pad.y, {
          width: widths[k] - 2 * pad.x,
          align: numeric[k] ? 'right' : 'left',
        });
        x += widths[k];
      });
      const bottom = top + height;
      this.doc
        .moveTo(this.left, bottom)
        .lineTo(this.left + this.width, bottom)
        .lineWidth(font === 'Bold' ? 0.75 : 0.25)
        .strokeColor(font === 'Bold' ? COLORS.subtle : COLORS.rule)
        .stroke();
      this.doc.y = bottom;
    };
    const headerHeight = heightOf(headers, 'Bold');
    const header = () => drawRow(headers, 'Bold', headerHeight);
    const heights = rows.map((row) => heightOf(row, 'Regular'));
    // From each row to the end: a table that runs over takes at least a fifth of a page of rows along, so its
    // tail (often the last thing in the report) never leaves a page nearly empty.
    const rest = heights.map((_, k) => heights.slice(k).reduce((a, b) => a + b, 0));
    const tail = (this.bottom - this.doc.page.margins.top) / 5 + headerHeight;
    // It starts where a fifth of a page of its rows fit (all of them, for a short table), not with one row alone.
    this.ensureSpace(headerHeight + Math.max(heights[0] ?? 0, Math.min(rest[0] ?? 0, tail - headerHeight)));
    header();
    let onPage = 0;
    rows.forEach((row, k) => {
      const room = this.bottom - this.doc.y;
      const runsOver = heights[k] > room || (onPage > 0 && rest[k] > room && (rest[k + 1] ?? 0) + headerHeight < tail);
      if (runsOver) {
        this.newPage();
        header();
        onPage = 0;
      }
      drawRow(row, 'Regular', heights[k]);
      onPage++;
    });
    this.doc.y += 10;
    this.reset();
  }

  /** The height a chart of this aspect (height / width) takes on the page. */
  chartHeight(aspect: number): number {
    return this.width * aspect + 10;
  }

  /** An ECharts option as vector graphics, `aspect` = height / width; whole on one page. */
  chart(option: EChartsOption, aspect = 0.56): void {
    const width = this.width;
    const height = width * aspect;
    this.ensureSpace(height + 10);
    const svg = renderChartSvg(option, CHART_PIXEL_WIDTH, Math.round(CHART_PIXEL_WIDTH * aspect));
    const y = this.doc.y;
    SVGtoPDF(this.doc, svg, this.left, y, {
      width,
      height,
      fontCallback: (_family, bold) => (bold ? 'Bold' : 'Regular'),
      warningCallback: () => undefined,
    });
    this.doc.x = this.left;
    this.doc.y = y + height + 10;
    this.reset();
  }

  /** "page n of N" on every page and the reserved lines, then the whole PDF and how full each page is. */
  async finish(footer: string): Promise<{ pdf: Buffer; pages: number; fills: number[] }> {
    this.mark();
    const fills = this.fills();
    const { start, count } = this.doc.bufferedPageRange();
    // The footer on one line: a long title is shortened with an ellipsis.
    this.doc.font('Regular').fontSize(7.5);
    let fitted = footer;
    while (fitted.length > 10 && this.doc.widthOfString(fitted) > this.width * 0.73) fitted = `${fitted.slice(0, -2)}…`;
    for (const { at, draw, size } of this.deferred) {
      this.doc.switchToPage(at.page);
      this.doc.font('Regular').fontSize(size).fillColor(COLORS.subtle);
      this.doc.text(draw(), this.left, at.y, { width: this.width, height: at.height, ellipsis: true });
    }
    for (let page = start; page < start + count; page++) {
      this.doc.switchToPage(page);
      const { margins } = this.doc.page;
      const bottom = margins.bottom;
      // Writing below the bottom margin would make pdfkit start a new page.
      margins.bottom = 0;
      const y = this.doc.page.height - MARGIN * 0.6;
      this.doc.font('Regular').fontSize(7.5).fillColor(COLORS.subtle);
      this.doc.text(fitted, this.left, y, { width: this.width * 0.75, lineBreak: false });
      this.doc.text(`page ${page + 1} of ${count}`, this.left + this.width * 0.75, y, {
        width: this.width * 0.25,
        align: 'right',
        lineBreak: false,
      });
      margins.bottom = bottom;
    }
    this.doc.end();
    return { pdf: await this.ended, pages: count, fills };
  }

  private reset(): void {
    this.mark();
    this.doc.font('Regular').fontSize(this.bodySize).fillColor(COLORS.text);
    this.doc.x = this.left;
  }
}
