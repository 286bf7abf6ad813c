import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { simulateCommand } from '../../src-main/cli/commands/simulate.js';
import { UsageError } from '../../src-main/cli/command.js';
import type { EncodedDataset } from '../../src-main/engine/data/dataset.js';
import { loadCsvDataset } from '../../src-main/engine/data/encode.js';
import {
  SIMULATOR_PRESETS,
  TRUTH_COLUMNS,
  simulateDataset,
  writeSimulation,
  type SimulatorConfig,
} from '../../src-main/engine/simulate/simulator.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STAT_ROWS = 200_000;
const FILE_ROWS = 20_000;
/** Smaller than FILE_ROWS and not a divisor of it, so files span several chunks and a short last one. */
const CHUNK_ROWS = 7_000;

const paperLike = (overrides: Partial<SimulatorConfig> = {}): SimulatorConfig => ({
  ...SIMULATOR_PRESETS['paper-like'],
  ...overrides,
});

let fileCount = 0;
const tempPath = (extension: string) => join(dir, `sim-${++fileCount}.${extension}`);

/** Index of the first element that differs (or the shorter length), -1 when equal. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return a.length === b.length ? -1 : n;
}

function expectSameDataset(actual: EncodedDataset, expected: EncodedDataset): void {
  expect(actual.rows).toBe(expected.rows);
  expect(actual.schema).toEqual(expected.schema);
  expect(firstDifference(actual.categorical, expected.categorical)).toBe(-1);
  expect(actual.multiHot).toHaveLength(expected.multiHot.length);
  actual.multiHot.forEach((bags, f) => expect(firstDifference(bags, expected.multiHot[f])).toBe(-1));
  expect(firstDifference(actual.dense, expected.dense)).toBe(-1);
  expect(firstDifference(actual.labels.click, expected.labels.click)).toBe(-1);
  expect(firstDifference(actual.labels.action!, expected.labels.action!)).toBe(-1);
  expect(firstDifference(actual.labels.purchase, expected.labels.purchase)).toBe(-1);
  expect(firstDifference(actual.userIds!, expected.userIds!)).toBe(-1);
  expect(Object.keys(actual.truth!).sort()).toEqual(Object.keys(expected.truth!).sort());
  for (const name of TRUTH_COLUMNS) expect(firstDifference(actual.truth![name], expected.truth![name])).toBe(-1);
}

/**
 * The labels of the selected rows against their true probabilities: the count of ones is a sum of independent
 * Bernoullis, so it lies within 4 standard errors (√Σp(1−p)) of Σp unless the sampler is wrong.
 */
function expectRateMatchesTruth(labels: Float32Array, truth: Float32Array, selected: (row: number) => boolean) {
  let ones = 0;
  let expected = 0;
  let variance = 0;
  let rows = 0;
  for (let row = 0; row < labels.length; row++) {
    if (!selected(row)) continue;
    rows++;
    ones += labels[row];
    expected += truth[row];
    variance += truth[row] * (1 - truth[row]);
  }
  const standardError = Math.sqrt(variance);
  expect(Math.abs(ones - expected), `${ones} ones, ${expected.toFixed(1)} expected over ${rows} rows`).toBeLessThan(
    4 * standardError,
  );
  return { rows, ones };
}

function meanOver(values: Float32Array, selected: (row: number) => boolean = () => true): number {
  let sum = 0;
  let count = 0;
  for (let row = 0; row < values.length; row++) {
    if (!selected(row)) continue;
    sum += values[row];
    count++;
  }
  return sum / count;
}

