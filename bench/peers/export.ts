/**
 * Writes a project's encoded dataset, with its stored split, as one plain CSV that numpy reads, and its feature
 * schema as JSON beside it: the peer (rechub_peer.py) must train on exactly the ids, labels and parts that the
 * lab's own `train --project … --stored-split …` reads, so this goes through the lab's reader (`readDataset`)
 * rather than re-encoding the simulated file.
 *
 *   npx tsx bench/peers/export.ts --project P.duckdb --dataset sim --split random --out DIR
 *
 * DIR/encoded.csv: part (0 train, 1 validation, 2 test), row_id, click, action, purchase, one column per
 * categorical field (its id), maxLength columns per multi-hot field (ids, −1 = padding), the dense values.
 */
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { openProject } from '../../src-main/engine/store/project.js';
import { readDataset, type SplitPart } from '../../src-main/engine/store/read.js';

const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    dataset: { type: 'string', default: 'sim' },
    split: { type: 'string', default: 'random' },
    out: { type: 'string' },
  },
});
if (!values.project || !values.out) throw new Error('usage: export.ts --project P --dataset N --split S --out DIR');

const PARTS: SplitPart[] = ['train', 'validation', 'test'];
mkdirSync(values.out, { recursive: true });
const project = await openProject(values.project);
try {
  const csv = createWriteStream(join(values.out, 'encoded.csv'));
  const write = async (line: string) => {
    if (!csv.write(line + '\n')) await once(csv, 'drain');
  };
  const counts: Record<string, number> = {};
  let header: string[] | undefined;
  let schemaJson = '';
  for (const [code, part] of PARTS.entries()) {
    const data = await readDataset(project, values.dataset, { part, split: values.split }, { truth: false });
    const { schema } = data;
    if (!data.labels.action) throw new Error('the dataset has no in-shop action label; AITM needs one');
    if (!header) {
      header = [
        'part',
        'row_id',
        'click',
        'action',
        'purchase',
        ...schema.categorical.map((f) => f.name),
        ...schema.multiHot.flatMap((f) => Array.from({ length: f.maxLength }, (_, s) => `${f.name}_${s + 1}`)),
        ...schema.dense.map((f) => f.name),
      ];
      await write(header.join(','));
      schemaJson = JSON.stringify({ parts: PARTS, ...schema }, null, 2);
    }
    const [nCat, nDense] = [schema.categorical.length, schema.dense.length];
    for (let r = 0; r < data.rows; r++) {
      const cells: (number | string)[] = [
        code,
        data.rowIds![r],
        data.labels.click[r],
        data.labels.action[r],
        data.labels.purchase[r],
      ];
      for (let f = 0; f < nCat; f++) cells.push(data.categorical[r * nCat + f]);
      schema.multiHot.forEach((field, f) => {
        for (let s = 0; s < field.maxLength; s++) cells.push(data.multiHot[f][r * field.maxLength + s]);
      });
      // Float32 values written at float32 precision: what the lab's towers see.
      for (let f = 0; f < nDense; f++) cells.push(data.dense[r * nDense + f]);
      await write(cells.join(','));
    }
    counts[part] = data.rows;
  }
  csv.end();
  await once(csv, 'finish');
  writeFileSync(join(values.out, 'schema.json'), schemaJson + '\n');
  console.error(`encoded rows written to ${join(values.out, 'encoded.csv')}: ${JSON.stringify(counts)}`);
} finally {
  project.close();
}
