/**
 * The ground-truth funnel simulator: rows whose true P(click), P(action|click), P(buy|click, action) and
 * P(buy|click, no action) are known, so the app can show where the chain rule
 * P(c,b) = P(c)·P(a|c)·P(b|a,c) misses P(c)·P(¬a|c)·P(b|¬a,c), the Probability Space Confusion (PSC).
 * `simulateDataset` builds the engine's dataset in memory; `writeSimulation` streams any number of rows to a
 * CSV or Parquet file with flat memory. Both sample the same rows for the same config.
 */
import { writeAtomically } from '../files.js';
import type { EncodedDataset } from '../data/dataset.js';
import type { FeatureEncoding } from '../data/encode.js';
import { validateConfig, type SimulatorConfig } from './config.js';
import {
  FunnelSimulation,
  LABEL_COLUMNS,
  RowBlock,
  TRUTH_COLUMNS,
  USER_COLUMN,
  type SimulationLayout,
  type TruthColumn,
} from './world.js';
import { CsvSink, ParquetSink, type BlockSink } from './writers.js';

export {
  MAX_PSC_SHARE,
  SIMULATOR_PRESETS,
  validateConfig,
  type SimulatorConfig,
  type SimulatorPreset,
} from './config.js';
export { TRUTH_COLUMNS, type TruthColumn } from './world.js';

export interface SimulationStats {
  rows: number;
  clicks: number;
  actions: number;
  purchases: number;
  purchasesWithoutAction: number;
  /** Achieved: purchasesWithoutAction / purchases (0 without purchases). */
  pscShare: number;
  /** What the calibration aimed at, over its pilot sample: E[ctr·(1−avr)·q] / E[ctr·cvr]. */
  expectedPscShare: number;
}

export interface SimulatedDataset {
  dataset: EncodedDataset;
  /** What `loadCsvDataset` needs to encode the written CSV into this very dataset. */
  encoding: FeatureEncoding;
  stats: SimulationStats;
}

export type SimulationFormat = 'csv' | 'parquet';

export interface WriteSimulationOptions {
  format: SimulationFormat;
  onProgress?: (rowsWritten: number) => void;
  signal?: AbortSignal;
  /** Rows sampled and written at a time (one Parquet row group each); default SIMULATION_CHUNK_ROWS. */
  chunkRows?: number;
}

export const SIMULATION_CHUNK_ROWS = 65_536;

function statsOf(simulation: FunnelSimulation): SimulationStats {
  const { tally, expectedPscShare } = simulation;
  const pscShare = tally.purchases > 0 ? tally.purchasesWithoutAction / tally.purchases : 0;
  return { ...tally, pscShare, expectedPscShare };
}

/** Ids 1..V are the values themselves, so vocabulary[i] = String(i + 1). */
function idVocabulary(values: number): string[] {
  return Array.from({ length: values }, (_, i) => String(i + 1));
}

/**
 * The encoding of the CSV form. Roles are what the loader suggests for it, plus `user_id` as a categorical
 * feature; dense features are standard normal by construction, so their mean and std are the population's.
 */
export function simulationEncoding(layout: SimulationLayout): FeatureEncoding {
  const [click, action, purchase] = LABEL_COLUMNS;
  return {
    version: 1,
    roles: {
      click,
      action: [action],
      purchase,
      user: USER_COLUMN,
      categorical: layout.categorical.map(({ name }) => name),
      multiHot: layout.multiHot.map(({ name }) => name),
      dense: [...layout.dense],
      truth: [...TRUTH_COLUMNS],
      ignore: [],
    },
    categorical: layout.categorical.map(({ name, values }) => ({ name, vocabulary: idVocabulary(values) })),
    multiHot: layout.multiHot.map(({ name, values, maxLength }) => ({
      name,
      vocabulary: idVocabulary(values),
      maxLength,
    })),
    dense: layout.dense.map((name) => ({ name, mean: 0, std: 1 })),
  };
}