describe('simulateDataset', () => {
  const { dataset, stats } = simulateDataset(paperLike({ rows: STAT_ROWS }));
  const { click, action, purchase } = dataset.labels as Required<EncodedDataset['labels']>;
  const truth = dataset.truth!;

  it('samples labels down the path: no action or purchase without a click', () => {
    for (let row = 0; row < dataset.rows; row++) {
      if (action[row] > click[row] || purchase[row] > click[row]) throw new Error(`row ${row} breaks the funnel`);
    }
    const ones = (labels: Float32Array) => labels.reduce((sum, label) => sum + label, 0);
    expect(stats.rows).toBe(STAT_ROWS);
    expect([stats.clicks, stats.actions, stats.purchases]).toEqual([ones(click), ones(action), ones(purchase)]);
    expect(stats.purchasesWithoutAction).toBe(ones(purchase.map((bought, row) => bought * (1 - action[row]))));
  });

  it('draws each label at its true probability, stage by stage (within 4 standard errors)', () => {
    const all = expectRateMatchesTruth(click, truth.true_ctr, () => true);
    const clicked = expectRateMatchesTruth(action, truth.true_avr, (r) => click[r] === 1);
    const withAction = expectRateMatchesTruth(
      purchase,
      truth.true_buy_given_action,
      (r) => click[r] === 1 && action[r] === 1,
    );
    const withoutAction = expectRateMatchesTruth(
      purchase,
      truth.true_buy_given_no_action,
      (r) => click[r] === 1 && action[r] === 0,
    );
    // Enough events at every stage that a wrong probability would show.
    expect([all.ones, clicked.ones, withAction.ones, withoutAction.ones].every((n) => n > 1000)).toBe(true);
  });

  it('keeps the truth identities: ctcvr = chained + gap, cvr = avr·p + (1−avr)·q, ctavr = ctr·avr', () => {
    // Each value is rounded to 7 significant digits (and stored as float32), so identities hold to ~1e-6.
    const close = (a: number, b: number) => Math.abs(a - b) <= 2e-6 * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;
    for (let row = 0; row < dataset.rows; row++) {
      const ctr = truth.true_ctr[row];
      const avr = truth.true_avr[row];
      const p = truth.true_buy_given_action[row];
      const q = truth.true_buy_given_no_action[row];
      const cvr = avr * p + (1 - avr) * q;
      const ok =
        close(truth.true_ctcvr[row], truth.true_chained_ctcvr[row] + truth.true_psc_gap[row]) &&
        close(truth.true_cvr[row], cvr) &&
        close(truth.true_ctcvr[row], ctr * cvr) &&
        close(truth.true_ctavr[row], ctr * avr) &&
        close(truth.true_chained_ctcvr[row], ctr * avr * p) &&
        close(truth.true_psc_gap[row], ctr * (1 - avr) * q) &&
        [ctr, avr, p, q].every((x) => x >= 0 && x <= 1);
      if (!ok) throw new Error(`row ${row}: truth identities broken`);
    }
  });

  it('gives the PSC share asked for: exactly 0 for no-psc, ±0.02 for 0.4 (paper-like) and 0.78 (taobao-like)', () => {
    const none = simulateDataset({ ...SIMULATOR_PRESETS['no-psc'], rows: STAT_ROWS });
    expect(none.stats.purchasesWithoutAction).toBe(0);
    expect([none.stats.pscShare, none.stats.expectedPscShare]).toEqual([0, 0]);
    expect(none.dataset.truth!.true_buy_given_no_action.every((q) => q === 0)).toBe(true);
    expect(none.dataset.truth!.true_psc_gap.every((gap) => gap === 0)).toBe(true);

    const taobao = simulateDataset({ ...SIMULATOR_PRESETS['taobao-like'], rows: STAT_ROWS });
    for (const [result, target] of [
      [{ stats }, 0.4],
      [taobao, 0.78],
    ] as const) {
      expect(result.stats.expectedPscShare).toBeCloseTo(target, 6);
      expect(Math.abs(result.stats.pscShare - target)).toBeLessThan(0.02);
      expect(result.stats.pscShare).toBe(result.stats.purchasesWithoutAction / result.stats.purchases);
    }
  });

  it('shows sample selection bias in the direction of the click–purchase correlation', () => {
    const clickedBias = (correlation: number) => {
      const simulated = simulateDataset(paperLike({ rows: 50_000, clickPurchaseCorrelation: correlation }));
      const cvr = simulated.dataset.truth!.true_cvr;
      const clicks = simulated.dataset.labels.click;
      return meanOver(cvr, (r) => clicks[r] === 1) / meanOver(cvr) - 1;
    };
    const [negative, none, positive] = [-0.5, 0, 0.5].map(clickedBias);
    expect(positive).toBeGreaterThan(0.1);
    expect(negative).toBeLessThan(-0.1);
    expect(Math.abs(none)).toBeLessThan(0.1);
    expect(clickedBias(0.8)).toBeGreaterThan(positive);
  });

  it("correlates the action and purchase-after-action effects as asked (κ, ESMC's premise)", () => {
    const logit = (p: number) => Math.log(p / (1 - p));
    const effectCorrelation = (kappa: number) => {
      const { truth } = simulateDataset(paperLike({ rows: 20_000, actionPurchaseCorrelation: kappa })).dataset;
      const a = Array.from(truth!.true_avr, logit);
      const b = Array.from(truth!.true_buy_given_action, logit);
      const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
      const [ma, mb] = [mean(a), mean(b)];
      const cov = mean(a.map((v, i) => (v - ma) * (b[i] - mb)));
      return cov / Math.sqrt(mean(a.map((v) => (v - ma) ** 2)) * mean(b.map((v) => (v - mb) ** 2)));
    };
    const [none, strong] = [effectCorrelation(0), effectCorrelation(0.8)];
    // Only a few values per field: the drawn correlation of independent effects is not exactly 0.
    expect(Math.abs(none)).toBeLessThan(0.25);
    expect(strong).toBeGreaterThan(none + 0.4);
    expect(() => simulateDataset(paperLike({ actionPurchaseCorrelation: -1.5 }))).toThrow(RangeError);
  });

  it('is deterministic by seed, and the first rows do not depend on how many follow', () => {
    const small = (seed: number, rows = 3000) => simulateDataset(paperLike({ rows, seed })).dataset;
    expectSameDataset(small(7), small(7));
    const other = small(8);
    expect(firstDifference(other.categorical, small(7).categorical)).not.toBe(-1);
    expect(firstDifference(dataset.truth!.true_ctr.subarray(0, 3000), small(1).truth!.true_ctr)).toBe(-1);
  });

  it('describes its own encoding: ids 1..V with 0 for unseen values, bags padded with -1', () => {
    const { dataset: small, encoding } = simulateDataset(paperLike({ rows: 2000, users: 50, items: 100 }));
    expect(small.schema.categorical.map((f) => f.name)).toEqual([
      'user_id',
      'item_id',
      'category_id',
      'position',
      'hour',
      'device',
    ]);
    expect(encoding.categorical.map((f) => f.vocabulary.length + 1)).toEqual(
      small.schema.categorical.map((f) => f.vocabSize),
    );
    expect(encoding.categorical[0].vocabulary.slice(0, 3)).toEqual(['1', '2', '3']);
    expect(Math.min(...small.categorical)).toBeGreaterThanOrEqual(1);
    small.schema.categorical.forEach(({ vocabSize }, f) => {
      for (let row = 0; row < small.rows; row++)
        expect(small.categorical[row * small.schema.categorical.length + f]).toBeLessThan(vocabSize);
    });
    expect(small.schema.multiHot).toEqual([{ name: 'user_tags', vocabSize: 201, maxLength: 6, pooling: 'mean' }]);
    expect(encoding.multiHot).toEqual([{ name: 'user_tags', vocabulary: expect.any(Array), maxLength: 6 }]);
    for (let row = 0; row < small.rows; row++) {
      const bag = Array.from(small.multiHot[0].subarray(row * 6, row * 6 + 6));
      const present = bag.filter((id) => id >= 0);
      expect(present.length).toBeGreaterThan(0);
      expect(bag.slice(present.length).every((id) => id === -1)).toBe(true);
    }
    expect(encoding.roles).toMatchObject({ user: 'user_id', multiHot: ['user_tags'], truth: [...TRUTH_COLUMNS] });
    expect(new Set(small.userIds).size).toBe(new Set(small.categorical.filter((_, i) => i % 6 === 0)).size);
  });

  it('refuses knobs out of range, and a PSC share the base rates cannot reach', () => {
    expect(() => simulateDataset(paperLike({ rows: 0 }))).toThrow(RangeError);
    expect(() => simulateDataset(paperLike({ pscShare: 0.96 }))).toThrow('pscShare must be in [0, 0.95]');
    expect(() => simulateDataset(paperLike({ clickPurchaseCorrelation: 1.5 }))).toThrow(RangeError);
    expect(() => simulateDataset(paperLike({ contextFields: [{ name: 'click', cardinality: 3 }] }))).toThrow(
      'is taken',
    );
    expect(() =>
      simulateDataset(paperLike({ multiHotFields: [{ name: 'tags', cardinality: 3, maxLength: 4 }] })),
    ).toThrow('maxLength');
    expect(() =>
      simulateDataset(paperLike({ rows: 10, baseRates: { ctr: 0.1, avr: 0.9, buyGivenAction: 0.9 }, pscShare: 0.5 })),
    ).toThrow('out of reach');
  });
});

