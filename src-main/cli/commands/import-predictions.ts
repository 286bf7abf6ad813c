import { importPredictions, type PredictionsImportResult } from '../../engine/importers/predictions.js';
import { ImportError } from '../../engine/importers/validate.js';
import { openProject } from '../../engine/store/project.js';
import { print, printError, required, type Command, type Values } from '../command.js';
import { table } from '../format.js';

export const importPredictionsCommand: Command = {
  summary: "import a model's per-row predictions made outside the lab as an external run",
  usage:
    'esmc-lab import-predictions --project P.duckdb --dataset D --data PREDS.{csv,parquet} --name NAME [--keys K] [--split S]',
  options: {
    project: { type: 'string' },
    dataset: { type: 'string' },
    data: { type: 'string' },
    name: { type: 'string' },
    keys: { type: 'string' },
    split: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  help: `A file of probabilities (a production model's, or esmc_torch's from a cluster, see docs/cluster.md)
becomes a run of the project, scored on the test part of the dataset's split like a trained one: Results,
Stages, the PSC analysis and verdict and the report read it. Columns: the key, and any of p_ctr, p_avr, p_cvr,
p_ctavr, p_ctcvr, p_buy_given_action, p_buy_given_no_action (pCTR, ctr… are understood too); pCTR with pCVR or
pCTCVR is needed. Bad input (unknown, missing or repeated keys, a probability outside [0, 1], NaN, a test row
without a prediction) stops with file:line: what is wrong, and nothing is stored. DuckDB reads the file, so
any size streams.

Options:
--project FILE   the project's DuckDB file
--dataset D      the dataset the predictions are of
--data FILE      CSV/TSV or Parquet, one line per row
--name NAME      the run's name (not a lab model's name)
--keys K         key columns, comma-separated: row_id (default), or categorical columns of the dataset whose
                 values together name one row each
--split S        the split to score on (default "random", made as training makes it when missing)
--json           print the run as JSON`,
  run: runImportPredictions,
};

async function runImportPredictions(values: Values): Promise<number> {
  const project = await openProject(required(values, 'project'));
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  try {
    const result = await importPredictions(project, {
      dataset: required(values, 'dataset'),
      file: required(values, 'data'),
      name: required(values, 'name'),
      keys: typeof values.keys === 'string' ? values.keys.split(',').map((key) => key.trim()) : undefined,
      split: typeof values.split === 'string' ? values.split : undefined,
      signal: controller.signal,
    });
    print(values.json ? JSON.stringify(result, null, 2) : report(result));
    return 0;
  } catch (error) {
    if (controller.signal.aborted) {
      printError('\ninterrupted; the project is unchanged');
      return 130;
    }
    if (error instanceof ImportError && error.findings.length > 1)
      printError(
        table(
          ['finding', 'count', 'first line'],
          error.findings.map((f) => [f.message, f.count, f.exampleLines[0] ?? '']),
        ),
      );
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
    project.close();
  }
}

function report({ run, rows, seconds }: PredictionsImportResult): string {
  const external = run.external!;
  const test = run.metrics.test;
  const metric = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '—' : value.toFixed(4));
  const lines = [
    `imported ${rows.toLocaleString('en-US')} rows of ${external.file} as run "${run.model}" (${run.id}) in ${seconds.toFixed(1)} s`,
    `stages: ${external.stages.join(', ')}` +
      (external.derived.length ? `; derived by the chain: ${external.derived.join(', ')}` : '') +
      (external.lacks.length ? `; lacks ${external.lacks.join(', ')}` : ''),
  ];
  if (test)
    lines.push(
      table(
        ['test part', 'AUC', 'log-loss'],
        [
          ['CTR', metric(test.ctr_auc), metric(test.ctr_logloss)],
          ['CVR (clicked rows)', metric(test.cvr_auc), metric(test.cvr_logloss)],
          ['CTCVR', metric(test.ctcvr_auc), metric(test.ctcvr_logloss)],
        ],
      ),
    );
  if (run.learning) lines.push(`did it learn? ${run.learning.summary}`);
  return lines.join('\n');
}
