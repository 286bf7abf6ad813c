import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { splitRows } from '../../src-main/engine/data/split.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { openProject, Project, SCHEMA_VERSION } from '../../src-main/engine/store/project.js';
import { batches, readDataset } from '../../src-main/engine/store/read.js';
import { createSplit, listSplits } from '../../src-main/engine/store/splits.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FUNNEL_SAMPLE = fileURLToPath(new URL('../../assets/samples/funnel-sample.csv', import.meta.url));
let files = 0;
const projectFile = () => join(dir, `p${files++}.duckdb`);

/** Every table with its row count: what "the project is exactly as before" is checked against. */
async function snapshot(project: Project): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await project.tables())
    counts[table] = Number((await project.one(`SELECT count(*)::DOUBLE AS n FROM "${table}"`))!.n);
  return counts;
}

async function withProject<T>(path: string, work: (project: Project) => Promise<T>): Promise<T> {
  const project = await openProject(path);
  try {
    return await work(project);
  } finally {
    project.close();
  }
}

describe('openProject', () => {
  it('creates the tables with the schema version, and a reopened project sees its datasets', async () => {
    const path = projectFile();
    await withProject(path, async (project) => {
      expect(await project.tables()).toEqual(
        expect.arrayContaining(['meta', 'datasets', 'splits', 'split_info', 'runs', 'predictions', 'reports']),
      );
      expect(await project.schemaVersion()).toBe(SCHEMA_VERSION);
      await importDataset(project, FUNNEL_SAMPLE, { name: 'funnel' });
    });
    await withProject(path, async (project) => {
      const [dataset] = await project.datasets();
      expect(dataset.name).toBe('funnel');
      expect(dataset.rows).toBe(12000);
      // The user key is also a feature (first), unless userFeature is false.
      expect(dataset.encoding.categorical.map((f) => f.name)).toEqual(['user_id', 'item_id', 'category', 'position']);
      expect((await readDataset(project, 'funnel')).rows).toBe(12000);
    });
  });

  it('caps the DuckDB buffer pool while some work runs, and puts the limit back after it, even when it throws', async () => {
    await withProject(projectFile(), async (project) => {
      const limit = async () => String((await project.one(`SELECT current_setting('memory_limit') AS m`))!.m);
      const before = await limit();
      expect(await project.withMemoryLimit('256MB', limit)).toMatch(/^24\d\.\d MiB$/);
      expect(await limit()).toBe(before);
      await expect(
        project.withMemoryLimit('256MB', async () => {
          throw new Error('work failed');
        }),
      ).rejects.toThrow('work failed');
      expect(await limit()).toBe(before);
    });
  });

  it("removes the spill files a killed process left in DuckDB's temporary folder when it opens", async () => {
    const path = projectFile();
    await withProject(path, async () => undefined);
    mkdirSync(`${path}.tmp`, { recursive: true });
    writeFileSync(join(`${path}.tmp`, 'duckdb_temp_storage-0.tmp'), 'x'.repeat(1000));
    await withProject(path, async (project) => {
      expect(existsSync(`${path}.tmp`)).toBe(false);
      expect(await project.schemaVersion()).toBe(SCHEMA_VERSION);
    });
  });

  it('says which process holds a project another program has open, after a short wait', async () => {
    const path = projectFile();
    await withProject(path, async () => undefined);
    // Another process holding the file, as a second ESMC Lab or a DuckDB client would.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api';
         await DuckDBInstance.create(${JSON.stringify(path)});
         console.log('holding');
         setTimeout(() => undefined, 60_000);`,
      ],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', () => resolve());
        holder.on('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
      });
      const started = Date.now();
      await expect(Project.open(path, { lockWaitMs: 500 })).rejects.toThrow(
        new RegExp(`is open in another program \\(process ${holder.pid}, .*close it there and try again`),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    } finally {
      holder.kill();
    }
  });

  it('refuses a project written by a newer version, and says so', async () => {
    const path = projectFile();
    await withProject(path, (project) => project.run(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`));
    await expect(openProject(path)).rejects.toThrow(/newer ESMC Lab \(project schema v99\).*Update ESMC Lab/);
  });

  it('migrates a v1 project: its runs gain a name, tags and notes', async () => {
    const path = projectFile();
    await withProject(path, async (project) => {
      for (const column of ['name', 'tags', 'notes']) await project.run(`ALTER TABLE runs DROP COLUMN ${column}`);
      await project.run(`UPDATE meta SET value = '1' WHERE key = 'schema_version'`);
    });
    await withProject(path, async (project) => {
      expect(await project.schemaVersion()).toBe(SCHEMA_VERSION);
      const columns = await project.all(`SELECT column_name FROM duckdb_columns() WHERE table_name = 'runs'`);
      expect(columns.map((c) => c.column_name)).toEqual(expect.arrayContaining(['name', 'tags', 'notes']));
    });
  });

  it('refuses an older version it has no migration for, and says so', async () => {
    const path = projectFile();
    await withProject(path, (project) => project.run(`UPDATE meta SET value = '0' WHERE key = 'schema_version'`));
    await expect(openProject(path)).rejects.toThrow(/schema v0, which this version of ESMC Lab cannot migrate/);
  });

  it('refuses a DuckDB file that is not a project, and a file that is not DuckDB', async () => {
    const path = projectFile();
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run('CREATE TABLE other (x INTEGER)');
    connection.closeSync();
    instance.closeSync();
    await expect(openProject(path)).rejects.toThrow(/not an ESMC Lab project/);
    const text = join(dir, 'not-duckdb.duckdb');
    writeFileSync(text, 'click,purchase\n0,0\n');
    await expect(openProject(text)).rejects.toThrow(/cannot open project/);
  });
});

