/**
 * ReportInputs built from the engine (simulated data, fake but consistent stage probabilities, the real
 * metrics, PSC analysis and curves), with the variations a report must survive: a failed run, a dataset
 * without an in-shop action label.
 */
import type { DatasetDetail, ResultsView, RunDetail } from '../../src-shared/api/contract.js';
import type {
  DatasetProfile,
  Funnel,
  LearningAssessment,
  RunRecord,
  StageMetrics,
} from '../../src-shared/types/index.js';
import { evaluateStages } from '../../src-main/engine/metrics/index.js';
import { DEFAULT_MODEL_CONFIG, modelInfo, type ModelName } from '../../src-main/engine/models/index.js';
import { analysePsc, aucInterval, compareModels } from '../../src-main/engine/psc/index.js';
import { pscVerdict } from '../../src-main/engine/psc/verdict.js';
import { resolveTrainSettings } from '../../src-main/engine/train/trainer.js';
import type { ReportInput } from '../../src-main/report/index.js';
import { chartInputs, funnelOf, overTheWire, RUN_IDS, stageCurves, type ChartInputs } from '../charts/fixtures.js';

function record(id: string, model: string, metrics: StageMetrics, rows: number): RunRecord {
  const epochs = [1, 2, 3].map((epoch) => ({
    epoch,
    trainLoss: { total: 0.9 / epoch },
    validation: { ...metrics, cvr_auc: metrics.cvr_auc - 0.03 / epoch },
  }));
  return {
    id,
    model,
    status: 'completed',
    startedAt: '2025-01-02T10:00:00.000Z',
    durationMs: 12_345,
    backend: { name: 'wasm', tfjsBackend: 'wasm', device: 'CPU (wasm SIMD)', skipped: [] },
    data: {
      path: 'paper-like.csv',
      sha256: 'c0ffee'.repeat(10) + 'abcd',
      rows,
      split: { train: rows * 0.8, validation: rows * 0.1, test: rows * 0.1 },
      findings: [],
    },
    modelConfig: DEFAULT_MODEL_CONFIG,
    trainConfig: resolveTrainSettings({}, 10_000),
    parameters: 123_456,
    training: {
      epochsRun: 3,
      bestEpoch: 3,
      curve: Array.from({ length: 30 }, (_, k) => ({
        step: (k + 1) * 10,
        epoch: 1 + Math.floor(k / 10),
        losses: { total: 1 / (1 + k / 5) },
      })),
      epochs,
      samplesPerSecond: 54_321,
    },
    metrics: { test: metrics },
    storedIn: { project: '/tmp/lab.duckdb', dataset: 'paper', split: 'random' },
  };
}

function profileOf(inputs: ChartInputs, funnel: Funnel, withAction: boolean): DatasetProfile {
  return {
    rows: funnel.counts.exposures,
    funnel,
    columns: [
      { name: 'user_id', kind: 'categorical', missing: 0, distinct: 2000, top: [{ value: '17', count: 40 }] },
      { name: 'device', kind: 'categorical', missing: 0, distinct: 4, top: [{ value: '1', count: 5100 }] },
      { name: 'd0', kind: 'dense', missing: 0, mean: 0.01, std: 1, min: -3.9, max: 4.1 },
    ],
    slices: ['1', '2'].map((value) => ({ column: 'device', value, funnel: funnelOf(inputs.labels, withAction) })),
  };
}

export interface ReportCase {
  input: ReportInput;
  inputs: ChartInputs;
}

/** A run's "did it learn?": every stage learned, or CVR not learned. */
function learningOf(learned: boolean): LearningAssessment {
  return {
    part: 'test',
    status: learned ? 'learned' : 'not-learned',
    notLearned: learned ? [] : ['cvr'],
    untestable: [],
    summary: learned
      ? 'Learned CTR, AVR, CVR, CTAVR, CTCVR on the test rows'
      : 'Not learned: CVR (AUC 0.49 [0.44, 0.54] includes 0.5)',
    parts: {},
  };
}

/**
 * A report of chain, esm2 and esmc on simulated paper-like data, each run checked by "did it learn?" (the ones
 * in `notLearned` did not) and the verdict made with that and the whole dataset's share, as the views make it.
 */
