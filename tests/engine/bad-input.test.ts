/**
 * A corpus of bad data files, each through every door that reads one — the import (engine and CLI), the drop
 * preview, and `train --data` — asserting that each door refuses it with the same words and place, exits with the
 * CLI's error code, and leaves the project exactly as it was.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectFile } from '../../src-main/api/inspect.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-bad-input-'));
const projectPath = join(dir, 'lab.duckdb');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
const rows = (header: string, ...lines: string[]) => `${[header, ...lines].join('\n')}\n`;

interface BadFile {
  name: string;
  bytes: string | Buffer;
  /** What every door says, after the file's path. */
  says: RegExp;
  /** What `train --data` says instead, for a format only a project reads. */
  trainSays?: RegExp;
  /** What the drop preview says instead: it reads the first rows of a large file, which may be sound. */
  previewSays?: RegExp | 'accepted';
}

/** 300,000 rows whose one bad label lies near the end: every door reading it whole names that line. */
function lateFault(): string {
  const lines = ['click,purchase,city,price'];
  for (let i = 0; i < 300_000; i++) {
    const click = i % 3 === 0 ? 1 : 0;
    const purchase = i === 299_990 ? 2 : click && i % 9 === 0 ? 1 : 0;
    lines.push(`${click},${purchase},c${i % 17},${(i % 13) * 1.5}`);
  }
  return `${lines.join('\n')}\n`;
}

const CORPUS: BadFile[] = [
  { name: 'empty.csv', bytes: '', says: /empty\.csv is empty \(0 bytes\)/ },
  { name: 'picture.png', bytes: PNG, says: /picture\.png is a PNG image, not a data file/ },
  { name: 'picture.csv', bytes: PNG, says: /picture\.csv is a PNG image, not a data file/ },
  {
    name: 'utf16.csv',
    bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('click,purchase\n1,0\n', 'utf16le')]),
    says: /utf16\.csv is UTF-16 text; save it as UTF-8/,
  },
  {
    name: 'header-only.csv',
    bytes: 'click,purchase\n',
    says: /header-only\.csv:2: the file has a header but no data rows/,
  },
  {
    name: 'twice.csv',
    bytes: rows('user_id,click,price,click,purchase', '1,0,2.5,0,0', '2,1,3.5,1,1'),
    says: /twice\.csv:1:4: column name "click" repeats column 2/,
  },
  {
    name: 'quote.csv',
    bytes: rows('user_id,item_id,click,purchase', '1,2,1,0', '2,"713,1,1', '3,5,0,0'),
    says: /quote\.csv:3(:\d+)?: unterminated quote: the quoted cell opened here never closes/,
  },
  {
    name: 'long-row.csv',
    bytes: rows('click,purchase,city', '0,0,a', '1,0,b,"x,y",5,6,7,8,9', '1,1,c'),
    says: /long-row\.csv:3(:\d+)?: expected 3 cells as in the header, got 9/,
  },
  {
    name: 'short-row.csv',
    bytes: rows('click,purchase,city', '0,0,a', '1,0', '1,1,c'),
    says: /short-row\.csv:3(:\d+)?: expected 3 cells as in the header, got 2/,
  },
  {
    name: 'latin1.csv',
    bytes: Buffer.concat([Buffer.from('click,purchase,city\n0,0,a\n1,1,'), Buffer.from([0xe9]), Buffer.from('\n')]),
    says: /latin1\.csv:3(:\d+)?: the file is not UTF-8/,
  },
  {
    // A feature column that copies the purchase label: the answer among the inputs.
    name: 'copy.csv',
    bytes: rows(
      'user_id,bought_flag,click,purchase',
      ...Array.from({ length: 30 }, (_, i) => `${i % 7},${i % 3 === 0 ? 1 : 0},1,${i % 3 === 0 ? 1 : 0}`),
    ),
    says: /copy\.csv:1:2: column "bought_flag" equals the label "purchase" on every row: as a feature it would give the models the answer/,
  },
  {
    // A flag that equals the click but on two rows: nearly the answer among the inputs.
    name: 'near-copy.csv',
    bytes: rows(
      'user_id,clicked_flag,click,purchase',
      ...Array.from(
        { length: 400 },
        (_, i) => `${i % 7},${(i % 2 === 1) !== (i === 7 || i === 100) ? 'y' : 'n'},${i % 2},${i % 6 === 1 ? 1 : 0}`,
      ),
    ),
    says: /near-copy\.csv:1:2: column "clicked_flag" nearly determines the label "click" \(its values predict it on 99\.5% of 400 rows: 2 disagree, within 1% of the 200 with click = 1\): as a feature it would give the models the answer/,
  },
  {
    name: 'labels.csv',
    bytes: rows('click,purchase,city', '0,0,a', '1,0,b', '2,0,c', '1,1,d'),
    says: /labels\.csv:4(:\d+)?: .*label must be 0 or 1, got "2"/,
  },
  {
    name: 'late-fault.csv',
    bytes: lateFault(),
    says: /late-fault\.csv:299992:2: column "purchase": label must be 0 or 1, got "2"/,
    previewSays: 'accepted',
  },
  {
    name: 'bad.jsonl',
    bytes: rows(
      '{"click": 1, "purchase": 0, "city": "a"}',
      '{"click": 0, "purchase": 0, "city": "b"}',
      '{"click": 1, "purchase"',
      '{"click": 1, "purchase": 1, "city": "c"}',
    ),
    says: /bad\.jsonl:3: not a JSON object on one line/,
    trainSays: /bad\.jsonl is JSON lines, not CSV\/TSV text; import it into a project/,
  },
  {
    // Written in beforeAll: the first half of a whole Parquet file, without the footer that says where all is.
    name: 'truncated.parquet',
    bytes: '',
    says: /truncated\.parquet: the Parquet file is cut short \(its footer is missing\)/,
    trainSays: /truncated\.parquet is a Parquet file, not CSV\/TSV text; import it into a project/,
  },
];

