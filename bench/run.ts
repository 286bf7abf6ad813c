/**
 * `npm run bench`: training and inference throughput and peak RSS of the reference config of issue 8, for esmm,
 * esm2 and esmc, on every tfjs backend that starts here, side by side with the PyTorch reference
 * (bench/reference/bench_torch.py, Debian's python3-torch, one thread) with a dense and a sparse embedding.
 * Prints a table and writes bench/results.md. `npm run bench -- --help` lists the options.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BACKEND_NAMES, isBackendName, type BackendName } from '../src-main/engine/backends/index.js';
import { DEFAULT_MODEL_CONFIG, isModelName } from '../src-main/engine/models/index.js';
import {
  generateData,
  IMPORT_TAG,
  median,
  REFERENCE,
  RESULT_TAG,
  UNAVAILABLE_TAG,
  writeData,
  type WorkerResult,
} from './data.js';
import { consoleTable, markdown, summarize, TORCH_RUNTIME, type Row } from './report.js';

/**
 * glibc tuning given to every worker, tfjs and PyTorch alike. With the defaults, each PyTorch Adam step mmaps and
 * unmaps its 6 MiB temporaries (the dense embedding update) and takes ~1,700 page faults, which cost ~17 µs each
 * in this VM: Adam alone then takes ~30 ms instead of ~3 ms and PyTorch trains ~4× slower. tfjs is unaffected
 * (wasm memory only grows). Keeping such buffers on the heap is ordinary deployment tuning, so the comparison
 * uses it; --default-malloc shows the other figure.
 */
export const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '268435456' };

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');

const ENGINE_EMBEDDING = DEFAULT_MODEL_CONFIG.embedding ?? 'dense';
const EMBEDDINGS = ['sparse', 'dense'];

const USAGE = `npm run bench -- [options]

  --models a,b,…          models to run (default esmm,esm2,esmc)
  --batch-size N          training batch (default ${REFERENCE.batchSize}, the reference; a GPU wants 4096–16384)
  --backends a,b,…        tfjs backends (default ${BACKEND_NAMES.join(',')}; those that cannot start are skipped)
  --threads a,b           threads per wasm model: 1, and 2 = a replica of the model on the second core taking
                          half of every batch and of the rows to predict (default 1,2; other backends: 1)
  --embedding a,b         tfjs embedding modes: sparse, dense (default: the engine's default, ${ENGINE_EMBEDDING})
  --torch-embedding a,b   PyTorch embedding modes (default dense,sparse); ratios compare the same mode
  --steps N               timed steps per window, wasm/native and PyTorch (default 30)
  --warmup N              untimed steps first (default 5)
  --repeats N             timed windows per process; the figures are their medians (default 3)
  --rounds N              run every (model, runtime) process N times, interleaved (default 1)
  --infer-batches N       inference rows = N × 4096 (default 16)
  --cpu-steps N           timed steps per window on the slow tfjs cpu backend (default 3)
  --cpu-infer-batches N   inference batches on the cpu backend (default 2)
  --default-malloc        keep glibc's default malloc thresholds (see MALLOC_ENV below; PyTorch runs ~4× slower)
  --python PATH           the python with torch (default /usr/bin/python3)
  --no-torch              skip the PyTorch side
  --quick                 smoke run: 1 warm-up step, 2 timed steps, 1 window, 1 inference batch; writes no
                          results.md unless --out is given
  --out FILE              where to write the report (default bench/results.md)
  --json FILE             also write every raw measurement as JSON
  --import-rows a,b       rows of the import benchmark (simulated file → project), default 1000000,10000000 (quick: 50000)
  --import-formats a,b    files the import benchmark reads: csv, parquet (default both)
  --import-rounds N       imports of each file, each beside its own plain read; the round of median ratio is
                          reported with the others' ratios (default 3; quick: 1)
  --no-import             skip the import benchmark
  --prediction-rows a,b   rows of the predictions-import benchmark (issue 17), default 1000000,10000000 (quick: 50000)
  --no-predictions        skip the predictions-import benchmark
  --verbose               pass the workers' stderr through
`;

