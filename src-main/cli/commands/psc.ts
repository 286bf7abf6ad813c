import { existsSync } from 'node:fs';
import type { EncodedDataset } from '../../engine/data/dataset.js';
import type { FeatureEncoding } from '../../engine/data/encode.js';
import { MODEL_NAMES } from '../../engine/models/index.js';
import { analysePsc, truthOf, type PscAnalysis, type SliceField } from '../../engine/psc/index.js';
import type { Proportion } from '../../engine/psc/empirical.js';
import { partCounts, trainRun, type RunRecord } from '../../engine/run.js';
import { hasResults } from '../../../src-shared/types/index.js';
import { openProject, type Project } from '../../engine/store/project.js';
import { readDataset } from '../../engine/store/read.js';
import { predictRows, type StageArrays } from '../../engine/train/predict.js';
import type { LabelCounts } from '../../engine/metrics/learning.js';
import { pscAnalysisFor } from '../../api/views.js';
import {
  backendHelp,
  backendName,
  backendOption,
  print,
  printError,
  required,
  UsageError,
  type Command,
  type Values,
} from '../command.js';
import { formatNumber, table } from '../format.js';
import { rolesHelp, rolesOption } from '../roles.js';
import { modelConfigFrom, progressPrinter, trainConfigFrom, trainOptions, trainOptionsHelp } from './train.js';

const DEFAULT_MODELS = ['esmm', 'chain', 'esm2', 'esmc'];

export const pscCommand: Command = {
  summary: "train models on a file or a project's dataset and analyse Probability Space Confusion on its test split",
  usage:
    'esmc-lab psc (--data FILE [--roles R] | --project P --dataset N) [--model chain,esm2,esmc,…] [--slice FIELD,…] [--json]',
  options: {
    data: { type: 'string' },
    project: { type: 'string' },
    dataset: { type: 'string' },
    'stored-split': { type: 'string' },
    roles: { type: 'string' },
    model: { type: 'string', default: DEFAULT_MODELS.join(',') },
    slice: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...trainOptions,
    ...backendOption,
  },
  help: `Reports, on the test split: the empirical PSC share P(a=0 | b=1, c=1) and gap P(b=1, a=0 | c=1) with 95%
intervals; each model's implied gap; chained (pAVR·P(b|a,c)) vs constrained (pCVR) estimates and their
difference Δ; per-slice gaps; with true-probability columns (simulated data), every stage's error against the
truth and the oracle AUC, naming the stages whose true_* column the data lacks; and pairwise DeLong tests of CVR
and CTCVR AUC.

Options:
  --data FILE             CSV/TSV with click, action and purchase labels (e.g. from esmc-lab simulate)
  --project P --dataset N a dataset imported with \`esmc-lab import\`: trains on its stored split, stores the runs
                          and their predictions in the project, and analyses them as the app's PSC view does
  --stored-split NAME     with --project: the stored split to use (default "random", created if missing)
${rolesHelp('  ', 24)}
                          (with --data; a project's dataset keeps the roles it was imported with)
  --model NAMES           default ${DEFAULT_MODELS.join(',')}; any of ${MODEL_NAMES.join(', ')}
  --slice FIELDS          categorical columns to slice the gap by (with --project, default: the dataset's
                          columns of at most 50 values other than the user and item keys)
  --json                  print the whole analysis as JSON
${trainOptionsHelp}
${backendHelp}`,
  run: runPsc,
};

function modelsFrom(values: Values): string[] {
  const models = String(values.model)
    .split(',')
    .map((m) => m.trim());
  for (const model of models)
    if (!(MODEL_NAMES as string[]).includes(model))
      throw new UsageError(`Unknown model "${model}"; choose from ${MODEL_NAMES.join(', ')}`);
  return models;
}

async function runPsc(values: Values): Promise<number> {
  const models = modelsFrom(values);
  const sliceFields = typeof values.slice === 'string' ? values.slice.split(',').map((f) => f.trim()) : undefined;
  const analysis =
    values.project !== undefined
      ? await projectAnalysis(values, models, sliceFields)
      : await fileAnalysis(values, models, sliceFields ?? []);
  print(values.json ? JSON.stringify(analysis, null, 2) : describe(analysis));
  return 0;
}

/** --data FILE: trains on a seeded split of the file and analyses the test part in memory. */
async function fileAnalysis(values: Values, models: string[], sliceFields: string[]): Promise<PscAnalysis> {
  const dataPath = required(values, 'data');
  if (values.dataset !== undefined || values['stored-split'] !== undefined)
    throw new UsageError('--dataset and --stored-split go with --project');
  const stagesByModel: Record<string, StageArrays> = {};
  let test: EncodedDataset | undefined;
  let slices: SliceField[] = [];
  let whole: { purchases: number; purchasesWithoutAction: number | null } | undefined;
  const records = await trainRun({
    source: { kind: 'file', path: dataPath, load: { roles: rolesOption(values) } },
    models,
    modelConfig: modelConfigFrom(values),
    trainConfig: trainConfigFrom(values),
    backend: backendName(values.backend),
    onEvent: progressPrinter(),
    onTrained: async (model, { parts, encoding }) => {
      test = parts.test;
      whole ??= purchaseCounts(Object.values(partCounts(parts)));
      stagesByModel[model.info.name] = await predictRows(model, parts.test);
      slices = slicesOf(parts.test, encoding, sliceFields, dataPath);
    },
  });
  if (!test) throw new Error('No model finished training');
  const learning = Object.fromEntries(records.map((record) => [record.model, record.learning]));
  return analysePsc({
    labels: test.labels,
    stagesByModel,
    truth: truthOf(test.truth),
    slices,
    context: { learning, dataset: whole, part: 'test' },
  });
}

