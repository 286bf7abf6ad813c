/** The benchmark's console table and bench/results.md. */
import type { DataMeta, WorkerResult } from './data.js';
import { median } from './data.js';

/** All measurements of one (model, runtime), over every round. */
export interface Row {
  model: string;
  runtime: string;
  embedding: string;
  results: WorkerResult[];
}

export interface Summary {
  model: string;
  runtime: string;
  embedding: string;
  device: string;
  version: string;
  parameters: number;
  steps: number;
  warmupSteps: number;
  windows: number;
  train: Figure;
  inferRows: number;
  infer: Figure;
  peakRssMiB: number;
  loss: { first: number; last: number };
  leakedTensors?: number;
  /** tfjs ÷ PyTorch medians, same model and embedding mode; undefined for PyTorch itself or without that run. */
  trainRatio?: number;
  inferRatio?: number;
}

export interface Figure {
  median: number;
  min: number;
  max: number;
  /** (max − min) / median. */
  spread: number;
}

export const TORCH_RUNTIME = 'PyTorch';

function figure(values: number[]): Figure {
  const m = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { median: m, min, max, spread: (max - min) / m };
}

export function summarize(rows: Row[]): Summary[] {
  const summaries = rows.map((row): Summary => {
    const first = row.results[0];
    return {
      model: row.model,
      runtime: row.runtime,
      embedding: row.embedding,
      device: first.device,
      version: first.version,
      parameters: first.parameters,
      steps: first.steps,
      warmupSteps: first.warmupSteps,
      windows: row.results.reduce((n, r) => n + r.trainSamplesPerSecond.length, 0),
      train: figure(row.results.flatMap((r) => r.trainSamplesPerSecond)),
      inferRows: first.inferRows,
      infer: figure(row.results.flatMap((r) => r.inferSamplesPerSecond)),
      peakRssMiB: Math.max(...row.results.map((r) => r.peakRssMiB)),
      loss: { first: median(row.results.map((r) => r.loss.first)), last: median(row.results.map((r) => r.loss.last)) },
      leakedTensors:
        first.leakedTensors === undefined ? undefined : Math.max(...row.results.map((r) => r.leakedTensors!)),
    };
  });
  for (const s of summaries) {
    if (s.runtime === TORCH_RUNTIME) continue;
    const torch = torchRow(summaries, s.model, s.embedding);
    if (!torch) continue;
    s.trainRatio = s.train.median / torch.train.median;
    s.inferRatio = s.infer.median / torch.infer.median;
  }
  return summaries;
}

/** Issue 8's targets for the portable path: wasm training ≥ 35k samples/s and ≥ 0.5× PyTorch, inference ≥ 300k. */
function targets(summaries: Summary[]): string {
  const wasm = summaries.filter((s) => s.runtime.startsWith('tfjs wasm'));
  if (!wasm.length) return '';
  const mark = (ok: boolean) => (ok ? 'met' : 'not met');
  const lines = wasm.map((s) => {
    const torch = torchRow(summaries, s.model, 'dense');
    const r = torch && s.train.median / torch.train.median;
    const trainOk = s.train.median >= 35_000 && (r === undefined || r >= 0.5);
    return (
      `| ${s.model} | ${s.runtime} | ${s.embedding} | ${int(s.train.median)} | ${ratio(r)} | ${mark(trainOk)} | ` +
      `${int(s.infer.median)} | ${mark(s.infer.median >= 300_000)} |`
    );
  });
  return [
    'Issue 8 targets, portable (wasm) path: training ≥ 35k samples/s and ≥ 0.5× PyTorch (dense reference), inference',
    '≥ 300k samples/s.',
    '',
    '| model | runtime | embedding | train samples/s | ÷ PyTorch dense | training target | infer samples/s | inference target |',
    '| --- | --- | --- | ---: | ---: | --- | ---: | --- |',
    ...lines,
  ].join('\n');
}

