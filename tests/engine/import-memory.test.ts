/**
 * Issue 21: an import runs under a fixed DuckDB memory limit (spilling what does not fit), and the step whose
 * per-row grouping does not spill, bag encoding, works in slices of lines that give the same ids as one pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listValue } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBags, keptLines, KEPT } from '../../src-main/engine/importers/encoding.js';
import { IMPORT_DUCKDB_MEMORY, importDataset } from '../../src-main/engine/importers/import.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-import-memory-'));
let project: Project;
beforeAll(async () => {
  project = await openProject(join(dir, 'project.duckdb'));
});
afterAll(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

const memoryLimit = async () => String((await project.one("SELECT current_setting('memory_limit') AS v"))!.v);

describe('an import under a memory limit', () => {
  it('runs every step under the import limit (1 GB unless set) and puts the limit back after it', async () => {
    const csv = join(dir, 'sim.csv');
    await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows: 3000 }, csv, { format: 'csv' });
    const before = await memoryLimit();
    const seen: string[] = [];
    await importDataset(project, csv, { name: 'capped', onStep: async () => void seen.push(await memoryLimit()) });
    expect(IMPORT_DUCKDB_MEMORY).toBe(process.env.ESMC_LAB_IMPORT_DUCKDB_MEMORY || '1GB');
    expect(new Set(seen)).toEqual(new Set([IMPORT_DUCKDB_MEMORY === '1GB' ? '953.6 MiB' : seen[0]]));
    expect(seen).toHaveLength(5);

    // Small, yet above what DuckDB's two threads need to read a CSV into a table in order (96 MB is not).
    const small: string[] = [];
    await importDataset(project, csv, {
      name: 'small',
      memoryLimit: '128MB',
      onStep: async () => void small.push(await memoryLimit()),
    });
    expect(new Set(small)).toEqual(new Set(['122.0 MiB']));
    expect(await memoryLimit()).toBe(before);
    expect((await project.dataset('small')).rows).toBe((await project.dataset('capped')).rows);
  });

  it('leaves the limit alone when the caller manages it (the app’s jobs)', async () => {
    const csv = join(dir, 'sim.csv');
    await project.setMemoryLimit('200MB');
    try {
      const seen: string[] = [];
      await importDataset(project, csv, {
        name: 'managed',
        memoryLimit: null,
        onStep: async () => void seen.push(await memoryLimit()),
      });
      expect(new Set(seen)).toEqual(new Set(['190.7 MiB']));
      expect(await memoryLimit()).toBe('190.7 MiB');
    } finally {
      await project.setMemoryLimit(undefined);
    }
  });
});

describe('bag encoding in slices of lines', () => {
  it('gives every row the same ids, in token order, whatever the slice', async () => {
    // KEPT holds bags as lists of tokens (importers/parsed.ts); a vocabulary longer than the one searched per
    // token (tokens a, b, c, then fillers) is the one encoded in slices.
    const bags = [['a', 'b'], [], ['b', 'zz', 'a'], ['c'], ['a', 'a', 'b', 'c'], [], ['zz'], ['b'], ['c', 'b'], ['a']];
    const vocabulary = ['a', 'b', 'c', ...Array.from({ length: 1100 }, (_, i) => `filler${i}`)];
    await project.run(
      `CREATE OR REPLACE TEMP TABLE ${KEPT} AS
       SELECT 2 + i AS __line, bag AS tags
       FROM (SELECT unnest($1::VARCHAR[][]) AS bag, unnest(range(${bags.length})) AS i)`,
      [listValue(bags.map((bag) => listValue(bag)))],
    );
    await project.run(
      `CREATE OR REPLACE TEMP TABLE esmc_vocab_m0 AS SELECT unnest($1::VARCHAR[]) AS value, unnest(range(1, $2 + 1))::INTEGER AS id`,
      [listValue(vocabulary), vocabulary.length],
    );
    const encoding = { multiHot: [{ name: 'tags', vocabulary, maxLength: 3 }] };
    const encoded = async (sliceLines: number) => {
      await project.run('DROP TABLE IF EXISTS esmc_bags_0');
      await encodeBags(project, encoding, await keptLines(project), sliceLines);
      const rows = await project.all('SELECT __line, ids FROM esmc_bags_0 ORDER BY __line');
      return rows.map((row) => [Number(row.__line), (row.ids as number[]).map(Number)]);
    };
    const whole = await encoded(1_000_000);
    expect(whole).toEqual([
      [2, [1, 2]],
      [4, [2, 0, 1]],
      [5, [3]],
      [6, [1, 1, 2]],
      [8, [0]],
      [9, [2]],
      [10, [3, 2]],
      [11, [1]],
    ]);
    for (const slice of [1, 2, 3, 7]) expect(await encoded(slice)).toEqual(whole);
    await project.run(`DROP TABLE ${KEPT}`);
    await project.run('DROP TABLE esmc_bags_0');
    await project.run('DROP TABLE esmc_vocab_m0');
  });
});