/** Samples `config.rows` rows into the engine's dataset, with every truth column in `dataset.truth`. */
export function simulateDataset(config: SimulatorConfig): SimulatedDataset {
  validateConfig(config);
  const simulation = new FunnelSimulation(config);
  const { layout } = simulation;
  const rows = config.rows;
  const fields = layout.categorical.length;
  const denseCount = layout.dense.length;
  const categorical = new Int32Array(rows * fields);
  const multiHot = layout.multiHot.map(({ maxLength }) => new Int32Array(rows * maxLength));
  const dense = new Float32Array(rows * denseCount);
  const labels = { click: new Float32Array(rows), action: new Float32Array(rows), purchase: new Float32Array(rows) };
  const truth = Object.fromEntries(TRUTH_COLUMNS.map((name) => [name, new Float32Array(rows)])) as Record<
    TruthColumn,
    Float32Array
  >;
  const userIds = new Int32Array(rows);
  // Numbered by first appearance as the CSV loader does, so user splits match between the two forms.
  const userKeys = new Int32Array(config.users + 1).fill(-1);
  let nextUserKey = 0;

  const block = new RowBlock(layout, Math.min(SIMULATION_CHUNK_ROWS, rows));
  for (let start = 0; start < rows; start += block.count) {
    simulation.next(block, Math.min(block.capacity, rows - start));
    const n = block.count;
    categorical.set(block.categorical.subarray(0, n * fields), start * fields);
    layout.multiHot.forEach(({ maxLength }, f) =>
      multiHot[f].set(block.bags[f].subarray(0, n * maxLength), start * maxLength),
    );
    dense.set(block.dense.subarray(0, n * denseCount), start * denseCount);
    for (const name of LABEL_COLUMNS) labels[name].set(block[name].subarray(0, n), start);
    TRUTH_COLUMNS.forEach((name, t) => truth[name].set(block.truth[t].subarray(0, n), start));
    for (let row = 0; row < n; row++) {
      const user = block.categorical[row * fields];
      if (userKeys[user] < 0) userKeys[user] = nextUserKey++;
      userIds[start + row] = userKeys[user];
    }
  }

  const dataset: EncodedDataset = {
    schema: {
      categorical: layout.categorical.map(({ name, values }) => ({ name, vocabSize: values + 1 })),
      multiHot: layout.multiHot.map(({ name, values, maxLength }) => ({
        name,
        vocabSize: values + 1,
        maxLength,
        pooling: 'mean',
      })),
      dense: layout.dense.map((name) => ({ name })),
    },
    rows,
    categorical,
    multiHot,
    dense,
    labels,
    userIds,
    truth,
  };
  return { dataset, encoding: simulationEncoding(layout), stats: statsOf(simulation) };
}

/**
 * Streams `config.rows` rows to `path` chunk by chunk, never holding more than one chunk. The file is written
 * beside the target and renamed into place at the end; on an error or abort it is removed, so `path` only
 * ever holds a complete file.
 */
export async function writeSimulation(
  config: SimulatorConfig,
  path: string,
  options: WriteSimulationOptions,
): Promise<SimulationStats> {
  validateConfig(config);
  const chunkRows = options.chunkRows ?? SIMULATION_CHUNK_ROWS;
  if (options.format !== 'csv' && options.format !== 'parquet')
    throw new RangeError(`format must be csv or parquet, got ${String(options.format)}`);
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1)
    throw new RangeError(`chunkRows must be a whole number ≥ 1, got ${chunkRows}`);
  options.signal?.throwIfAborted();
  // Calibration can fail (a share out of reach): find out before creating any file.
  const simulation = new FunnelSimulation(config);
  const { layout } = simulation;
  return writeAtomically(path, async (handle) => {
    const sink: BlockSink =
      options.format === 'parquet' ? new ParquetSink(handle, layout) : new CsvSink(handle, layout);
    const block = new RowBlock(layout, Math.min(chunkRows, config.rows));
    let written = 0;
    while (written < config.rows) {
      options.signal?.throwIfAborted();
      simulation.next(block, Math.min(block.capacity, config.rows - written));
      await sink.write(block);
      written += block.count;
      options.onProgress?.(written);
    }
    options.signal?.throwIfAborted();
    const stats = statsOf(simulation);
    await sink.finish({ 'esmc-lab.simulator.config': config, 'esmc-lab.simulator.stats': stats });
    return stats;
  });
}