describe('imports are all or nothing', () => {
  it('a crash or a cancel at any step leaves every table and row count as before', async () => {
    await withProject(projectFile(), async (project) => {
      await importDataset(project, FUNNEL_SAMPLE, { name: 'first' });
      const before = await snapshot(project);
      for (const step of ['staged', 'encoded', 'written'] as const) {
        await expect(
          importDataset(project, FUNNEL_SAMPLE, {
            name: 'second',
            onStep: (reached) => {
              if (reached === step) throw new Error(`crash at ${step}`);
            },
          }),
        ).rejects.toThrow(`crash at ${step}`);
        expect(await snapshot(project)).toEqual(before);

        const controller = new AbortController();
        await expect(
          importDataset(project, FUNNEL_SAMPLE, {
            name: 'second',
            signal: controller.signal,
            onStep: (reached) => {
              if (reached === step) controller.abort(new Error(`cancelled at ${step}`));
            },
          }),
        ).rejects.toThrow(`cancelled at ${step}`);
        expect(await snapshot(project)).toEqual(before);
      }
      // With its split: one transaction, so a crash after both were written leaves neither.
      await expect(
        importDataset(project, FUNNEL_SAMPLE, {
          name: 'second',
          split: { kind: 'random', seed: 3 },
          onStep: (reached) => {
            if (reached === 'written') throw new Error('crash after the split');
          },
        }),
      ).rejects.toThrow('crash after the split');
      expect(await snapshot(project)).toEqual(before);
      // Replacing rolls back too: the old dataset survives a crash of its replacement.
      await expect(
        importDataset(project, FUNNEL_SAMPLE, {
          name: 'first',
          replace: true,
          onStep: (reached) => {
            if (reached === 'written') throw new Error('crash');
          },
        }),
      ).rejects.toThrow('crash');
      expect(await snapshot(project)).toEqual(before);
      expect((await readDataset(project, 'first')).rows).toBe(12000);
      // The connection is still usable after a rollback.
      const withSplit = await importDataset(project, FUNNEL_SAMPLE, {
        name: 'second',
        split: { kind: 'random', seed: 3 },
      });
      expect(withSplit.split).toMatchObject({ dataset: 'second', split: 'random', kind: 'random', seed: 3 });
      expect((await listSplits(project, 'second')).map((split) => split.split)).toEqual(['random']);
      expect((await project.datasets()).map((d) => d.name)).toEqual(['first', 'second']);
    });
  });

  it('bad data changes nothing', async () => {
    await withProject(projectFile(), async (project) => {
      const before = await snapshot(project);
      const bad = join(dir, 'bad-label.csv');
      writeFileSync(bad, 'click,purchase,x\n0,0,a\n2,0,b\n');
      await expect(importDataset(project, bad)).rejects.toThrow(/label must be 0 or 1/);
      expect(await snapshot(project)).toEqual(before);
    });
  });
});

