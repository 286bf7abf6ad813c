import { initBackend } from '../../engine/backends/index.js';
import { MODEL_NAMES, modelInfo } from '../../engine/models/index.js';
import { backendHelp, backendName, backendOption, print, type Command } from '../command.js';

export const modelsCommand: Command = {
  summary: 'list the models with their formulas and what supervises them',
  usage: 'esmc-lab models [--json]',
  options: { json: { type: 'boolean', default: false } },
  help: '  --json    print as JSON',
  run: async (values) => {
    const infos = MODEL_NAMES.map(modelInfo);
    const width = Math.max(...infos.map((info) => info.name.length));
    const indent = ' '.repeat(width + 1);
    if (values.json) print(JSON.stringify(infos, null, 2));
    else
      for (const info of infos)
        print(
          `${info.name.padEnd(width)} ${info.title} — ${info.paper}\n${indent}${info.formula}\n${indent}loss: ${info.supervision.join(' + ')}\n`,
        );
    return 0;
  },
};

export const backendsCommand: Command = {
  summary: 'show which tfjs backend and device this machine would train on',
  usage: 'esmc-lab backends [--backend NAME] [--json]',
  options: { ...backendOption, json: { type: 'boolean', default: false } },
  help: `${backendHelp}\n  --json    print as JSON`,
  run: async (values) => {
    const info = await initBackend(backendName(values.backend));
    if (values.json) print(JSON.stringify(info, null, 2));
    else {
      print(`${info.name}: ${info.device}`);
      for (const { name, reason } of info.skipped) print(`  skipped ${name}: ${reason}`);
    }
    return 0;
  },
};