const { values: opts } = parseArgs({
  options: {
    models: { type: 'string', default: 'esmm,esm2,esmc' },
    'batch-size': { type: 'string' },
    backends: { type: 'string', default: BACKEND_NAMES.join(',') },
    embedding: { type: 'string', default: ENGINE_EMBEDDING },
    threads: { type: 'string', default: '1,2' },
    'torch-embedding': { type: 'string', default: 'dense,sparse' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    repeats: { type: 'string' },
    rounds: { type: 'string' },
    'infer-batches': { type: 'string' },
    'cpu-steps': { type: 'string' },
    'cpu-infer-batches': { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'no-torch': { type: 'boolean', default: false },
    'default-malloc': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    'import-rows': { type: 'string' },
    'import-formats': { type: 'string', default: 'csv,parquet' },
    'import-rounds': { type: 'string' },
    'no-import': { type: 'boolean', default: false },
    'prediction-rows': { type: 'string' },
    'no-predictions': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function whole(name: keyof typeof opts, fallback: number, quick: number): number {
  const raw = opts[name];
  if (raw === undefined) return opts.quick ? quick : fallback;
  const value = Number(raw);
  if (!(Number.isInteger(value) && value >= 1)) fail(`--${name} must be a whole number ≥ 1, not "${raw}"`);
  return value;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const models = list(opts.models);
for (const m of models) if (!isModelName(m)) fail(`unknown model "${m}"`);
const backends = list(opts.backends);
for (const b of backends)
  if (!isBackendName(b)) fail(`unknown backend "${b}"; choose from ${BACKEND_NAMES.join(', ')}`);
const embeddings = list(opts.embedding);
const threadCounts = list(opts.threads).map(Number);
for (const t of threadCounts) if (!(t === 1 || t === 2)) fail(`--threads takes 1 and/or 2, got ${t}`);
const threadsFor = (backend: BackendName) => (backend === 'wasm' ? threadCounts : [1]);
const torchEmbeddings = list(opts['torch-embedding']);
for (const e of [...embeddings, ...torchEmbeddings])
  if (!EMBEDDINGS.includes(e)) fail(`unknown embedding mode "${e}"; choose from ${EMBEDDINGS.join(', ')}`);

interface Plan {
  warmup: number;
  steps: number;
  repeats: number;
  inferBatches: number;
}
const main: Plan = {
  warmup: whole('warmup', 5, 1),
  steps: whole('steps', 30, 2),
  repeats: whole('repeats', 3, 1),
  inferBatches: whole('infer-batches', 16, 1),
};
/** The JavaScript cpu backend is an order of magnitude slower: fewer steps and rows, same method. */
const slow: Plan = {
  warmup: 1,
  steps: whole('cpu-steps', 3, 1),
  repeats: main.repeats,
  inferBatches: whole('cpu-infer-batches', 2, 1),
};
const rounds = whole('rounds', 1, 1);
/** Training batch; the reference is 1024, a GPU wants 4096–16384 to be busy. */
const batchSize = whole('batch-size', REFERENCE.batchSize, REFERENCE.batchSize);
const planFor = (backend: BackendName) => (backend === 'cpu' ? slow : main);
const outFile = opts.out ?? (opts.quick ? undefined : join(HERE, 'results.md'));

// ------------------------------------------------------------------------------------------------------------

const torch = torchAvailability();
const loadBefore = os.loadavg();
if (loadBefore[0] > 0.5)
  process.stderr.write(
    `bench: warning: load average is ${loadBefore.map((x) => x.toFixed(2)).join(' ')}; figures will be low\n`,
  );

const rows = Math.max(
  ...[main, slow].flatMap((p) => [(p.warmup + p.repeats * p.steps) * batchSize, p.inferBatches * 4096]),
);
const dataDir = mkdtempSync(join(os.tmpdir(), 'esmc-bench-'));
const { data, meta } = generateData(rows);
writeData(dataDir, data, meta);

const results = new Map<string, Row>();
const unavailable = new Map<string, string>();
const failed: string[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    for (const model of models) {
      for (const backend of backends as BackendName[]) {
        if (unavailable.has(backend)) continue;
        for (const embedding of embeddings) {
          for (const threads of threadsFor(backend)) {
            if (unavailable.has(backend)) continue;
            const worker = [join(HERE, 'worker.ts'), '--backend', backend, '--model', model, '--embedding', embedding];
            const args = ['--import', 'tsx', ...worker, '--threads', String(threads), ...planArgs(planFor(backend))];
            const label = `${model} · tfjs ${backend}${threads > 1 ? ` ×${threads} threads` : ''} · ${embedding}`;
            await measure(label, process.execPath, args, backend);
          }
        }
      }
      if (torch.ok) {
        for (const embedding of torchEmbeddings) {
          const script = join(HERE, 'reference', 'bench_torch.py');
          const args = [script, '--model', model, '--embedding', embedding, ...planArgs(main)];
          await measure(`${model} · ${TORCH_RUNTIME} · ${embedding}`, opts.python, args);
        }
      }
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
const importResults: ImportResult[] = [];
const importRounds = whole('import-rounds', 3, 1);
if (!opts['no-import'])
  for (const text of (opts['import-rows'] ?? (opts.quick ? '50000' : '1000000,10000000')).split(','))
    for (const format of opts['import-formats']!.split(',').map((f) => f.trim())) {
      if (format !== 'csv' && format !== 'parquet')
        throw new Error(`--import-formats: csv or parquet, got "${format}"`);
      const rows = Number(text);
      if (!(Number.isInteger(rows) && rows >= 1)) fail(`--import-rows must be whole numbers ≥ 1, not "${text}"`);
      const result = await measureImport(rows, format, importRounds);
      if (result) importResults.push(result);
    }
const predictionResults: PredictionsResult[] = [];
if (!opts['no-predictions'])
  for (const text of (opts['prediction-rows'] ?? (opts.quick ? '50000' : '1000000,10000000')).split(',')) {
    const result = await measurePredictionsImport(Number(text));
    if (result) predictionResults.push(result);
  }
const loadAfter = os.loadavg();

const summaries = summarize([...results.values()]);
process.stdout.write(`\n${consoleTable(summaries)}\n`);
const skipped = [...unavailable].map(([b, reason]) => `${b} (${reason})`);
if (skipped.length) process.stdout.write(`\nSkipped backends: ${skipped.join('; ')}\n`);
if (torch.note) process.stdout.write(`\n${torch.note}\n`);
const cpus = os.cpus();
const context = {
  date: new Date().toISOString(),
  command: commandLine(),
  machine: {
    cpu: cpus[0]?.model ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  },
  loadBefore,
  loadAfter,
  meta,
  rounds,
  torchNote: torch.note,
  malloc: opts['default-malloc']
    ? "glibc's default malloc thresholds (--default-malloc)"
    : Object.entries(MALLOC_ENV)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
  skipped,
  failed,
};
process.stdout.write(
  `\nLoad average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(2)).join(' ')} after.\n`,
);
if (outFile) {
  writeFileSync(
    outFile,
    markdown(summaries, context) + importMarkdown(importResults) + predictionsMarkdown(predictionResults),
  );
  process.stdout.write(`Wrote ${outFile.startsWith(ROOT) ? relative(process.cwd(), outFile) : outFile}\n`);
}
if (opts.json) writeFileSync(opts.json, JSON.stringify({ ...context, results: [...results.values()] }, null, 2));
for (const result of importResults) {
  const round = medianRound(result);
  process.stdout.write(
    `\nImport: ${result.rows} rows (${result.megabytes.toFixed(0)} MB ${result.format}) in ${round.importSeconds.toFixed(1)} s = ${(result.rows / round.importSeconds).toFixed(0)} rows/s, peak RSS ${Math.max(...result.rounds.map((r) => r.importPeakRssMiB)).toFixed(0)} MiB (process ${result.peakRssMiB.toFixed(0)} MiB); DuckDB's plain read ${round.plainReadSeconds.toFixed(1)} s (temp table ${round.plainTempReadSeconds.toFixed(1)} s); import ÷ plain read ${ratios(result)}\n`,
  );
}
for (const result of predictionResults)
  process.stdout.write(
    `\nPredictions import: ${result.rows} rows in ${result.seconds.toFixed(1)} s = ${result.rowsPerSecond.toFixed(0)} rows/s, peak RSS ${result.peakRssMiB.toFixed(0)} MiB; DuckDB's plain read ${result.plainReadSeconds.toFixed(1)} s\n`,
  );
if (failed.length) {
  process.stderr.write(`bench: ${failed.length} run(s) failed: ${failed.join('; ')}\n`);
  process.exit(1);
}

// ------------------------------------------------------------------------------------------------------------

interface ImportRound {
  importSeconds: number;
  /** The highest RSS sampled (every 50 ms) while the import ran. */
  importPeakRssMiB: number;
  splitSeconds: number;
  steps: { step: string; seconds: number; peakRssMiB: number }[];
  /** DuckDB's read of the file into a table of the project (stored, as the import stores its dataset). */
  plainReadSeconds: number;
  /** The same into a temp table (kept in memory, spilled past the limit, never stored). */
  plainTempReadSeconds: number;
}

interface ImportResult {
  rows: number;
  format: 'csv' | 'parquet';
  megabytes: number;
  /** The worker's, over every round: writing the file and the plain reads (at DuckDB's default limit) included. */
  peakRssMiB: number;
  /** The worker's once it had written the simulated file, before any import. */
  writtenPeakRssMiB: number;
  rounds: ImportRound[];
}

/** A round's import ÷ its own plain read into a stored table: the ratio issue 21 sets a target for. */
function importRatio(round: ImportRound): number {
  return round.importSeconds / round.plainReadSeconds;
}

/**
 * The round of median ratio: every figure reported comes from one round, the import beside its own plain read
 * (this machine's timings move by a quarter between runs, the same for both within a round).
 */
function medianRound(result: ImportResult): ImportRound {
  const sorted = [...result.rounds].sort((a, b) => importRatio(a) - importRatio(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** The import benchmark of issues 4 and 21, in its own process so its peak RSS is its own. */
async function measureImport(
  rowCount: number,
  format: 'csv' | 'parquet',
  rounds: number,
): Promise<ImportResult | undefined> {
  process.stderr.write(`bench: import of ${rowCount} simulated rows (${format}), ${rounds} rounds…\n`);
  const { code, stdout, stderr } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      join(HERE, 'import-worker.ts'),
      '--rows',
      String(rowCount),
      '--format',
      format,
      '--rounds',
      String(rounds),
    ],
    process.env,
  );
  const line = stdout.split('\n').find((l) => l.startsWith(IMPORT_TAG));
  if (code !== 0 || !line) {
    failed.push(`import of ${format} (exit ${code}): ${tail(stderr, 3)}`);
    return undefined;
  }
  return JSON.parse(line.slice(IMPORT_TAG.length)) as ImportResult;
}

/** The median round's ratio, and every round's in the order they ran when there were several. */
function ratios(result: ImportResult): string {
  const median = `${importRatio(medianRound(result)).toFixed(1)}×`;
  if (result.rounds.length === 1) return median;
  return `${median} (rounds: ${result.rounds.map((round) => `${importRatio(round).toFixed(1)}×`).join(', ')})`;
}

function importMarkdown(results: ImportResult[]): string {
  if (results.length === 0) return '';
  const reader = (r: ImportResult) => (r.format === 'parquet' ? 'read_parquet' : 'read_csv');
  const medians = results.map(medianRound);
  const steps = medians[0].steps.map((s) => s.step);
  const label = (r: ImportResult) => `${r.rows.toLocaleString('en')} rows, ${r.format}`;
  return `
## Import (issues 4 and 21)

Simulated files (paper-like preset) imported into a new project (validation,
encoding, profile, one transaction) under the import's DuckDB memory limit, then a random split stored; after each
import, DuckDB's own \`CREATE TABLE … AS SELECT * FROM read_csv / read_parquet(file)\` of the same file in the same
project, at DuckDB's default memory limit: into a table of the project (stored, as the import stores its dataset: the
ratio), and into a temp table (kept in memory, never stored). Each file is imported ${results[0].rounds.length === 1 ? 'once' : `${results[0].rounds.length} times, each time into a new project and beside its own plain read; every figure of a row is from the round whose ratio is the median, and the ratio column lists every round's in the order they ran`}. Peak RSS: the highest sampled
every 50 ms while an import ran, over every round (DuckDB's buffers: the rows never enter the JavaScript heap); then
the worker process's own peak, which also covers writing the simulated file (its peak before the first import in
brackets) and the plain reads, at DuckDB's default memory limit.

| rows | file | import | rows/s | peak RSS (MiB): imports, process (writing the file) | split | DuckDB's plain read: stored table, temp table | import ÷ plain read (stored, temp) |
| --- | --- | --- | --- | --- | --- | --- | --- |
${results
  .map((r, i) => {
    const m = medians[i];
    return `| ${r.rows.toLocaleString('en')} | ${r.format}, ${r.megabytes.toFixed(0)} MB | ${m.importSeconds.toFixed(1)} s | ${Math.round(r.rows / m.importSeconds).toLocaleString('en')} | ${Math.max(...r.rounds.map((round) => round.importPeakRssMiB)).toFixed(0)}, ${r.peakRssMiB.toFixed(0)} (${r.writtenPeakRssMiB.toFixed(0)}) | ${m.splitSeconds.toFixed(1)} s | ${m.plainReadSeconds.toFixed(1)} s, ${m.plainTempReadSeconds.toFixed(1)} s (${reader(r)}) | **${ratios(r)}**, ${(m.importSeconds / m.plainTempReadSeconds).toFixed(1)}× |`;
  })
  .join('\n')}

| step | ${results.map((r) => `${label(r)}: seconds, peak RSS (MiB)`).join(' | ')} |
| --- | ${results.map(() => '---').join(' | ')} |
${steps
  .map(
    (step) =>
      `| ${step} | ${medians
        .map((m) => {
          const s = m.steps.find((x) => x.step === step);
          return s ? `${s.seconds.toFixed(1)}, ${s.peakRssMiB.toFixed(0)}` : '—';
        })
        .join(' | ')} |`,
  )
  .join('\n')}
`;
}

interface PredictionsResult {
  rows: number;
  megabytes: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number;
  plainReadSeconds: number;
}

/** A predictions file imported as an external run (bench/predictions-worker.ts), the import in a process of its own. */
async function measurePredictionsImport(rowCount: number): Promise<PredictionsResult | undefined> {
  process.stderr.write(`bench: import of a predictions file of ${rowCount} rows…\n`);
  const dir = mkdtempSync(join(os.tmpdir(), 'esmc-bench-predictions-'));
  try {
    const worker = (...args: string[]) =>
      run(
        process.execPath,
        ['--import', 'tsx', join(HERE, 'predictions-worker.ts'), '--dir', dir, ...args],
        process.env,
      );
    const setup = await worker('--phase', 'setup', '--rows', String(rowCount));
    if (setup.code !== 0) {
      failed.push(`predictions setup (exit ${setup.code}): ${tail(setup.stderr, 3)}`);
      return undefined;
    }
    const { code, stdout, stderr } = await worker('--phase', 'import');
    const line = stdout.split('\n').find((l) => l.startsWith(IMPORT_TAG));
    if (code !== 0 || !line) {
      failed.push(`predictions import (exit ${code}): ${tail(stderr, 3)}`);
      return undefined;
    }
    return JSON.parse(line.slice(IMPORT_TAG.length)) as PredictionsResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function predictionsMarkdown(results: PredictionsResult[]): string {
  if (results.length === 0) return '';
  return `
## Predictions import (issue 17)

\`esmc-lab import-predictions\` of a CSV of row_id, p_ctr and p_cvr for every row of a dataset (validation of
every cell, keys joined to the dataset's rows, the rows scored on the held-out parts, then stored as an external run
in one transaction), in a process of its own under the import's DuckDB memory limit; beside it DuckDB's own
\`CREATE TABLE … AS SELECT * FROM read_csv(file)\` of the same file (bench/predictions-worker.ts).

| rows | file | import | rows/s | peak RSS (MiB) | DuckDB's plain read |
| --- | --- | --- | --- | --- | --- |
${results
  .map(
    (r) =>
      `| ${r.rows.toLocaleString('en')} | ${r.megabytes.toFixed(0)} MB | ${r.seconds.toFixed(1)} s | ${Math.round(r.rowsPerSecond).toLocaleString('en')} | ${r.peakRssMiB.toFixed(0)} | ${r.plainReadSeconds.toFixed(1)} s |`,
  )
  .join('\n')}
`;
}

function planArgs(plan: Plan): string[] {
  return [
    '--data',
    dataDir,
    '--warmup',
    String(plan.warmup),
    '--steps',
    String(plan.steps),
    '--repeats',
    String(plan.repeats),
    '--infer-batches',
    String(plan.inferBatches),
    '--batch-size',
    String(batchSize),
  ];
}

/** Runs one worker process to completion and files its WorkerResult. */
async function measure(label: string, command: string, args: string[], backend?: string) {
  process.stderr.write(`${label} … `);
  const started = performance.now();
  const env = {
    ...process.env,
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
    ...(opts['default-malloc'] ? {} : MALLOC_ENV),
  };
  const { code, stdout, stderr } = await run(command, args, env);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const lines = stdout.split('\n');
  const unavailableLine = lines.find((l) => l.startsWith(UNAVAILABLE_TAG));
  if (backend && code === 0 && unavailableLine) {
    // Only the first sentence: the rest is usually an install path.
    unavailable.set(backend, unavailableLine.slice(UNAVAILABLE_TAG.length).replace(/ at path: .*$/, ''));
    process.stderr.write(`not available here (${unavailableLine.slice(UNAVAILABLE_TAG.length)})\n`);
    return;
  }
  const resultLine = lines.find((l) => l.startsWith(RESULT_TAG));
  if (code !== 0 || !resultLine) {
    failed.push(label);
    process.stderr.write(`FAILED (exit ${code}, ${seconds} s)\n${tail(stderr || stdout)}\n`);
    return;
  }
  const result = JSON.parse(resultLine.slice(RESULT_TAG.length)) as WorkerResult;
  const { model, runtime, embedding } = result;
  const key = `${model}\u0000${runtime}\u0000${embedding}`;
  if (!results.has(key)) results.set(key, { model, runtime, embedding, results: [] });
  results.get(key)!.results.push(result);
  const fmt = (x: number[]) => Math.round(median(x)).toLocaleString('en-US');
  process.stderr.write(
    `train ${fmt(result.trainSamplesPerSecond)}/s, infer ${fmt(result.inferSamplesPerSecond)}/s, ` +
      `peak RSS ${Math.round(result.peakRssMiB)} MiB (${seconds} s)\n`,
  );
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (opts.verbose) process.stderr.write(chunk);
    });
    child.on('error', (error) => done({ code: -1, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function torchAvailability(): { ok: boolean; note?: string } {
  if (opts['no-torch']) return { ok: false, note: 'PyTorch side skipped (--no-torch); no ratios.' };
  const probe = spawnSync(opts.python, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 120_000 });
  if (probe.status === 0) return { ok: true };
  const why = probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`;
  const note =
    `PyTorch side skipped: \`${opts.python} -c "import torch, numpy"\` failed (${why}). ` +
    `Install Debian's python3-torch and python3-numpy, or pass --python; no ratios.`;
  process.stderr.write(`bench: ${note}\n`);
  return { ok: false, note };
}

function commandLine(): string {
  const args = process.argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  if (process.env.npm_lifecycle_event === 'bench')
    return ['npm run bench', ...(args.length ? ['--', ...args] : [])].join(' ');
  return ['npx tsx bench/run.ts', ...args].join(' ');
}
