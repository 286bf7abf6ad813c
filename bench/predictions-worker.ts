/**
 * The import of a predictions file (issue 17), measured in its own process so that its peak RSS is its own:
 *
 *   --phase setup  --dir D --rows N   writes a narrow funnel of N rows (three labels, one column) and a
 *                                     predictions file of the same rows into D, and imports the funnel with its split
 *   --phase import --dir D            imports D/preds.csv as an external run; prints one JSON line (IMPORT_TAG)
 *
 * Both files are written by DuckDB, so N = 10M takes seconds. tests/engine/import-predictions-large.test.ts runs
 * the same two phases.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { importDataset } from '../src-main/engine/importers/import.js';
import { importPredictions } from '../src-main/engine/importers/predictions.js';
import { openProject } from '../src-main/engine/store/project.js';
import { ensureSplit } from '../src-main/engine/store/splits.js';
import { IMPORT_TAG } from './data.js';

const { values } = parseArgs({
  options: {
    phase: { type: 'string' },
    dir: { type: 'string' },
    rows: { type: 'string', default: '1000000' },
  },
});
if (!values.dir || (values.phase !== 'setup' && values.phase !== 'import'))
  throw new Error('usage: predictions-worker.ts --phase setup|import --dir D [--rows N]');
const dir = values.dir;
const projectPath = join(dir, 'lab.duckdb');
const predictions = join(dir, 'preds.csv');

if (values.phase === 'setup') {
  const rows = Number(values.rows);
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  const click = '(hash(i) % 10 < 2)::INT';
  await connection.run(
    `COPY (SELECT ${click} AS click, ((hash(i * 3) % 10 < 1)::INT * ${click}) AS action,
                  ((hash(i * 7) % 10 < 1)::INT * ${click}) AS purchase, 'shop' || (i % 7) AS shop
           FROM range(${rows}) t(i)) TO '${join(dir, 'data.csv')}'`,
  );
  // Informative on clicks and purchases, so the run passes the learning check like a real model's.
  await connection.run(
    `COPY (SELECT i AS row_id, 0.1 + 0.3 * ${click} AS p_ctr, 0.1 + 0.3 * (hash(i * 7) % 10 < 1)::INT AS p_cvr
           FROM range(${rows}) t(i)) TO '${predictions}'`,
  );
  connection.closeSync();
  db.closeSync();
  const project = await openProject(projectPath);
  await importDataset(project, join(dir, 'data.csv'), { name: 'big', roles: { categorical: ['shop'] } });
  await ensureSplit(project, 'big', undefined);
  project.close();
} else {
  const project = await openProject(projectPath);
  const result = await importPredictions(project, { dataset: 'big', file: predictions, name: 'cluster' });
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const stored = Number((await project.one('SELECT count(*)::DOUBLE AS n FROM predictions'))?.n);
  const plainStarted = performance.now();
  await project.run(`CREATE TEMP TABLE plain_read AS SELECT * FROM read_csv('${predictions}')`);
  const plainReadSeconds = (performance.now() - plainStarted) / 1000;
  project.close();
  const summary = {
    rows: result.rows,
    stored,
    megabytes: statSync(predictions).size / 2 ** 20,
    seconds: result.seconds,
    rowsPerSecond: result.rows / result.seconds,
    peakRssMiB,
    plainReadSeconds,
    learned: result.run.learning?.status,
  };
  process.stdout.write(`${IMPORT_TAG}${JSON.stringify(summary)}\n`);
}
