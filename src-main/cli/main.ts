import { parseArgs } from 'node:util';
import { DataError } from '../engine/data/errors.js';
import { METRIC_DESCRIPTIONS } from '../engine/metrics/index.js';
import { print, printError, UsageError, type Command, type Values } from './command.js';
import { evaluateCommand } from './commands/evaluate.js';
import { experimentCommand } from './commands/experiment.js';
import { importCommand } from './commands/import.js';
import { importPredictionsCommand } from './commands/import-predictions.js';
import { exportCommand } from './commands/export.js';
import { backendsCommand, modelsCommand } from './commands/info.js';
import { pscCommand } from './commands/psc.js';
import { reportCommand } from './commands/report.js';
import { demoCommand } from './commands/demo.js';
import { serveCommand } from './commands/serve.js';
import { simulateCommand } from './commands/simulate.js';
import { startCommand } from './commands/start.js';
import { trainCommand } from './commands/train.js';

/** Every command, in the order `esmc-lab --help` lists them (and README.md's CLI table, which a test checks). */
export const commands: Record<string, Command> = {
  start: startCommand,
  import: importCommand,
  train: trainCommand,
  evaluate: evaluateCommand,
  'import-predictions': importPredictionsCommand,
  export: exportCommand,
  simulate: simulateCommand,
  psc: pscCommand,
  experiment: experimentCommand,
  report: reportCommand,
  serve: serveCommand,
  demo: demoCommand,
  models: modelsCommand,
  backends: backendsCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    print(overview());
    return 0;
  }
  if (name === '--version') {
    print(await version());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    printError(`Unknown command "${name}".\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    print(`${command.summary}\n\nUsage: ${command.usage}\n\n${command.help}`);
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: command.options,
      strict: true,
      allowPositionals: command.positionals ?? false,
    });
    return await command.run(values as Values, positionals);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      printError(`${(error as Error).message}\n\nUsage: ${command.usage}\nSee: esmc-lab ${name} --help`);
      return 2;
    }
    printError(error instanceof DataError ? error.message : `Error: ${(error as Error).message}`);
    return 1;
  }
}

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const list = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`);
  const metrics = Object.entries(METRIC_DESCRIPTIONS).map(([k, v]) => `  ${k.padEnd(16)} ${v}`);
  return `esmc-lab — entire-space post-click conversion models and Probability Space Confusion

Usage: esmc-lab <command> [options]      esmc-lab <command> --help

Commands:
${list.join('\n')}

Metrics reported:
${metrics.join('\n')}`;
}

/** The package's version; found by walking up, since this file runs from src-main/ in tests and dist/ when built. */
async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    const text = await readFile(new URL('package.json', dir), 'utf8').catch(() => undefined);
    const pkg = text && (JSON.parse(text) as { name?: string; version?: string });
    if (pkg && pkg.name === 'esmc-lab') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}
