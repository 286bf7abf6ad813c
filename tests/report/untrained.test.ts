/**
 * A run that cannot have learned (one epoch at learning rate 1e-6), stored beside one that learned: the report
 * names it as not learned on its first page and beside its numbers, and never ranks it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { trainRun, type RunRecord } from '../../src-main/engine/run.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { writeReportForRuns } from '../../src-main/report/index.js';
import { pdfPages, popplerMissing, popplerNote } from './pdf.js';

let dir: string;
let project: Project;
let untrained: RunRecord;
let trained: RunRecord;
let pages: string[];
const flat = (text: string) => text.replace(/\s+/g, ' ');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-untrained-'));
  const csv = join(dir, 'sim.csv');
  await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows: 8000, seed: 3 }, csv, { format: 'csv' });
  project = await openProject(join(dir, 'lab.duckdb'));
  await importDataset(project, csv, { name: 'sim', format: 'simulator' });
  const source = { kind: 'project' as const, project, dataset: 'sim' };
  [untrained] = await trainRun({ source, models: ['esmm'], trainConfig: { epochs: 1, learningRate: 1e-6 } });
  [trained] = await trainRun({ source, models: ['esm2'], trainConfig: { epochs: 3 } });
  if (popplerMissing === null) {
    const out = join(dir, 'report.pdf');
    await writeReportForRuns(project, [untrained.id, trained.id], { out });
    pages = pdfPages(out);
  }
}, 240_000);

afterAll(() => {
  project?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`a run that cannot have learned${popplerNote}`, () => {
  it('is found not learned, and the other learned', () => {
    expect(untrained.learning?.status).toBe('not-learned');
    expect(trained.learning?.status).toBe('learned');
  });

  it.skipIf(popplerMissing !== null)('is named on the first page, unranked, and beside its numbers', () => {
    const first = flat(pages[0]);
    expect(first).toContain('Not ranked: esmm did not learn');
    expect(first).toContain('conclusions drawn from it do not hold');
    expect(first).toMatch(/Trust esm2 for pCVR/);
    // The key figures' table: esmm has no rank and says it did not learn.
    expect(first).toMatch(/esmm not ranked [\d.]+ \[[\d., ]+\] [\d.]+ no /);
    // In the detail, where its metrics are.
    const rest = flat(pages.slice(1).join(' '));
    expect(rest).toMatch(/esmm completed 1 \(1\) [\d.]+ s [\d,]+ Not learned: /);
  });
});
