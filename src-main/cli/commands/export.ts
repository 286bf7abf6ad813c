import { initBackend } from '../../engine/backends/index.js';
import { exportDataset } from '../../engine/export.js';
import { MODEL_NAMES } from '../../engine/models/index.js';
import { openProject } from '../../engine/store/project.js';
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
import { settingOptions, settingsFrom, settingsHelp } from '../settings.js';

/** The models an export configures unless told otherwise: the chained baseline and the constrained model. */
const DEFAULT_EXPORT_MODELS = ['esmm', 'esmc'];

export const exportCommand: Command = {
  summary: "export a dataset's split, encoding and model configurations for training on a cluster",
  usage: 'esmc-lab export --project P.duckdb --dataset D --out DIR [--split S] [--model NAMES] [settings]',
  options: {
    project: { type: 'string' },
    dataset: { type: 'string' },
    out: { type: 'string' },
    split: { type: 'string' },
    model: { type: 'string', default: DEFAULT_EXPORT_MODELS.join(',') },
    json: { type: 'boolean', default: false },
    ...settingOptions,
    ...backendOption,
  },
  help: `Writes DIR (new or empty): export.json (the layout), encoding.json (the vocabularies), data/PART/part-N.parquet
(the encoded rows of the train, validation and test parts, by row id) and models/MODEL.esmclab (each model's
configuration and initial weights, output biases at the training rates). python/esmc_torch trains from it with
torchrun and writes predictions that \`esmc-lab import-predictions\` reads back: see docs/cluster.md.

Options:
  --project FILE        the project's DuckDB file
  --dataset D           the dataset to export
  --out DIR             a new (or empty) folder
  --split S             the split (default "random", made as training makes it when missing)
  --model NAMES         comma-separated, default ${DEFAULT_EXPORT_MODELS.join(',')}; any of ${MODEL_NAMES.join(', ')}
  --json                print export.json
${settingsHelp}
${backendHelp}`,
  run: runExport,
};

async function runExport(values: Values): Promise<number> {
  const models = String(values.model)
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const model of models)
    if (!(MODEL_NAMES as string[]).includes(model))
      throw new UsageError(`Unknown model "${model}"; choose from ${MODEL_NAMES.join(', ')}`);
  const { modelConfig, trainConfig } = settingsFrom(values);
  await initBackend(backendName(values.backend));
  const project = await openProject(required(values, 'project'));
  try {
    const out = required(values, 'out');
    const manifest = await exportDataset(project, {
      dataset: required(values, 'dataset'),
      split: typeof values.split === 'string' ? values.split : undefined,
      out,
      models,
      modelConfig,
      trainConfig,
      onStep: values.json ? undefined : (step) => printError(step),
    });
    if (values.json) print(JSON.stringify(manifest, null, 2));
    else {
      const { parts } = manifest;
      print(
        `exported "${manifest.dataset}" (split "${manifest.split}": train ${parts.train.rows}, validation ${parts.validation.rows}, test ${parts.test.rows} rows) to ${out}`,
      );
      print(`models: ${Object.keys(manifest.models).join(', ')}`);
      print(
        `next: torchrun --nproc_per_node 2 -m esmc_torch.train --export ${out} --model ${models[0]} --out preds.parquet`,
      );
    }
    return 0;
  } finally {
    project.close();
  }
}