/** Every table's row count: what "the project is as it was" means. */
async function snapshot(project: Project): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await project.tables())
    counts[table] = Number((await project.one(`SELECT count(*)::DOUBLE AS n FROM "${table}"`))!.n);
  return counts;
}

const errorOf = (work: Promise<unknown>) =>
  work.then(
    () => new Error('accepted'),
    (error: unknown) => error as Error,
  );

/**
 * What the drop preview says: the error it throws, or the import's error it found in the rows it read (the preview
 * lists findings beside the mapping instead of throwing), at its line as the import names it.
 */
async function previewSays(path: string, name: string): Promise<string> {
  const preview = await inspectFile(path, name).catch((error: unknown) => error as Error);
  if (preview instanceof Error) return preview.message;
  const error = preview.findings.find((finding) => finding.severity === 'error');
  if (!error) return 'accepted';
  const column = error.column === undefined ? 0 : preview.columns.indexOf(error.column) + 1;
  return `${name}:${error.exampleLines[0]}${column > 0 ? `:${column}` : ''}: ${error.message}`;
}

describe('a bad file is refused the same way by every door, and changes nothing', () => {
  let before: Record<string, number>;

  beforeAll(async () => {
    for (const file of CORPUS.filter(
      (f) => !['a-folder.csv', 'missing.csv', 'loop.csv', 'truncated.parquet'].includes(f.name),
    ))
      writeFileSync(join(dir, file.name), file.bytes);
    mkdirSync(join(dir, 'a-folder.csv'));
    symlinkSync('loop-back.csv', join(dir, 'loop.csv'));
    symlinkSync('loop.csv', join(dir, 'loop-back.csv'));
    const project = await openProject(projectPath);
    try {
      const whole = join(dir, 'whole.parquet');
      await project.run(
        `COPY (SELECT (range % 2)::INTEGER AS click, (range % 6 = 0)::INTEGER AS purchase, 'c' || (range % 5) AS city
               FROM range(5000)) TO '${whole}'`,
      );
      const bytes = readFileSync(whole);
      writeFileSync(join(dir, 'truncated.parquet'), bytes.subarray(0, Math.floor(bytes.length / 2)));
      before = await snapshot(project);
    } finally {
      project.close();
    }
  });

  // Not a file at all: a folder, a path that does not exist, a link that leads back to itself.
  for (const [name, says] of [
    ['a-folder.csv', /a-folder\.csv: expected a file, got a directory/],
    ['missing.csv', /missing\.csv: file not found/],
    ['loop.csv', /loop\.csv is a symbolic link that leads back to itself \(a loop\)/],
  ] as const)
    CORPUS.push({ name, bytes: '', says });

  for (const file of CORPUS) {
    it(file.name, async () => {
      const path = join(dir, file.name);
      const project = await openProject(projectPath);
      try {
        expect((await errorOf(importDataset(project, path, {}))).message).toMatch(file.says);
        expect(await snapshot(project)).toEqual(before);
      } finally {
        project.close();
      }
      if (file.previewSays === 'accepted') expect(await previewSays(path, file.name)).toBe('accepted');
      else expect(await previewSays(path, file.name)).toMatch(file.previewSays ?? file.says);

      const imported = await cli('import', '--project', projectPath, '--data', path);
      expect([imported.code, imported.stderr]).toEqual([1, expect.stringMatching(file.says)]);
      const trained = await cli('train', '--data', path, '--model', 'esmm', '--epochs', '1');
      expect([trained.code, trained.stderr]).toEqual([1, expect.stringMatching(file.trainSays ?? file.says)]);

      const after = await openProject(projectPath);
      try {
        expect(await snapshot(after)).toEqual(before);
      } finally {
        after.close();
      }
    });
  }
});