function torchRow(summaries: Summary[], model: string, embedding: string): Summary | undefined {
  return summaries.find((t) => t.model === model && t.runtime === TORCH_RUNTIME && t.embedding === embedding);
}

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const ratio = (x: number | undefined) => (x === undefined ? '—' : x >= 0.1 ? `${x.toFixed(2)}×` : `${x.toFixed(3)}×`);
const range = (f: Figure) => `${int(f.min)}–${int(f.max)}`;
const pct = (x: number) => `${Math.round(x * 100)}%`;

const HEADER = [
  'model',
  'runtime',
  'embedding',
  'train samples/s',
  'min–max',
  'infer samples/s',
  'min–max',
  'peak RSS MiB',
  'train ÷ PyTorch',
  'infer ÷ PyTorch',
];

function cells(s: Summary): string[] {
  return [
    s.model,
    s.runtime,
    s.embedding,
    int(s.train.median),
    range(s.train),
    int(s.infer.median),
    range(s.infer),
    int(s.peakRssMiB),
    ratio(s.trainRatio),
    ratio(s.inferRatio),
  ];
}

const NUMERIC = new Set([3, 4, 5, 6, 7, 8, 9]);

export function consoleTable(summaries: Summary[]): string {
  const rows = [HEADER, ...summaries.map(cells)];
  const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r.map((v, c) => (NUMERIC.has(c) ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export interface ReportContext {
  date: string;
  command: string;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; node: string };
  loadBefore: number[];
  loadAfter: number[];
  meta: DataMeta;
  rounds: number;
  torchNote?: string;
  /** The glibc malloc settings every worker ran with. */
  malloc: string;
  skipped: string[];
  failed: string[];
}

export function markdown(summaries: Summary[], ctx: ReportContext): string {
  const versions = [...new Set(summaries.map((s) => s.version))].join(', ');
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const table = [
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map((_, c) => (NUMERIC.has(c) ? '---:' : '---')).join(' | ')} |`,
    ...summaries.map((s) => `| ${cells(s).join(' | ')} |`),
  ].join('\n');
  const detail = [
    '| model | runtime | embedding | device | parameters | warm-up + timed steps | windows | inference rows | train spread | infer spread | loss first → last window | leaked tensors |',
    '| --- | --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |',
    ...summaries.map(
      (s) =>
        `| ${s.model} | ${s.runtime} | ${s.embedding} | ${s.device} | ${int(s.parameters)} | ${s.warmupSteps} + ${s.windows}×${s.steps} | ` +
        `${s.windows} | ${int(s.inferRows)} | ${pct(s.train.spread)} | ${pct(s.infer.spread)} | ` +
        `${s.loss.first.toFixed(3)} → ${s.loss.last.toFixed(3)} | ${s.leakedTensors ?? '—'} |`,
    ),
  ].join('\n');
  const widest = (pick: (s: Summary) => Figure) =>
    summaries.reduce<Summary | undefined>((w, s) => (!w || pick(s).spread > pick(w).spread ? s : w), undefined);
  const wt = widest((s) => s.train);
  const wi = widest((s) => s.infer);
  const spreadLine =
    wt && wi
      ? `Spread, (max − min) ÷ median over the windows: training at most ${pct(wt.train.spread)} (${wt.model}, ${wt.runtime}, ` +
        `${wt.embedding}), inference at most ${pct(wi.infer.spread)} (${wi.model}, ${wi.runtime}, ${wi.embedding}); ` +
        `per row in the last table.`
      : '';
  const m = ctx.meta;
  return `# Benchmark results

Generated by \`npm run bench\` (bench/run.ts); rerun the command below to refresh it.

- Date: ${ctx.date}
- Command: \`${ctx.command}\`
- Machine: ${ctx.machine.cpu}, ${ctx.machine.cores} cores, ${ctx.machine.memoryGiB.toFixed(1)} GiB, ${ctx.machine.os}
- Runtimes: Node ${ctx.machine.node}; ${versions}; every worker with ${ctx.malloc} (see below)
- Load average (1 / 5 / 15 min): ${load(ctx.loadBefore)} before, ${load(ctx.loadAfter)} after${
    ctx.loadBefore[0] > 0.5 ? ' — **the machine was busy when the run started; the figures are low**' : ''
  }

## Reference config (issue 8)

${m.fields} categorical fields × vocabulary ${int(m.vocabSize)} × embedding dim 8 (one fused table), towers 128-64-1 (ReLU),
batch 1024, Adam 1e-3 (ε 1e-7). The embedding column says how the table trains (dense or sparse, see below).

Synthetic data, the same ${int(m.rows)} rows for every runtime (seed ${m.seed}): ids Zipf(s = ${m.zipfExponent}) per field;
labels that respect the funnel (a ⇒ c, b ⇒ c): click rate ${pct(m.clickRate)}, action | click ${pct(m.actionGivenClick)},
purchase | click ${pct(m.purchaseGivenClick)}, ${pct(m.purchaseWithoutActionShare)} of purchases without an in-shop action.

## Results

Medians over ${ctx.rounds > 1 ? `${ctx.rounds} rounds (separate processes) × ` : ''}the timed windows of each process; ratios are tfjs ÷
PyTorch medians on the same model with the same embedding mode.

${table}

${spreadLine}

${targets(summaries)}

${detail}
${ctx.torchNote ? `\n${ctx.torchNote}\n` : ''}${ctx.skipped.length ? `\nSkipped: ${ctx.skipped.join('; ')}.\n` : ''}${
    ctx.failed.length ? `\n**Failed:** ${ctx.failed.join('; ')}.\n` : ''
  }
## How it is measured

- Every (model, runtime) runs in its own process, one after another (never two at once), so peak RSS is that
  process's \`maxRSS\` (tfjs: \`process.resourceUsage()\`, PyTorch: \`ru_maxrss\`): runtime, data and model together.
- Training: tfjs runs the engine's \`train()\` for one epoch over (warm-up + windows × steps) × 1024 rows, with a
  step event after every step; PyTorch runs the same loop in \`bench/reference/bench_torch.py\` (models from
  \`models.py\`, one thread). Both take a timestamp after each step once its loss is read back; the warm-up steps are
  dropped and each window of consecutive steps gives one samples/s figure (steady state, batch assembly included).
- Inference: one warm-up batch, then each window scores all inference rows in batches of 4096 (tfjs: \`predictRows\`,
  each batch in \`tf.tidy\`, every stage copied out; PyTorch: \`no_grad\`, every stage copied into numpy).
- The tfjs cpu backend is slow, so it gets fewer steps and inference rows than wasm and PyTorch (last table);
  wasm and PyTorch see the same steps and rows.
- Repeats are consecutive windows inside one process (after the warm-up); \`--rounds N\` adds separate processes.
- malloc: with glibc's default thresholds, every PyTorch Adam step mmaps and unmaps its 6 MiB temporaries and takes
  ~1,700 page faults, which are expensive in this VM (~17 µs each): Adam alone then takes ~30 ms instead of ~3 ms and
  PyTorch trains ~4× slower (about 16k instead of 70k samples/s). \`MALLOC_MMAP_THRESHOLD_\` / \`MALLOC_TRIM_THRESHOLD_\`
  keep those buffers on the heap; every worker, tfjs included, gets the same setting (tfjs does not change with it).
  \`--default-malloc\` measures without it.
- Embedding modes, the same algorithm on both sides of a ratio. **dense**: the whole table gets a gradient and Adam
  updates all 1.6M embedding weights every step (tfjs's plain path; PyTorch: \`models.py\` as is). **sparse**: only
  the rows a batch touched get a gradient and a lazy Adam update, untouched rows keep their moments (the engine's
  host table and \`SparseAdam\`; PyTorch: \`F.embedding(sparse=True)\` and \`torch.optim.SparseAdam\` on the table,
  Adam on the towers). tfjs runs the engine's default mode unless \`--embedding\` says otherwise.
- Issue 8 states its training target against PyTorch's plain (dense) reference; the targets table uses that.
`;
}
