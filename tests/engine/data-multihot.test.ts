import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { takeRows } from '../../src-main/engine/data/dataset.js';
import { loadCsvDataset, MAX_MULTI_HOT_LENGTH, type FeatureEncoding } from '../../src-main/engine/data/encode.js';
import { DataError } from '../../src-main/engine/data/errors.js';
import { splitTokens, suggestRoles } from '../../src-main/engine/data/roles.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-multihot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function tempFile(content: string): string {
  const path = join(dir, `rows-${++fileCount}.csv`);
  writeFileSync(path, content);
  return path;
}

/** Each row's bag without its padding. */
function bagsOf(ids: Int32Array, maxLength: number): number[][] {
  const bags: number[][] = [];
  for (let start = 0; start < ids.length; start += maxLength)
    bags.push(Array.from(ids.subarray(start, start + maxLength)).filter((id) => id >= 0));
  return bags;
}

describe('multi-hot roles', () => {
  it('suggests a column of |-separated tokens as multi-hot, whatever the tokens are', () => {
    const header = ['click', 'purchase', 'tags', 'genres', 'city', 'price'];
    const rows = [
      ['0', '0', '3|17|42', 'rock', 'paris', '1.5'],
      ['1', '0', '5', 'jazz|pop', 'rome', '2.5'],
    ];
    const roles = suggestRoles(header, rows);
    expect(roles.multiHot).toEqual(['tags', 'genres']);
    expect(roles.categorical).toEqual(['city']);
    expect(roles.dense).toEqual(['price']);
  });

  it('needs two tokens somewhere: a lone or dangling separator is not a bag', () => {
    const roles = suggestRoles(
      ['click', 'purchase', 'code'],
      [
        ['0', '0', 'A|'],
        ['0', '0', '|'],
      ],
    );
    expect(roles.multiHot).toBeUndefined();
    expect(roles.categorical).toEqual(['code']);
  });

  it('leaves multiHot out of the roles when there is none, as before', () => {
    const roles = suggestRoles(['click', 'purchase', 'city'], [['0', '0', 'paris']]);
    expect('multiHot' in roles).toBe(false);
  });

  it('splits tokens, trimming blanks and treating missing cells as empty bags', () => {
    expect(splitTokens(' a | b ||c|')).toEqual(['a', 'b', 'c']);
    expect(splitTokens('NaN')).toEqual([]);
    expect(splitTokens('')).toEqual([]);
    expect(splitTokens('solo')).toEqual(['solo']);
  });
});

