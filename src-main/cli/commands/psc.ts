import type { EncodedDataset } from '../../engine/data/dataset.js';
import { MODEL_NAMES } from '../../engine/models/index.js';
import { analysePsc, isSimulationTruth, type PscAnalysis, type SliceField } from '../../engine/psc/index.js';
import type { Proportion } from '../../engine/psc/empirical.js';
import { trainRun } from '../../engine/run.js';
import { predictRows, type StageArrays } from '../../engine/train/predict.js';
import {
  backendHelp,
  backendName,
  backendOption,
  print,
  required,
  UsageError,
  type Command,
  type Values,
} from '../command.js';
import { formatNumber, table } from '../format.js';
import { modelConfigFrom, progressPrinter, trainConfigFrom, trainOptions, trainOptionsHelp } from './train.js';

const DEFAULT_MODELS = ['esmm', 'chain', 'esm2', 'esmc'];

export const pscCommand: Command = {
  summary: 'train models on a file and analyse Probability Space Confusion on its test split',
  usage: 'esmc-lab psc --data FILE [--model chain,esm2,esmc,…] [--slice FIELD,…] [--json]',
  options: {
    data: { type: 'string' },
    model: { type: 'string', default: DEFAULT_MODELS.join(',') },
    slice: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...trainOptions,
    ...backendOption,
  },
  help: `Reports, on the test split: the empirical PSC share P(a=0 | b=1, c=1) and gap P(b=1, a=0 | c=1) with 95%
intervals; each model's implied gap; chained (pAVR·P(b|a,c)) vs constrained (pCVR) estimates and their
difference Δ; per-slice gaps; with simulated data, every stage's error against the true probabilities and the
oracle AUC; and pairwise DeLong tests of CVR and CTCVR AUC.

Options:
  --data FILE             CSV/TSV with click, action and purchase labels (e.g. from esmc-lab simulate)
  --model NAMES           default ${DEFAULT_MODELS.join(',')}; any of ${MODEL_NAMES.join(', ')}
  --slice FIELDS          categorical columns to slice the gap by
  --json                  print the whole analysis as JSON
${trainOptionsHelp}
${backendHelp}`,
  run: runPsc,
};

async function runPsc(values: Values): Promise<number> {
  const dataPath = required(values, 'data');
  const models = String(values.model)
    .split(',')
    .map((m) => m.trim());
  for (const model of models)
    if (!(MODEL_NAMES as string[]).includes(model))
      throw new UsageError(`Unknown model "${model}"; choose from ${MODEL_NAMES.join(', ')}`);
  const sliceFields = typeof values.slice === 'string' ? values.slice.split(',').map((f) => f.trim()) : [];
  const stagesByModel: Record<string, StageArrays> = {};
  let test: EncodedDataset | undefined;
  let slices: SliceField[] = [];
  await trainRun({
    source: { kind: 'file', path: dataPath },
    models,
    modelConfig: modelConfigFrom(values),
    trainConfig: trainConfigFrom(values),
    backend: backendName(values.backend),
    onEvent: progressPrinter(),
    onTrained: async (model, { parts, encoding }) => {
      test = parts.test;
      stagesByModel[model.info.name] = await predictRows(model, parts.test);
      slices = sliceFields.map((field) => {
        const index = encoding.categorical.findIndex((c) => c.name === field);
        if (index < 0)
          throw new UsageError(
            `--slice: "${field}" is not a categorical column of ${dataPath}; those are ${encoding.categorical.map((c) => c.name).join(', ')}`,
          );
        return { field, ids: column(parts.test, index), vocabulary: encoding.categorical[index].vocabulary };
      });
    },
  });
  if (!test) throw new Error('No model finished training');
  const truth = test.truth && isSimulationTruth(test.truth) ? test.truth : undefined;
  const analysis = analysePsc({ labels: test.labels, stagesByModel, truth, slices });
  print(values.json ? JSON.stringify(analysis, null, 2) : describe(analysis));
  return 0;
}

function column(data: EncodedDataset, field: number): Int32Array {
  const fields = data.schema.categorical.length;
  return Int32Array.from({ length: data.rows }, (_, row) => data.categorical[row * fields + field]);
}

function proportion(p: Proportion): string {
  if (!p.available) return `— (${p.reason})`;
  return `${formatNumber(p.estimate)} [${formatNumber(p.ci95[0])}, ${formatNumber(p.ci95[1])}]`;
}

/** The analysis for a person: the headline numbers and one table per section. */
export function describe(a: PscAnalysis): string {
  const parts = [
    `Test split: ${a.rows} exposures, ${a.clicks} clicks, ${a.actions} with an in-shop action, ${a.purchases} purchases`,
    `PSC share P(a=0 | b=1, c=1): ${proportion(a.empirical.pscShare)}`,
    `Empirical gap P(b=1, a=0 | c=1): ${proportion(a.empirical.gap)}`,
    '',
    table(
      ['model', 'role', 'implied gap', 'kind'],
      Object.entries(a.models).map(([name, m]) => [name, m.role, m.impliedGap.value, m.impliedGap.kind]),
    ),
  ];
  if (a.estimates.length)
    parts.push(
      '',
      'Constrained pCVR − chained pAVR·P(b|a,c), clicked rows:',
      table(
        ['chained', 'constrained', 'mean Δ', 'median Δ', 'share Δ > 0'],
        a.estimates.map((e) => [e.chained, e.constrained, e.clicked.mean, e.clicked.median, e.clicked.positiveShare]),
      ),
    );
  for (const { field, slices } of a.slices)
    parts.push(
      '',
      `Gap by ${field}:`,
      table(
        ['value', 'clicks', 'empirical gap', ...Object.keys(a.models)],
        slices.map((s) => [
          s.value,
          s.clicks,
          proportion(s.empiricalGap),
          ...Object.values(s.models).map((m) => m.value),
        ]),
      ),
    );
  if (a.truth) {
    parts.push(
      '',
      'Against the true probabilities (RMSE of pCVR, all exposures / clicked rows), and the oracle AUC:',
      table(
        ['model', 'cvr rmse (all)', 'cvr rmse (clicked)'],
        Object.entries(a.truth.errors).map(([name, e]) => [
          name,
          e.cvr?.exposure.rmse ?? NaN,
          e.cvr?.clicked.rmse ?? NaN,
        ]),
      ),
      `oracle cvr_auc ${formatNumber(a.truth.oracleAuc.cvr_auc)}, ctcvr_auc ${formatNumber(a.truth.oracleAuc.ctcvr_auc)}`,
    );
  }
  parts.push(
    '',
    `Pairwise AUC differences (${a.comparison.method}, α = ${a.comparison.alpha}):`,
    table(
      ['metric', 'A', 'B', 'A − B', 'p', 'significant'],
      a.comparison.pairs.map((p) => [
        p.metric,
        p.modelA,
        p.modelB,
        p.difference,
        p.pValue,
        p.significant ? 'yes' : 'no',
      ]),
    ),
  );
  return parts.join('\n');
}
