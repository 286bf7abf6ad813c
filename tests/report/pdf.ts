/** Poppler's tools on a written PDF: its text, page size, images, and whether each page has ink. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Why poppler's tools cannot run here (CI installs poppler-utils; a bare machine may not have it), or null. The
 * tests that read PDFs back are skipped with this reason rather than failing on a missing program.
 */
export const popplerMissing: string | null = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'poppler-utils (pdftotext, pdfinfo, pdfimages, pdftoppm) is not installed';
  }
})();

/** Appended to the name of a suite skipped for want of poppler, so the test report says why. */
export const popplerNote = popplerMissing ? ` (skipped: ${popplerMissing})` : '';

export function pdfText(path: string): string {
  return execFileSync('pdftotext', ['-enc', 'UTF-8', path, '-'], { encoding: 'utf8' });
}

/**
 * Each page's text, in order (pdftotext ends every page with a form feed). In its physical layout: the default
 * reading order joins a word broken at its hyphen ("in-" / "shop" becomes "inshop").
 */
export function pdfPages(path: string): string[] {
  return execFileSync('pdftotext', ['-enc', 'UTF-8', '-layout', path, '-'], { encoding: 'utf8' })
    .split('\f')
    .slice(0, -1);
}

export function pdfInfo(path: string): { pages: number; width: number; height: number } {
  const info = execFileSync('pdfinfo', [path], { encoding: 'utf8' });
  const size = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(info)!;
  return { pages: Number(/Pages:\s+(\d+)/.exec(info)![1]), width: Number(size[1]), height: Number(size[2]) };
}

/** Rows of `pdfimages -list` after its two header lines: one per embedded raster image. */
export function pdfImages(path: string): string[] {
  return execFileSync('pdfimages', ['-list', path], { encoding: 'utf8' }).trim().split('\n').slice(2);
}

interface GreyPage {
  width: number;
  height: number;
  /** One byte per pixel, row by row; 255 is white. */
  pixels: Buffer;
}

/** Every page rendered by pdftoppm in grey at `dpi`. */
function greyPages(path: string, dpi: number): GreyPage[] {
  const dir = mkdtempSync(join(tmpdir(), 'esmc-pages-'));
  try {
    execFileSync('pdftoppm', ['-r', String(dpi), '-gray', path, join(dir, 'page')]);
    return readdirSync(dir)
      .sort()
      .map((file) => {
        const bytes = readFileSync(join(dir, file));
        // Binary PGM: "P5\n<width> <height>\n<max>\n" then one byte per pixel.
        const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(bytes.subarray(0, 40).toString('latin1'))!;
        return { width: Number(header[1]), height: Number(header[2]), pixels: bytes.subarray(header[0].length) };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per page, the share of pixels that are not white at 40 dpi (grey levels below 250). */
export function inkPerPage(path: string): number[] {
  return greyPages(path, 40).map(({ pixels }) => {
    let ink = 0;
    for (const level of pixels) if (level < 250) ink++;
    return ink / pixels.length;
  });
}

/**
 * Per page, how far down its text area (between margins of `margin` points, the footer below it left out) the
 * lowest ink is, from 0 (nothing on it) to 1 (filled to the bottom margin): read off the rendered page itself.
 */
export function filledPerPage(path: string, margin = 56): number[] {
  const dpi = 40;
  const scale = dpi / 72;
  return greyPages(path, dpi).map(({ width, height, pixels }) => {
    const top = Math.round(margin * scale);
    const bottom = height - Math.round(margin * scale);
    let lowest = top;
    for (let row = top; row < bottom; row++) {
      const line = pixels.subarray(row * width, (row + 1) * width);
      if (line.some((level) => level < 250)) lowest = row + 1;
    }
    return (lowest - top) / (bottom - top);
  });
}
