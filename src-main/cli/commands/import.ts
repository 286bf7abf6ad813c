import type { FunnelPolicy } from '../../engine/data/encode.js';
import { IMPORT_FORMATS, type ImportFormat } from '../../engine/importers/formats.js';
import { importDataset, type ImportResult } from '../../engine/importers/import.js';
import { endProgressLine, progressLine } from './report.js';
import { ImportError } from '../../engine/importers/validate.js';
import type { BuysWithoutPv } from '../../engine/importers/taobao.js';
import type { Funnel } from '../../engine/store/profile.js';
import { openProject } from '../../engine/store/project.js';
import { SPLIT_KINDS, type SplitKind, type SplitSummary } from '../../engine/store/splits.js';
import { integer, oneOf, print, printError, required, UsageError, type Command, type Values } from '../command.js';
import { table } from '../format.js';
import { rolesHelp, rolesOption } from '../roles.js';

export const importCommand: Command = {
  summary: 'import a dataset into a project (DuckDB file): validate, encode, profile, split',
  usage: 'esmc-lab import --project P.duckdb --data FILE [--format F] [--name N] [--roles R] [options]',
  options: {
    project: { type: 'string' },
    data: { type: 'string' },
    format: { type: 'string' },
    name: { type: 'string' },
    roles: { type: 'string' },
    'min-count': { type: 'string' },
    'funnel-violations': { type: 'string' },
    split: { type: 'string' },
    seed: { type: 'string' },
    'buys-without-pv': { type: 'string' },
    'common-features': { type: 'string' },
    replace: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  help: `Reads the file with DuckDB (it never passes through JavaScript memory), checks it, encodes it and stores
it with its roles, encoding, findings and profile in the project file, which is created when missing. Bad
input stops with file:line: what is wrong, and leaves the project unchanged. See docs/data.md.

Options:
--project FILE           the project's DuckDB file
--data FILE              CSV/TSV, Parquet, JSON lines, or one of the layouts below
--format F               ${IMPORT_FORMATS.join(', ')} (default auto: by extension, file name and header)
--name N                 the dataset's name in the project (default the file name)
${rolesHelp()}
--min-count N            values seen fewer than N times share id 0 (default 1; user values at least 2)
--funnel-violations P    drop (default, with a warning), keep or fail: purchases or actions without a click
--split KIND             also store a split: ${SPLIT_KINDS.join(', ')} (0.8/0.1/0.1)
--seed N                 seed of a random or user split (default 1)
--buys-without-pv B      taobao: count-as-click (default) or drop
--common-features FILE   aliccp-raw: the common_features file (default beside sample_skeleton)
--replace                replace a dataset of the same name
--json                   print the result (dataset, findings, profile, split) as JSON`,
  run: runImport,
};

async function runImport(values: Values): Promise<number> {
  const projectPath = required(values, 'project');
  const data = required(values, 'data');
  const format = oneOf<ImportFormat>(values, 'format', [...IMPORT_FORMATS], 'auto');
  const funnelPolicy = oneOf<FunnelPolicy>(values, 'funnel-violations', ['drop', 'keep', 'fail'], 'drop');
  const buysWithoutPv = oneOf<BuysWithoutPv>(values, 'buys-without-pv', ['count-as-click', 'drop'], 'count-as-click');
  const split = values.split === undefined ? undefined : oneOf<SplitKind>(values, 'split', SPLIT_KINDS, 'random');
  const minCount = integer(values, 'min-count', 1);
  if (minCount < 1) throw new UsageError(`--min-count must be ≥ 1; got ${minCount}`);
  const seed = integer(values, 'seed', 1);
  const roles = rolesOption(values);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  const project = await openProject(projectPath);
  const progress = values.json ? undefined : progressLine();
  try {
    const result = await importDataset(project, data, {
      onProgress: progress,
      format,
      name: typeof values.name === 'string' ? values.name : undefined,
      roles,
      minCount,
      funnelPolicy,
      buysWithoutPv,
      commonFeatures: typeof values['common-features'] === 'string' ? values['common-features'] : undefined,
      replace: Boolean(values.replace),
      signal: controller.signal,
      ...(split ? { split: { kind: split, seed } } : {}),
    });
    endProgressLine(progress);
    const splitSummary = result.split;
    if (values.json) print(JSON.stringify({ ...jsonResult(result), split: splitSummary }, null, 2));
    else print(report(result, splitSummary));
    return 0;
  } catch (error) {
    endProgressLine(progress);
    if (controller.signal.aborted) {
      printError(`\ninterrupted; ${projectPath} is unchanged`);
      return 130;
    }
    if (error instanceof ImportError) {
      if (values.json) print(JSON.stringify({ error: error.message, findings: error.findings }, null, 2));
      else printError(findingsTable(error.findings));
    }
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
    project.close();
  }
}

function jsonResult(result: ImportResult) {
  const { dataset } = result;
  return {
    dataset: {
      name: dataset.name,
      table: dataset.tableName,
      rows: dataset.rows,
      format: result.format,
      sha256: dataset.sha256,
    },
    roles: dataset.roles,
    findings: result.findings,
    profile: result.profile,
    seconds: result.seconds,
  };
}

function findingsTable(findings: ImportResult['findings']): string {
  if (findings.length === 0) return 'no findings';
  return table(
    ['severity', 'finding', 'count', 'example lines'],
    findings.map((f) => [f.severity, f.message, f.count, f.exampleLines.join(' ')]),
  );
}

const percent = (value: number | null) => (value === null ? '—' : `${(100 * value).toFixed(2)}%`);

function funnelTable(funnel: Funnel): string {
  const { counts, rates } = funnel;
  const rows: (string | number)[][] = [
    ['exposures', counts.exposures, ''],
    ['clicks', counts.clicks, `CTR ${percent(rates.ctr)}`],
  ];
  if (counts.actions !== null) rows.push(['in-shop actions (clicked)', counts.actions, `AVR ${percent(rates.avr)}`]);
  rows.push(['purchases (clicked)', counts.purchases, `CVR ${percent(rates.cvr)}, CTCVR ${percent(rates.ctcvr)}`]);
  if (counts.purchasesWithoutAction !== null)
    rows.push(['purchases without an action', counts.purchasesWithoutAction, `PSC share ${percent(rates.pscShare)}`]);
  if (counts.funnelViolations > 0) rows.push(['kept rows breaking the funnel', counts.funnelViolations, '']);
  return table(['funnel', 'rows', 'rate'], rows);
}

function report(result: ImportResult, split: SplitSummary | undefined): string {
  const { dataset } = result;
  const parts = [
    `imported ${dataset.rows} rows of ${dataset.sourcePath} (${result.format}) as "${dataset.name}" ` +
      `(table ${dataset.tableName}) in ${result.seconds.toFixed(1)} s`,
    '',
    findingsTable(result.findings),
    '',
    funnelTable(result.profile.funnel),
  ];
  if (split)
    parts.push(
      '',
      `split "${split.split}": train ${split.counts.train}, validation ${split.counts.validation}, test ${split.counts.test}`,
    );
  return parts.join('\n');
}