describe('writeSimulation', () => {
  const config = paperLike({ rows: FILE_ROWS });
  const expected = simulateDataset(config);

  it('writes a CSV that the loader, given the simulator encoding, turns into the same dataset', async () => {
    const path = tempPath('csv');
    const stats = await writeSimulation(config, path, { format: 'csv', chunkRows: CHUNK_ROWS });
    expect(stats).toEqual(expected.stats);
    const loaded = await loadCsvDataset(path, { encoding: expected.encoding });
    expect(loaded.findings).toEqual([]);
    expectSameDataset(loaded.dataset, expected.dataset);
  });

  it('writes a CSV whose roles the loader suggests by itself, bags included', async () => {
    const path = tempPath('csv');
    await writeSimulation(config, path, { format: 'csv' });
    const { roles, dataset, encoding } = await loadCsvDataset(path);
    // The loader recognises the simulator's layout (user and item keys); the user key is a feature by default,
    // so the loader's encoding has the simulator's own categorical fields, user_id first.
    expect({ ...roles, categorical: ['user_id', ...roles.categorical] }).toEqual({
      ...expected.encoding.roles,
      item: 'item_id',
    });
    expect(encoding.categorical.map((f) => f.name)).toEqual(expected.encoding.categorical.map((f) => f.name));
    expect(encoding.multiHot?.[0].maxLength).toBe(6);
    expect(firstDifference(dataset.labels.purchase, expected.dataset.labels.purchase)).toBe(-1);
    expect(firstDifference(dataset.truth!.true_psc_gap, expected.dataset.truth!.true_psc_gap)).toBe(-1);
  });

  it('gives byte-identical files for the same seed and different ones for another seed', async () => {
    for (const format of ['csv', 'parquet'] as const) {
      const [first, second, reseeded] = [tempPath(format), tempPath(format), tempPath(format)];
      await writeSimulation(config, first, { format, chunkRows: CHUNK_ROWS });
      await writeSimulation(config, second, { format, chunkRows: CHUNK_ROWS });
      await writeSimulation({ ...config, seed: config.seed + 1 }, reseeded, { format, chunkRows: CHUNK_ROWS });
      const bytes = readFileSync(first);
      expect(bytes.length).toBeGreaterThan(0);
      expect(bytes.equals(readFileSync(second))).toBe(true);
      expect(bytes.equals(readFileSync(reseeded))).toBe(false);
    }
  });

  it('writes Parquet with one row group per chunk, holding the same columns and values as the CSV', async () => {
    const csvPath = tempPath('csv');
    const parquetPath = tempPath('parquet');
    await writeSimulation(config, csvPath, { format: 'csv', chunkRows: CHUNK_ROWS });
    const progress: number[] = [];
    const stats = await writeSimulation(config, parquetPath, {
      format: 'parquet',
      chunkRows: CHUNK_ROWS,
      onProgress: (rows) => progress.push(rows),
    });
    expect(progress).toEqual([7000, 14000, 20000]);

    const file = await asyncBufferFromFile(parquetPath);
    const metadata = await parquetMetadataAsync(file);
    expect(metadata.row_groups.map((group) => Number(group.num_rows))).toEqual([7000, 7000, 6000]);
    const saved = Object.fromEntries((metadata.key_value_metadata ?? []).map(({ key, value }) => [key, value]));
    expect(JSON.parse(saved['esmc-lab.simulator.stats'] ?? 'null')).toEqual(stats);
    expect(JSON.parse(saved['esmc-lab.simulator.config'] ?? 'null')).toEqual(config);

    const [headerLine, ...lines] = readFileSync(csvPath, 'utf8').trimEnd().split('\n');
    const header = headerLine.split(',');
    const rows = await parquetReadObjects({ file });
    expect(rows).toHaveLength(FILE_ROWS);
    expect(Object.keys(rows[0])).toEqual(header);
    lines.forEach((line, r) => {
      const cells = line.split(',');
      header.forEach((name, c) => {
        const value = rows[r][name];
        const want = name === 'user_tags' ? cells[c].split('|').map(Number) : Number(cells[c]);
        if (JSON.stringify(value) !== JSON.stringify(want))
          throw new Error(`row ${r} column ${name}: parquet ${JSON.stringify(value)}, csv ${cells[c]}`);
      });
    });
  });

  it('leaves no file behind when aborted midway or before it starts', async () => {
    for (const format of ['csv', 'parquet'] as const) {
      const path = tempPath(format);
      const controller = new AbortController();
      const writing = writeSimulation(config, path, {
        format,
        chunkRows: CHUNK_ROWS,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      await expect(writing).rejects.toMatchObject({ name: 'AbortError' });
      expect(existsSync(path)).toBe(false);
      await expect(writeSimulation(config, path, { format, signal: AbortSignal.abort() })).rejects.toThrow();
      expect(existsSync(path)).toBe(false);
    }
    expect(readdirSync(dir).filter((name) => name.includes('.partial-'))).toEqual([]);
  });

  it('fails without touching the disk on a bad config, and cleans up after a failing write', async () => {
    const path = tempPath('csv');
    await expect(writeSimulation(paperLike({ pscShare: 2 }), path, { format: 'csv' })).rejects.toThrow(RangeError);
    await expect(writeSimulation(config, join(dir, 'missing-dir', 'x.csv'), { format: 'csv' })).rejects.toThrow();
    const failing = writeSimulation(config, path, {
      format: 'csv',
      chunkRows: CHUNK_ROWS,
      onProgress: () => {
        throw new Error('disk full');
      },
    });
    await expect(failing).rejects.toThrow('disk full');
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.includes('.partial-'))).toEqual([]);
  });
});

