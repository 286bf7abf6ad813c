import { extname } from 'node:path';
import {
  MAX_PSC_SHARE,
  SIMULATOR_PRESETS,
  writeSimulation,
  type SimulationFormat,
  type SimulationStats,
  type SimulatorConfig,
  type SimulatorPreset,
} from '../../engine/simulate/simulator.js';
import { integer, number, oneOf, print, required, UsageError, type Command, type Values } from '../command.js';
import { table } from '../format.js';

const PRESETS = Object.keys(SIMULATOR_PRESETS) as SimulatorPreset[];
const DEFAULT_PRESET: SimulatorPreset = 'paper-like';

/** The knobs of the simulated world that `simulate` and `experiment psc-sweep` both take. */
export const worldOptions = {
  'click-purchase-correlation': { type: 'string' },
  'action-purchase-correlation': { type: 'string' },
  'effect-strength': { type: 'string' },
} as const;

// `satisfies` keeps run's own one-argument signature, so tests can call it directly.
export const simulateCommand = {
  summary: 'write simulated exposures with known true probabilities (CSV or Parquet) to study PSC',
  usage: 'esmc-lab simulate --out FILE [--preset NAME] [--rows N] [--psc-share X] [options]',
  options: {
    preset: { type: 'string' },
    rows: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    'psc-share': { type: 'string' },
    ...worldOptions,
    seed: { type: 'string' },
    users: { type: 'string' },
    items: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  help: `Each row is one exposure with user_id, item_id, category_id, context fields, a multi-hot user_tags bag
(values joined by |), dense d0…, the labels click, action, purchase, and beside them the true probabilities
true_ctr, true_avr, true_cvr, true_buy_given_action, true_buy_given_no_action, true_ctavr, true_ctcvr,
true_chained_ctcvr (what the pure chain rule gives) and true_psc_gap (what it misses).

Options:
  --out FILE         where to write; the file appears only once it is complete
  --preset NAME      ${PRESETS.join(', ')} (default ${DEFAULT_PRESET}); PSC share ${PRESETS.map((p) => `${p} ${SIMULATOR_PRESETS[p].pscShare}`).join(', ')}
  --rows N           default ${SIMULATOR_PRESETS[DEFAULT_PRESET].rows}; any number, written in chunks with flat memory
  --format F         csv or parquet; default from the extension (.parquet/.pq → parquet, otherwise csv)
  --psc-share X      share of click→purchase without an in-shop action, in [0, ${MAX_PSC_SHARE}]; default the preset's
${worldHelp(SIMULATOR_PRESETS[DEFAULT_PRESET])}
  --seed N           default ${SIMULATOR_PRESETS[DEFAULT_PRESET].seed}; the same seed and options give a byte-identical file
  --users N          default ${SIMULATOR_PRESETS[DEFAULT_PRESET].users}
  --items N          default ${SIMULATOR_PRESETS[DEFAULT_PRESET].items}
  --json             print the stats as JSON (progress still goes to stderr)`,
  run: runSimulate,
} satisfies Command;

async function runSimulate(values: Values): Promise<number> {
  const out = required(values, 'out');
  const preset = oneOf(values, 'preset', PRESETS, DEFAULT_PRESET);
  const format = oneOf<SimulationFormat>(values, 'format', ['csv', 'parquet'], formatOf(out));
  const config = configFrom(values, SIMULATOR_PRESETS[preset]);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  const progress = progressPrinter(config.rows);
  try {
    const stats = await writeSimulation(config, out, { format, onProgress: progress, signal: controller.signal });
    if (values.json) print(JSON.stringify({ out, format, preset, config, stats }, null, 2));
    else print(statsTable(out, format, preset, stats));
    return 0;
  } catch (error) {
    if (controller.signal.aborted) {
      process.stderr.write(`\ninterrupted; nothing was written to ${out}\n`);
      return 130;
    }
    // A share the preset's base rates cannot reach is a problem with the options, not the machine.
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

function formatOf(path: string): SimulationFormat {
  return ['.parquet', '.pq'].includes(extname(path).toLowerCase()) ? 'parquet' : 'csv';
}

function configFrom(values: Values, preset: SimulatorConfig): SimulatorConfig {
  const atLeastOne = (name: string, fallback: number) => {
    const value = integer(values, name, fallback);
    if (value < 1) throw new UsageError(`--${name} must be ≥ 1; got ${value}`);
    return value;
  };
  const seed = integer(values, 'seed', preset.seed);
  if (seed < 0 || seed > 0xffffffff) throw new UsageError(`--seed must be in [0, 4294967295]; got ${seed}`);
  const pscShare = number(values, 'psc-share', preset.pscShare);
  if (pscShare < 0 || pscShare > MAX_PSC_SHARE)
    throw new UsageError(`--psc-share must be in [0, ${MAX_PSC_SHARE}]; got ${pscShare}`);
  return {
    ...preset,
    rows: atLeastOne('rows', preset.rows),
    users: atLeastOne('users', preset.users),
    items: atLeastOne('items', preset.items),
    seed,
    pscShare,
    ...worldKnobs(values, preset),
  };
}

export function worldHelp(preset: SimulatorConfig): string {
  return `  --click-purchase-correlation R
                     correlation of the click's and the purchase's feature effects (the selection bias that
                     entire-space models correct), in [-1, 1]; default the preset's (${preset.clickPurchaseCorrelation})
  --action-purchase-correlation K
                     correlation of the in-shop action's and the purchase's feature effects, in [-1, 1];
                     default the preset's (${preset.actionPurchaseCorrelation})
  --effect-strength S
                     std of every feature value's effect on each logit, in [0, 10]; default the preset's (${preset.effectStrength})`;
}

/** The world knobs given on the command line, over `preset`'s. */
export function worldKnobs(values: Values, preset: SimulatorConfig): Partial<SimulatorConfig> {
  const effectStrength = number(values, 'effect-strength', preset.effectStrength);
  if (!(effectStrength >= 0 && effectStrength <= 10))
    throw new UsageError(`--effect-strength must be in [0, 10]; got ${effectStrength}`);
  return {
    clickPurchaseCorrelation: correlation(values, 'click-purchase-correlation', preset.clickPurchaseCorrelation),
    actionPurchaseCorrelation: correlation(
      values,
      'action-purchase-correlation',
      preset.actionPurchaseCorrelation ?? 0,
    ),
    effectStrength,
  };
}

export function correlation(values: Values, name: string, fallback: number): number {
  const value = number(values, name, fallback);
  if (value < -1 || value > 1) throw new UsageError(`--${name} must be in [-1, 1]; got ${value}`);
  return value;
}

/** A live counter on a terminal; a line per tenth otherwise, so logs stay short. */
function progressPrinter(total: number): (rowsWritten: number) => void {
  const interactive = process.stderr.isTTY;
  let nextTenth = 1;
  return (rowsWritten) => {
    const percent = ((100 * rowsWritten) / total).toFixed(0);
    if (interactive) {
      process.stderr.write(`\rwrote ${rowsWritten} of ${total} rows (${percent}%)`);
      if (rowsWritten === total) process.stderr.write('\n');
    } else if (rowsWritten >= (nextTenth * total) / 10) {
      process.stderr.write(`wrote ${rowsWritten} of ${total} rows (${percent}%)\n`);
      nextTenth = Math.floor((10 * rowsWritten) / total) + 1;
    }
  };
}

function statsTable(out: string, format: SimulationFormat, preset: SimulatorPreset, stats: SimulationStats): string {
  const rows: [string, number][] = [
    ['rows', stats.rows],
    ['clicks', stats.clicks],
    ['in-shop actions', stats.actions],
    ['purchases', stats.purchases],
    ['purchases without an action', stats.purchasesWithoutAction],
    ['PSC share (achieved)', stats.pscShare],
    ['PSC share (expected)', stats.expectedPscShare],
  ];
  return `${table(['stat', 'value'], rows)}\n${format} written to ${out} (preset ${preset})`;
}