describe('loadCsvDataset with multi-hot columns', () => {
  it('encodes bags by first appearance, padded to the longest bag, pooled by mean', async () => {
    const path = tempFile('click,purchase,tags,city\n1,0,b|a,x\n0,0,a,y\n1,1,c|a|b,x\n0,0,,y\n0,0,a||c,x\n');
    const { dataset, encoding, roles, findings } = await loadCsvDataset(path);
    expect(roles.multiHot).toEqual(['tags']);
    expect(encoding.multiHot).toEqual([{ name: 'tags', vocabulary: ['b', 'a', 'c'], maxLength: 3 }]);
    expect(dataset.schema.multiHot).toEqual([{ name: 'tags', vocabSize: 4, maxLength: 3, pooling: 'mean' }]);
    expect(Array.from(dataset.multiHot[0])).toEqual([1, 2, -1, 2, -1, -1, 3, 2, 1, -1, -1, -1, 2, 3, -1]);
    expect(dataset.schema.categorical).toEqual([{ name: 'city', vocabSize: 3 }]);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'info',
        code: 'missing-values',
        column: 'tags',
        count: 1,
        exampleLines: [5],
      }),
    ]);
    expect(JSON.parse(JSON.stringify(encoding))).toEqual(encoding);
  });

  it('keeps rows and bags aligned when funnel-violating rows are dropped', async () => {
    const path = tempFile('click,purchase,tags\n0,1,a|b\n1,1,c\n0,0,d|e\n');
    const { dataset } = await loadCsvDataset(path);
    expect(dataset.rows).toBe(2);
    expect(bagsOf(dataset.multiHot[0], dataset.schema.multiHot[0].maxLength)).toEqual([[1], [2, 3]]);
  });

  it(`keeps at most ${MAX_MULTI_HOT_LENGTH} tokens per cell, with a warning`, async () => {
    const long = Array.from({ length: MAX_MULTI_HOT_LENGTH + 8 }, (_, i) => `t${i}`).join('|');
    const path = tempFile(`click,purchase,tags\n0,0,a|b\n0,0,${long}\n0,0,${long}\n`);
    const { dataset, encoding, findings } = await loadCsvDataset(path);
    expect(dataset.schema.multiHot[0].maxLength).toBe(MAX_MULTI_HOT_LENGTH);
    expect(encoding.multiHot?.[0].vocabulary).toHaveLength(2 + MAX_MULTI_HOT_LENGTH);
    const bags = bagsOf(dataset.multiHot[0], MAX_MULTI_HOT_LENGTH);
    expect(bags[1]).toHaveLength(MAX_MULTI_HOT_LENGTH);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'multi-hot-truncated',
        column: 'tags',
        count: 2,
        exampleLines: [3, 4],
      }),
    ]);
    expect(findings[0].message).toContain(`only the first ${MAX_MULTI_HOT_LENGTH} were kept`);
  });

  it('folds tokens seen fewer than minCount times into id 0 and keeps them in the bag', async () => {
    const path = tempFile('click,purchase,tags\n0,0,a|rare\n0,0,a|b\n0,0,b\n');
    const { dataset, encoding } = await loadCsvDataset(path, { minCount: 2 });
    expect(encoding.multiHot?.[0].vocabulary).toEqual(['a', 'b']);
    expect(bagsOf(dataset.multiHot[0], 2)).toEqual([[1, 0], [1, 2], [2]]);
  });

  it('reuses an encoding: frozen vocabulary, unseen tokens → 0, its width, longer bags cut', async () => {
    const train = await loadCsvDataset(tempFile('click,purchase,tags\n0,0,a|b\n1,0,c\n'));
    const scored = await loadCsvDataset(tempFile('click,purchase,tags\n0,0,c|z|a\n1,0,b\n'), {
      encoding: train.encoding,
    });
    expect(scored.encoding).toEqual(train.encoding);
    expect(scored.dataset.schema.multiHot).toEqual(train.dataset.schema.multiHot);
    expect(Array.from(scored.dataset.multiHot[0])).toEqual([3, 0, 2, -1]);
    expect(scored.findings.map((f) => f.code)).toEqual(['multi-hot-truncated']);
  });

  it('refuses multi-hot roles beside a reused encoding, which fixes the feature columns', async () => {
    const train = await loadCsvDataset(tempFile('click,purchase,tags\n0,0,a|b\n'));
    await expect(
      loadCsvDataset(tempFile('click,purchase,tags\n0,0,a\n'), {
        encoding: train.encoding,
        roles: { multiHot: [] },
      }),
    ).rejects.toThrow('leave roles.categorical/multiHot/dense unset');
  });

  it('scores with an encoding saved before multi-hot support, ignoring bag columns it never had', async () => {
    const train = await loadCsvDataset(tempFile('click,purchase,city\n0,0,x\n1,1,y\n'));
    const old = JSON.parse(JSON.stringify(train.encoding)) as FeatureEncoding;
    delete old.multiHot;
    delete old.roles.multiHot;
    const { dataset } = await loadCsvDataset(tempFile('click,purchase,city,tags\n1,0,y,a|b\n'), { encoding: old });
    expect(dataset.schema.multiHot).toEqual([]);
    expect(dataset.multiHot).toEqual([]);
    expect(Array.from(dataset.categorical)).toEqual([2]);
  });

  it('rejects a column given both the multi-hot and categorical roles', async () => {
    const path = tempFile('click,purchase,tags\n0,0,a|b\n');
    const error = await loadCsvDataset(path, { roles: { categorical: ['tags'] } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toContain('column "tags" cannot be both categorical and multi-hot');
  });

  it('takes rows of loaded bags', async () => {
    const { dataset } = await loadCsvDataset(tempFile('click,purchase,tags\n0,0,a|b\n0,0,c\n0,0,b|c\n'));
    const picked = takeRows(dataset, [2, 0]);
    expect(bagsOf(picked.multiHot[0], 2)).toEqual([
      [2, 3],
      [1, 2],
    ]);
  });
});