export function reportInput(
  options: { failedRun?: boolean; withAction?: boolean; notLearned?: string[] } = {},
): ReportCase {
  const { failedRun = false, withAction = true, notLearned = [] } = options;
  const inputs = chartInputs();
  const { labels, truth } = inputs;
  const rows = labels.click.length;
  const modelStages = withAction
    ? inputs.stagesByModel
    : {
        esmm: {
          ctr: inputs.stagesByModel.esmc.ctr,
          cvr: inputs.stagesByModel.esmc.cvr,
          ctcvr: inputs.stagesByModel.esmc.ctcvr,
        },
      };
  const runLabels = withAction ? labels : { click: labels.click, purchase: labels.purchase };
  const ids: Record<string, string> = withAction ? RUN_IDS : { esmm: '44444444-dddd-4ddd-8ddd-000000000004' };
  const runs: RunDetail[] = Object.entries(modelStages).map(([model, stages]) => {
    const metrics = evaluateStages(stages, runLabels);
    const rec = { ...record(ids[model], model, metrics, rows), learning: learningOf(!notLearned.includes(model)) };
    return {
      id: rec.id,
      model,
      status: rec.status,
      dataset: 'paper',
      split: 'random',
      startedAt: rec.startedAt,
      backend: rec.backend,
      metrics: rec.metrics,
      learning: rec.learning,
      record: rec,
    };
  });
  const intervals = Object.fromEntries(
    Object.entries(modelStages).map(([model, stages]) => [
      ids[model],
      {
        cvr_auc: aucInterval(labels.purchase, stages.cvr, labels.click),
        ctr_auc: aucInterval(labels.click, stages.ctr),
        ctcvr_auc: aucInterval(
          Float32Array.from(labels.click, (c, i) => c * labels.purchase[i]),
          stages.ctcvr,
        ),
      },
    ]),
  );
  // With the action label, the analysis of chartInputs (sliced by device); without, the esmm-only one.
  const funnel = withAction ? inputs.funnel : funnelOf(labels, false);
  const context = {
    learning: Object.fromEntries(runs.map((r) => [r.model, r.learning])),
    dataset: funnel.counts,
    part: 'test' as const,
  };
  const analysis = withAction
    ? { ...inputs.analysis }
    : analysePsc({ labels: runLabels, stagesByModel: modelStages, truth, context });
  if (withAction)
    analysis.verdict = pscVerdict({ labels, stagesByModel: modelStages, truth, analysis: inputs.analysis }, context);
  const results: ResultsView = {
    dataset: 'paper',
    part: 'test',
    runs: runs.map(({ record: _record, ...summary }) => summary),
    metrics: Object.fromEntries(runs.map((r) => [r.id, r.metrics.test!])),
    intervals,
    // Keyed by run id, as the views key a ResultsView (two runs may train the same model).
    comparison: compareModels(
      labels,
      Object.fromEntries(Object.entries(modelStages).map(([model, stages]) => [ids[model], stages])),
    ),
    curves: Object.entries(modelStages).flatMap(([model, stages]) => stageCurves(ids[model], model, stages, labels)),
  };
  if (failedRun)
    runs.push({
      id: '55555555-eeee-4eee-8eee-000000000005',
      model: 'esmg',
      status: 'failed',
      dataset: 'paper',
      split: 'random',
      startedAt: '2025-01-02T10:05:00.000Z',
      backend: null,
      metrics: {},
      error: 'out of memory while allocating the embedding table',
      record: null,
    });
  const dataset: DatasetDetail = {
    name: 'paper',
    sourcePath: '/data/paper-like.csv',
    format: 'simulator',
    sha256: 'c0ffee'.repeat(10) + 'abcd',
    rows,
    importedAt: '2025-01-02T09:58:00.000Z',
    funnel,
    simulated: true,
    roles: {
      click: 'click',
      action: withAction ? ['action'] : [],
      purchase: 'purchase',
      categorical: ['user_id', 'device'],
      dense: ['d0'],
      truth: [],
      ignore: [],
    },
    findings: [
      {
        severity: 'warning',
        code: 'funnel-violation',
        message: 'rows with a purchase but no click were dropped',
        count: 3,
        exampleLines: [12, 40, 77],
      },
    ],
    profile: profileOf(inputs, funnel, withAction),
  };
  const input: ReportInput = {
    title: 'PSC on paper-like data',
    project: { name: 'lab', path: '/tmp/lab.duckdb' },
    createdAt: '2025-01-02T11:00:00.000Z',
    appVersion: '0.1.0',
    dataset,
    runs,
    part: 'test',
    results,
    psc: analysis,
    models: [...new Set(runs.map((r) => r.model))].map((m) => modelInfo(m as ModelName)),
  };
  return { input: overTheWire(input), inputs };
}
