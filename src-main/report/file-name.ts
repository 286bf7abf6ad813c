/**
 * A report's default file name, one a person recognises in a folder: "ESMC report – paper-like-50000 –
 * 2026-12-03.pdf", in characters every system accepts, made unique with " (2)", " (3)"… only when needed.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';

/** Characters Windows, macOS or Linux refuse in a file name, and control characters. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[<>:"/\\|?*\u0000-\u001f\u007f]+/g;
/** Names Windows reserves whatever their extension. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i;
const MAX_SUBJECT = 80;

/** The date as the person's calendar shows it: 2026-12-03. */
function localDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** `subject` as part of a file name: unsafe characters become spaces, runs of spaces one, no dots at the ends. */
export function safeSubject(subject: string): string {
  let cleaned = subject.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  if (cleaned.length > MAX_SUBJECT) cleaned = cleaned.slice(0, MAX_SUBJECT).trim();
  cleaned = cleaned.replace(/^[.\s]+|[.\s]+$/g, '');
  return RESERVED.test(cleaned) ? `${cleaned}_` : cleaned;
}

/** "ESMC report – paper-like-50000 – 2026-12-03.pdf", with " (k)" before the extension for k > 1. */
export function reportFileName(subject: string, date: Date, k = 1): string {
  return labFileName('report', subject, date, k, 'pdf');
}

/** "ESMC <what> – <subject> – <date>.<extension>", with " (k)" before the extension for k > 1. */
export function labFileName(what: string, subject: string, date: Date, k: number, extension: string): string {
  const about = safeSubject(subject);
  return `ESMC ${what} – ${about ? `${about} – ` : ''}${localDate(date)}${k > 1 ? ` (${k})` : ''}.${extension}`;
}

/**
 * Creates the report's file in `folder` under the first free name (empty, to be replaced whole by the report),
 * so two reports started at once never take the same one; returns its path. The caller removes it if the
 * report is not written.
 */
export function claimReportFile(folder: string, subject: string, date = new Date()): Promise<string> {
  return claimFile(folder, (k) => reportFileName(subject, date, k));
}

/** Creates an empty file in `folder` under the first free name `nameFor(k)` gives, k = 1, 2, …; its path. */
export async function claimFile(folder: string, nameFor: (k: number) => string): Promise<string> {
  for (let k = 1; ; k++) {
    const path = join(folder, nameFor(k));
    try {
      await (await open(path, 'wx')).close();
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || k >= 1000) throw error;
    }
  }
}
