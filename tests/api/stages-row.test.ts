import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiService } from '../../src-main/api/service.js';
import { ServiceHarness } from './harness.js';

let dir: string;
let api: ServiceHarness;
let runId: string;
/** Each data line's price as written in the file ('' when missing), by source line. */
const prices = new Map<number, string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-stages-row-'));
  const lines = ['category,price,click,action,purchase'];
  for (let k = 0; k < 400; k++) {
    // Every fifth price is missing; the others vary, so the column's std is not 1.
    const price = k % 5 === 0 ? '' : (10 + (k % 13) * 1.5).toFixed(2);
    // Clicks independent of the category: a category that determined them would be refused as a label leak.
    const click = k % 5 < 2 ? 1 : 0;
    lines.push(`${['a', 'b', 'c'][k % 3]},${price},${click},${click && k % 2},${click && k % 3 === 1 ? 1 : 0}`);
    prices.set(k + 2, price);
  }
  const file = join(dir, 'rows.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  api = new ServiceHarness(
    await createApiService({ projectPath: join(dir, 'lab.duckdb'), shell: 'browser', workers: 1, backend: 'wasm' }),
  );
  [{ id: runId }] = await api.importAndTrainTiny(file, 'rows', 64);
});

afterAll(async () => {
  await api.service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Stages row inspector', () => {
  it('shows a missing dense value as missing, not as the column mean', async () => {
    const page = await api.call('stages.rows', { runIds: [runId], offset: 0, limit: 20 });
    let missing = 0;
    for (const { rowId } of page.rows) {
      const row = await api.call('stages.row', { runIds: [runId], rowId });
      const price = prices.get(Number(row.features!['source line']));
      if (price === '') {
        missing++;
        expect(row.features!.price).toBeNull();
      } else expect(Number(row.features!.price)).toBeCloseTo(Number(price), 6);
    }
    expect(missing).toBeGreaterThan(0);
  });
});