describe('esmc-lab simulate', () => {
  afterEach(() => vi.restoreAllMocks());

  function captureStdout(): () => string {
    let output = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    return () => output;
  }

  it('writes Parquet when the extension says so and prints the stats as JSON', async () => {
    const out = tempPath('parquet');
    const stdout = captureStdout();
    const code = await simulateCommand.run({ preset: 'taobao-like', rows: '3000', seed: '5', out, json: true });
    expect(code).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('PAR1');
    const report = JSON.parse(stdout());
    expect(report).toMatchObject({ out, format: 'parquet', preset: 'taobao-like' });
    expect(report.config).toMatchObject({ rows: 3000, seed: 5, pscShare: 0.78 });
    expect(report.stats).toEqual(simulateDataset({ ...SIMULATOR_PRESETS['taobao-like'], rows: 3000, seed: 5 }).stats);
  });

  it('applies --psc-share, --users, --items and --format, and prints a table', async () => {
    const out = tempPath('data');
    const stdout = captureStdout();
    const values = { rows: '2000', 'psc-share': '0', users: '30', items: '40', format: 'csv', out, json: false };
    expect(await simulateCommand.run(values)).toBe(0);
    expect(stdout()).toContain('PSC share (achieved)');
    const { dataset, encoding } = await loadCsvDataset(out);
    expect(dataset.rows).toBe(2000);
    expect(dataset.truth!.true_psc_gap.every((gap) => gap === 0)).toBe(true);
    // The user key is also a feature, first; then the simulator's item id.
    expect(encoding.categorical.slice(0, 2).map((f) => f.name)).toEqual(['user_id', 'item_id']);
    expect(encoding.categorical[0].vocabulary).toHaveLength(30);
    expect(Math.max(...encoding.categorical[1].vocabulary.map(Number))).toBe(40);
    expect(new Set(dataset.userIds).size).toBe(30);
  });

  it('reports bad options as usage errors', async () => {
    const out = tempPath('csv');
    await expect(simulateCommand.run({ rows: '10' })).rejects.toThrow(UsageError);
    await expect(simulateCommand.run({ out, preset: 'ali' })).rejects.toThrow(UsageError);
    await expect(simulateCommand.run({ out, 'psc-share': '0.99' })).rejects.toThrow('--psc-share must be in');
    await expect(simulateCommand.run({ out, rows: '0' })).rejects.toThrow('--rows must be ≥ 1');
    await expect(simulateCommand.run({ out, format: 'xlsx' })).rejects.toThrow(UsageError);
    await expect(simulateCommand.run({ out, rows: '10', 'psc-share': '0.95' })).rejects.toThrow('out of reach');
    expect(existsSync(out)).toBe(false);
  });
});