/** The whole file's clicked purchases and those without an action, from its parts' counts. */
function purchaseCounts(parts: LabelCounts[]): { purchases: number; purchasesWithoutAction: number | null } {
  const purchases = parts.reduce((sum, part) => sum + part.clickedPurchases, 0);
  const withAction = parts.every((part) => part.clickedActionPurchases !== null)
    ? parts.reduce((sum, part) => sum + part.clickedActionPurchases!, 0)
    : null;
  return { purchases, purchasesWithoutAction: withAction === null ? null : purchases - withAction };
}

/**
 * --project P --dataset N: trains on the dataset's stored split as \`train --project\` does, stores the runs, and
 * analyses their stored test predictions with the code behind the app's PSC view (truth and slices included).
 */
async function projectAnalysis(
  values: Values,
  models: string[],
  sliceFields: string[] | undefined,
): Promise<PscAnalysis> {
  if (values.data !== undefined) throw new UsageError('give --data or --project, not both');
  const dataset = required(values, 'dataset');
  if (values.roles !== undefined)
    throw new UsageError(
      `--roles applies to --data; dataset "${dataset}" keeps the roles it was imported with ` +
        '(import it again with esmc-lab import --roles … --replace)',
    );
  const projectPath = String(values.project);
  if (!existsSync(projectPath))
    throw new UsageError(`no project at ${projectPath}; create one with esmc-lab import --project ${projectPath}`);
  const project = await openProject(projectPath);
  try {
    const records: RunRecord[] = await trainRun({
      source: {
        kind: 'project',
        project,
        dataset,
        split: values['stored-split'] === undefined ? undefined : String(values['stored-split']),
      },
      models,
      modelConfig: modelConfigFrom(values),
      trainConfig: trainConfigFrom(values),
      backend: backendName(values.backend),
      onEvent: progressPrinter(),
    });
    const trained = records.filter((record) => hasResults(record) && record.storedIn);
    if (trained.length === 0) throw new Error('No model finished training');
    printError(
      `stored ${trained.length} run${trained.length === 1 ? '' : 's'} in ${projectPath}: ` +
        trained.map((record) => `${record.id} (${record.model})`).join(', '),
    );
    const split = trained[0].storedIn!.split;
    return await pscAnalysisFor(
      project,
      trained.map((record) => record.id),
      'test',
      sliceFields === undefined
        ? {}
        : {
            analyse: async (input) =>
              analysePsc({ ...input, slices: await projectSlices(project, dataset, split, sliceFields) }),
          },
    );
  } finally {
    project.close();
  }
}

/** The --slice fields of a stored split's test part, in the row order pscAnalysisFor reads it. */
async function projectSlices(
  project: Project,
  dataset: string,
  split: string,
  fields: string[],
): Promise<SliceField[]> {
  const { encoding } = await project.dataset(dataset);
  const test = await readDataset(project, dataset, { part: 'test', split }, { truth: false });
  return slicesOf(test, encoding, fields, `dataset "${dataset}"`);
}

function slicesOf(data: EncodedDataset, encoding: FeatureEncoding, fields: string[], source: string): SliceField[] {
  return fields.map((field) => {
    const index = encoding.categorical.findIndex((c) => c.name === field);
    if (index < 0)
      throw new UsageError(
        `--slice: "${field}" is not a categorical column of ${source}; those are ${encoding.categorical.map((c) => c.name).join(', ')}`,
      );
    return { field, ids: column(data, index), vocabulary: encoding.categorical[index].vocabulary };
  });
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
/** The verdict first, as the app and the report show it: sentences, then what limits them. */
function verdictText(a: PscAnalysis): string[] {
  const verdict = a.verdict;
  if (!verdict) return [];
  return [
    'Verdict',
    `  ${verdict.headline}`,
    ...verdict.sentences.map((sentence) => `  - ${sentence}`),
    ...verdict.caveats.map((caveat) => `  caveat: ${caveat}`),
    '',
  ];
}

export function describe(a: PscAnalysis): string {
  const parts = [
    ...verdictText(a),
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
      "Constrained pCVR − the chained model's own full chain, clicked rows:",
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
    const { errors, oracleAuc, unchecked = [] } = a.truth;
    const missing = new Set(unchecked.map((u) => u.stage));
    // pCTR and pCTCVR live on all exposures, pAVR and pCVR on the clicked rows.
    const stages = (
      [
        ['ctr', 'exposure'],
        ['avr', 'clicked'],
        ['cvr', 'clicked'],
        ['ctcvr', 'exposure'],
      ] as const
    ).filter(([stage]) => !missing.has(stage) && Object.values(errors).some((e) => e[stage]));
    parts.push(
      '',
      'Against the true probabilities (RMSE; ctr and ctcvr on all exposures, avr and cvr on clicked rows):',
    );
    if (stages.length > 0)
      parts.push(
        table(
          ['model', ...stages.map(([stage]) => `${stage} rmse`)],
          Object.entries(errors).map(([name, e]) => [
            name,
            ...stages.map(([stage, space]) => e[stage]?.[space].rmse ?? NaN),
          ]),
        ),
      );
    else parts.push('no model predicts a stage the truth has');
    const oracle = Object.entries(oracleAuc).filter(([, value]) => Number.isFinite(value));
    if (oracle.length > 0)
      parts.push(`oracle ${oracle.map(([metric, value]) => `${metric} ${formatNumber(value)}`).join(', ')}`);
    for (const { reason } of unchecked) parts.push(reason);
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
