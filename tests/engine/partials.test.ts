import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiService } from '../../src-main/api/service.js';
import { writeTextAtomically } from '../../src-main/engine/files.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-partials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The id of a process that has ended: a killed writer's. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('partial files a killed writer left', () => {
  it('are removed by the next write into their folder; a running writer’s stay', async () => {
    const folder = join(dir, 'reports');
    mkdirSync(folder);
    const dead = `ESMC report – old – 2026-12-01.pdf.partial-${deadPid()}-0123456789ab`;
    const alive = `ESMC report – now – 2026-12-03.pdf.partial-${process.pid}-ba9876543210`;
    const mine = 'notes.partial-of-mine.txt';
    for (const name of [dead, alive, mine]) writeFileSync(join(folder, name), 'x');
    await writeTextAtomically(join(folder, 'summary.txt'), 'done');
    expect(readdirSync(folder).sort()).toEqual([alive, mine, 'summary.txt'].sort());
  });

  it('are not made where the folder is missing or a file: the message says which, and nothing is written', async () => {
    const missing = join(dir, 'no-such-folder', 'report.pdf');
    await expect(writeTextAtomically(missing, 'x')).rejects.toThrow(
      `cannot write ${missing}: the folder ${join(dir, 'no-such-folder')} does not exist`,
    );
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await expect(writeTextAtomically(join(file, 'report.pdf'), 'x')).rejects.toThrow(
      `cannot write ${join(file, 'report.pdf')}: a folder on the way is a file`,
    );
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
  });

  it("are removed from the project's reports and exports folders when the project opens", async () => {
    const projectPath = join(dir, 'lab.duckdb');
    const reports = join(dir, 'lab-reports');
    const exports = join(dir, 'lab-exports');
    mkdirSync(reports);
    mkdirSync(exports);
    const left = [
      join(reports, `ESMC report – x – 2026-12-01.pdf.partial-${deadPid()}-aaaaaaaaaaaa`),
      join(exports, `ESMC rows – x – 2026-12-01.csv.partial-${deadPid()}-bbbbbbbbbbbb`),
    ];
    for (const path of left) writeFileSync(path, 'x');
    const service = await createApiService({ projectPath, shell: 'browser', workers: 1 });
    try {
      expect(left.map(existsSync)).toEqual([false, false]);
    } finally {
      await service.close();
    }
  });
});
