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

export function pdfInfo(path: string): { pages: number; width: number; height: number } {
  const info = execFileSync('pdfinfo', [path], { encoding: 'utf8' });
  const size = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(info)!;
  return { pages: Number(/Pages:\s+(\d+)/.exec(info)![1]), width: Number(size[1]), height: Number(size[2]) };
}

/** Rows of `pdfimages -list` after its two header lines: one per embedded raster image. */
export function pdfImages(path: string): string[] {
  return execFileSync('pdfimages', ['-list', path], { encoding: 'utf8' }).trim().split('\n').slice(2);
}

/** Per page, the share of pixels that are not white at 40 dpi (grey levels below 250). */
export function inkPerPage(path: string): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'esmc-pages-'));
  try {
    execFileSync('pdftoppm', ['-r', '40', '-gray', path, join(dir, 'page')]);
    return readdirSync(dir)
      .sort()
      .map((file) => {
        const bytes = readFileSync(join(dir, file));
        // Binary PGM: "P5\n<width> <height>\n<max>\n" then one byte per pixel.
        const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(bytes.subarray(0, 40).toString('latin1'))!;
        const pixels = bytes.subarray(header[0].length);
        let ink = 0;
        for (const level of pixels) if (level < 250) ink++;
        return ink / pixels.length;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
