import { readFile } from 'node:fs/promises';
import type { EChartsOption } from 'echarts';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { readInstalled } from './installed.js';
import { renderChartSvg } from './svg.js';

export type PageSize = 'A4' | 'Letter';

const MARGIN = 56;
const BODY_SIZE = 9.5;
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

  constructor(pageSize: PageSize, fonts: ReportFonts, info: { title: string; subject: string }) {
    this.doc = new PDFDocument({
      size: pageSize === 'Letter' ? 'LETTER' : 'A4',
      margin: MARGIN,
      bufferPages: true,
      info: { Title: info.title, Subject: info.subject, Creator: 'ESMC Lab', Producer: 'ESMC Lab (pdfkit)' },
    });
    this.doc.registerFont('Regular', fonts.regular);
    this.doc.registerFont('Bold', fonts.bold);
    this.doc.font('Regular').fontSize(BODY_SIZE).fillColor(COLORS.text);
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

  /** Starts a new page unless `height` points still fit on this one. */
  ensureSpace(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  newPage(): void {
    this.doc.addPage();
  }

  title(text: string, subtitle: string): void {
    this.doc.moveDown(6);
    this.doc.font('Bold').fontSize(24).fillColor(COLORS.text).text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.5);
    this.doc.font('Regular').fontSize(12).fillColor(COLORS.subtle).text(subtitle, { width: this.width });
    this.doc.moveDown(2);
    this.reset();
  }

  /**
   * A numbered section starts a page; a subsection stays on the page of what follows it (`keep` points of it:
   * a few lines by default, a whole chart when one comes next).
   */
  heading(text: string, level: 1 | 2 = 1, keep = 60): void {
    if (level === 1 && this.doc.y > this.doc.page.margins.top + 1) this.newPage();
    else this.ensureSpace(keep + 20);
    if (level === 2) this.doc.moveDown(0.6);
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

  paragraph(text: string, style: 'body' | 'note' | 'warning' = 'body'): void {
    const color = style === 'note' ? COLORS.subtle : style === 'warning' ? COLORS.warning : COLORS.text;
    this.doc
      .font('Regular')
      .fontSize(style === 'note' ? BODY_SIZE - 1 : BODY_SIZE)
      .fillColor(color)
      .text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.5);
    this.reset();
  }

  /** "Label: value" lines, e.g. the title page's facts; one line of text each, so they copy and search whole. */
  facts(pairs: [string, string][]): void {
    for (const [label, value] of pairs) {
      this.doc.font('Bold').fontSize(BODY_SIZE);
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
    const size = BODY_SIZE - 1;
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
    this.ensureSpace(headerHeight + heightOf(rows[0] ?? headers, 'Regular'));
    header();
    for (const row of rows) {
      const height = heightOf(row, 'Regular');
      if (this.doc.y + height > this.bottom) {
        this.newPage();
        header();
      }
      drawRow(row, 'Regular', height);
    }
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

  /** "page n of N" on every page, then the whole PDF. */
  async finish(footer: string): Promise<{ pdf: Buffer; pages: number }> {
    const { start, count } = this.doc.bufferedPageRange();
    for (let page = start; page < start + count; page++) {
      this.doc.switchToPage(page);
      const { margins } = this.doc.page;
      const bottom = margins.bottom;
      // Writing below the bottom margin would make pdfkit start a new page.
      margins.bottom = 0;
      const y = this.doc.page.height - MARGIN * 0.6;
      this.doc.font('Regular').fontSize(7.5).fillColor(COLORS.subtle);
      this.doc.text(footer, this.left, y, { width: this.width / 2, lineBreak: false });
      this.doc.text(`page ${page + 1} of ${count}`, this.left + this.width / 2, y, {
        width: this.width / 2,
        align: 'right',
        lineBreak: false,
      });
      margins.bottom = bottom;
    }
    this.doc.end();
    return { pdf: await this.ended, pages: count };
  }

  private reset(): void {
    this.doc.font('Regular').fontSize(BODY_SIZE).fillColor(COLORS.text);
    this.doc.x = this.left;
  }
}