describe('splits and reading', () => {
  it('stores random, user and time splits that cover every row once; reads parts and batches', async () => {
    await withProject(projectFile(), async (project) => {
      await importDataset(project, FUNNEL_SAMPLE, { name: 'funnel' });
      const random = await createSplit(project, 'funnel', { kind: 'random', seed: 7 });
      expect(random.counts).toEqual({ train: 9600, validation: 1200, test: 1200 });
      // The same parts the engine's own split makes for this seed, so CLI train runs and stored runs agree.
      const expected = splitRows(12000, { train: 0.8, validation: 0.1, test: 0.1 }, 7);
      const stored = await project.all(
        `SELECT row_id FROM splits WHERE dataset = 'funnel' AND split = 'random' AND part = 'test' ORDER BY row_id`,
      );
      expect(stored.map((row) => Number(row.row_id))).toEqual(Array.from(expected.test));

      const all = await readDataset(project, 'funnel');
      const test = await readDataset(project, 'funnel', { part: 'test' });
      expect(test.rows).toBe(1200);
      const firstTestRow = expected.test[0];
      expect(test.labels.click[0]).toBe(all.labels.click[firstTestRow]);
      const fields = all.schema.categorical.length;
      expect(fields).toBe(4);
      expect(Array.from(test.categorical.subarray(0, fields))).toEqual(
        Array.from(all.categorical.subarray(firstTestRow * fields, firstTestRow * fields + fields)),
      );

      const user = await createSplit(project, 'funnel', { kind: 'user' });
      const overlap = await project.one(
        `SELECT count(*)::DOUBLE AS n FROM (SELECT d.user_key FROM splits s JOIN dataset_1 d USING (row_id)
         WHERE s.dataset = 'funnel' AND s.split = 'user' GROUP BY d.user_key HAVING count(DISTINCT s.part) > 1)`,
      );
      expect(Number(overlap!.n)).toBe(0);
      expect(user.counts.train + user.counts.validation + user.counts.test).toBe(12000);
      await expect(createSplit(project, 'funnel', { kind: 'time' })).rejects.toThrow(/no timestamp column/);
      expect((await listSplits(project, 'funnel')).map((s) => s.split)).toEqual(['random', 'user']);

      let rows = 0;
      let clicks = 0;
      const sizes: number[] = [];
      for await (const batch of batches(project, 'funnel', { part: 'train' }, 4000)) {
        sizes.push(batch.rows);
        rows += batch.rows;
        clicks += batch.labels.click.reduce((a, b) => a + b, 0);
        expect(batch.categorical.length).toBe(batch.rows * fields);
      }
      expect(sizes).toEqual([4000, 4000, 1600]);
      const train = await readDataset(project, 'funnel', { part: 'train' });
      expect(rows).toBe(train.rows);
      expect(clicks).toBe(train.labels.click.reduce((a, b) => a + b, 0));
    });
  });

  it('splits by time: train holds the earliest rows', async () => {
    const file = join(dir, 'timed.csv');
    const lines = ['click,purchase,ts,city'];
    for (let i = 0; i < 100; i++) lines.push(`${i % 3 === 0 ? 1 : 0},0,${1000 - i},c${i % 4}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    await withProject(projectFile(), async (project) => {
      const { dataset } = await importDataset(project, file);
      expect(dataset.roles.timestamp).toBe('ts');
      await createSplit(project, 'timed', { kind: 'time' });
      const range = await project.all(
        `SELECT part, min(time) AS lo, max(time) AS hi FROM splits JOIN dataset_1 USING (row_id) GROUP BY part ORDER BY lo`,
      );
      expect(range.map((r) => r.part)).toEqual(['train', 'validation', 'test']);
      expect(Number(range[0].hi)).toBeLessThan(Number(range[1].lo));
    });
  });
});
