import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainingMemoryCap } from '../../src-main/api/duckdb-memory.js';
import { openProject, Project } from '../../src-main/engine/store/project.js';

/** A connection that only records the statements it was asked to run. */
function recorder(): { project: Project; statements: string[] } {
  const statements: string[] = [];
  const project = Object.assign(Object.create(Project.prototype) as Project, {
    run: async (sql: string) => void statements.push(sql),
  });
  return { project, statements };
}

describe('TrainingMemoryCap', () => {
  it('caps at the training limit while only trainings run, and at the import limit while an import runs', async () => {
    const { project, statements } = recorder();
    const cap = new TrainingMemoryCap('512MB', '1GB');
    const steps: string[] = [];
    let endImport!: () => void;
    await cap.during('train', project, async () => {
      steps.push(`training, capped ${cap.isCapped}`);
      const importing = cap.during('import', project, async () => {
        steps.push(`importing, capped ${cap.isCapped}`);
        await new Promise<void>((resolve) => (endImport = resolve));
      });
      await new Promise((resolve) => setImmediate(resolve));
      endImport();
      await importing;
      steps.push(`import done, capped ${cap.isCapped}`);
    });
    steps.push(`all done, capped ${cap.isCapped}`);
    expect(steps).toEqual([
      'training, capped true',
      'importing, capped false',
      'import done, capped true',
      'all done, capped false',
    ]);
    expect(statements).toEqual([
      "SET memory_limit = '512MB'",
      "SET memory_limit = '1GB'",
      "SET memory_limit = '512MB'",
      'RESET memory_limit',
    ]);
  });

  it('sets the cap once for trainings that overlap, and lifts it after a failing one too', async () => {
    const { project, statements } = recorder();
    const cap = new TrainingMemoryCap('512MB');
    const failing = cap.during('train', project, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('diverged');
    });
    const other = cap.during('train', project, async () => 'trained');
    await expect(failing).rejects.toThrow('diverged');
    await expect(other).resolves.toBe('trained');
    expect(statements).toEqual(["SET memory_limit = '512MB'", 'RESET memory_limit']);
    expect(cap.isCapped).toBe(false);
  });
});

describe('on a project file', () => {
  let dir: string;
  let project: Project;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'esmc-memory-'));
    project = await openProject(join(dir, 'lab.duckdb'));
  });
  afterAll(() => {
    project.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("changes DuckDB's limit for every connection while capped, and restores the default", async () => {
    const limit = async (connection: Project) =>
      String((await connection.one("SELECT current_setting('memory_limit') AS v"))!.v);
    const other = await project.connect();
    const before = await limit(other);
    const cap = new TrainingMemoryCap('512MB');
    const during = await cap.during('train', project, () => limit(other));
    expect(during).not.toBe(before);
    expect(during).toMatch(/^(488\.2 MiB|512\.0 MB)$/);
    expect(await limit(other)).toBe(before);
    other.close();
  });
});
