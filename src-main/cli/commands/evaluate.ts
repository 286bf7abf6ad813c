import { writeTextAtomically } from '../../engine/files.js';
import { initBackend } from '../../engine/backends/index.js';
import { loadCsvDataset, type FeatureEncoding } from '../../engine/data/encode.js';
import { evaluateStages } from '../../engine/metrics/index.js';
import { STAGES } from '../../engine/models/index.js';
import { loadModel } from '../../engine/train/checkpoint.js';
import { predictRows, type StageArrays } from '../../engine/train/predict.js';
import type { RunRecord } from '../../engine/run.js';
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
import { table } from '../format.js';
import { rolesHelp, rolesOption } from '../roles.js';

export const evaluateCommand: Command = {
  summary: 'score a CSV file with a saved model: metrics per stage, optionally per-row predictions',
  usage: 'esmc-lab evaluate --model-file FILE --data FILE [--roles R] [--predictions OUT.csv] [--json]',
  options: {
    'model-file': { type: 'string' },
    data: { type: 'string' },
    roles: { type: 'string' },
    predictions: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...backendOption,
  },
  help: `Options:
  --model-file FILE     a model saved by \`esmc-lab train --save\`
  --data FILE           CSV/TSV to score; encoded with the model's own encoding (unseen values → id 0)
${rolesHelp('  ', 22)}
                        (labels, user key and truth only: the model's encoding fixes its features)
  --predictions OUT     write every stage's probability per row as CSV
  --json                print the metrics as JSON
${backendHelp}`,
  run: runEvaluate,
};

async function runEvaluate(values: Values): Promise<number> {
  const modelFile = required(values, 'model-file');
  const dataPath = required(values, 'data');
  const roles = rolesOption(values);
  const fixed = (['categorical', 'multiHot', 'dense', 'userFeature'] as const).filter((r) => roles?.[r] !== undefined);
  if (fixed.length > 0)
    throw new UsageError(
      `--roles: the model's saved encoding fixes its features; leave ${fixed.join(', ')} out (labels, user, truth and ignore may change)`,
    );
  const backend = await initBackend(backendName(values.backend));
  const { model, header } = await loadModel<FeatureEncoding, Partial<RunRecord>>(modelFile);
  try {
    const { dataset, findings } = await loadCsvDataset(dataPath, { encoding: header.encoding, roles });
    const predictions = await predictRows(model, dataset);
    const metrics = evaluateStages(predictions, dataset.labels, dataset.userIds);
    if (typeof values.predictions === 'string') await writePredictions(values.predictions, predictions, dataset.rows);
    const report = { model: header.model, modelFile, data: dataPath, rows: dataset.rows, backend, findings, metrics };
    if (values.json) print(JSON.stringify(report, null, 2));
    else {
      print(`${header.model} on ${dataPath} (${dataset.rows} rows, ${backend.device})`);
      print(
        table(
          ['metric', 'value'],
          Object.entries(metrics).map(([k, v]) => [k, v]),
        ),
      );
    }
    return 0;
  } finally {
    model.dispose();
  }
}

/** Per-row stage probabilities; a failure leaves nothing half-written where the user asked. */
async function writePredictions(path: string, predictions: StageArrays, rows: number) {
  const stages = STAGES.filter((stage) => predictions[stage]);
  const lines = [stages.map((s) => `p_${s}`).join(',')];
  for (let r = 0; r < rows; r++) lines.push(stages.map((s) => predictions[s]![r].toPrecision(7)).join(','));
  await writeTextAtomically(path, lines.join('\n') + '\n');
}
