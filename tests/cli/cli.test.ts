import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from '../helpers/cli.js';
import { openProject } from '../../src-main/engine/store/project.js';
import { listRuns } from '../../src-main/engine/store/runs.js';
import { MODEL_NAMES } from '../../src-main/engine/models/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sample = join(root, 'assets/samples/funnel-sample.csv');
let workdir: string;

beforeAll(() => {
  workdir = mkdtempSync(join(tmpdir(), 'esmc-cli-'));
});
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** Runs the CLI in-process and captures what it prints. */
describe('esmc-lab CLI', () => {
  it('explains itself: overview, per-command help, metric definitions', async () => {
    const overview = await cli('--help');
    expect(overview.code).toBe(0);
    for (const command of ['train', 'evaluate', 'models', 'backends']) expect(overview.stdout).toContain(command);
    expect(overview.stdout).toContain('cvr_auc');
    for (const command of ['train', 'evaluate', 'models', 'backends']) {
      const help = await cli(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: esmc-lab ${command}`);
    }
    expect((await cli('train', '--help')).stdout).toContain('--lambda');
  });

  it('knows its version', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect((await cli('--version')).stdout.trim()).toBe(version);
  });

  it('lists every model with its formula', async () => {
    const { code, stdout } = await cli('models', '--json');
    expect(code).toBe(0);
    const models = JSON.parse(stdout) as { name: string; formula: string }[];
    expect(models.map((m) => m.name)).toEqual(MODEL_NAMES);
    expect(models.find((m) => m.name === 'esm2')!.formula).toContain('(1 − pAVR)');
  });

  it('trains, records the backend and data hash, saves, and scores a file with the saved model', async () => {
    const save = join(workdir, '{model}.esmc');
    const trained = await cli(
      'train',
      '--data',
      sample,
      '--model',
      'esmm,esmc',
      '--epochs',
      '1',
      '--batch-size',
      '256',
      '--backend',
      'wasm',
      '--save',
      save,
      '--json',
    );
    expect(trained.code, trained.stderr).toBe(0);
    const runs = JSON.parse(trained.stdout) as {
      model: string;
      backend: { name: string; device: string };
      data: { sha256: string; rows: number };
      metrics: { test: Record<string, number> };
      training: { curve: unknown[] };
      savedTo: string;
    }[];
    expect(runs.map((r) => r.model)).toEqual(['esmm', 'esmc']);
    for (const run of runs) {
      expect(run.backend).toMatchObject({ name: 'wasm', device: expect.stringContaining('wasm') });
      expect(run.data.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(run.metrics.test.cvr_auc).toBeGreaterThan(0);
      expect(run.metrics.test.ctcvr_auc).toBeGreaterThan(0);
      expect(run.training.curve.length).toBeGreaterThan(0);
      expect(existsSync(run.savedTo)).toBe(true);
    }
    expect(runs[1].metrics.test.ctavr_auc).toBeGreaterThan(0);

    const predictions = join(workdir, 'predictions.csv');
    const scored = await cli(
      'evaluate',
      '--model-file',
      runs[1].savedTo,
      '--data',
      sample,
      '--predictions',
      predictions,
      '--json',
    );
    expect(scored.code, scored.stderr).toBe(0);
    const report = JSON.parse(scored.stdout) as { rows: number; metrics: Record<string, number> };
    const lines = readFileSync(predictions, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('p_ctr,p_avr,p_cvr,p_ctavr,p_ctcvr');
    expect(lines.length - 1).toBe(report.rows);
    for (const line of lines.slice(1)) {
      const [ctr, , cvr, , ctcvr] = line.split(',').map(Number);
      expect(ctcvr).toBeCloseTo(ctr * cvr, 6);
    }
    expect(report.metrics.cvr_auc).toBeGreaterThan(0);
    expect(report.metrics.cvr_auc).toBeLessThan(1);
  });

  it('prints a table for people', async () => {
    const { code, stdout } = await cli(
      'train',
      '--data',
      sample,
      '--model',
      'esm2',
      '--epochs',
      '1',
      '--backend',
      'cpu',
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/model\s+status\s+learned\s+best epoch\s+cvr_auc/);
    expect(stdout).toContain('esm2');
    expect(stdout).toContain('CPU (JavaScript)');
  });

  it('says what is wrong with the call, and exits 2', async () => {
    const cases: [string[], RegExp][] = [
      [['train'], /--data is required/],
      [['train', '--data', sample, '--model', 'esmx'], /Unknown model "esmx"/],
      [['train', '--data', sample, '--split', '0.5,0.5'], /--split must be three fractions/],
      [
        ['train', '--data', sample, '--epochs', 'two'],
        /--epochs: epochs must be a whole number from 1 to 1,000, or auto; got "two"/,
      ],
      [['train', '--data', sample, '--backend', 'tpu'], /--backend must be one of node-gpu, webgpu, node, wasm, cpu/],
      [['train', '--data', sample, '--frobnicate'], /Unknown option '--frobnicate'/],
      [['train', '--data', sample, '--loss-weights', 'ctr'], /--loss-weights: loss weights must be name=weight pairs/],
      [['train', '--data', sample, '--threads', '0'], /--threads must be 1 or more; got 0/],
      [['train', '--data', sample, '--threads', 'many'], /--threads must be a number/],
      [['fly'], /Unknown command "fly"/],
    ];
    for (const [argv, message] of cases) {
      const { code, stderr } = await cli(...argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
  });

  it('reports bad data with its location, and exits 1', async () => {
    const missing = await cli('train', '--data', join(workdir, 'nope.csv'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.csv');
    const bad = join(workdir, 'bad.csv');
    writeFileSync(bad, 'click,action,purchase,item\n1,0,0,a\n1,0,2,b\n');
    const result = await cli('train', '--data', bad);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.csv:3:3/);
  });

  it('takes --roles in train, psc and evaluate, as import does', async () => {
    const help = await Promise.all(['train', 'psc', 'evaluate', 'import'].map((command) => cli(command, '--help')));
    for (const { stdout } of help) expect(stdout).toContain('userFeature=false');
    // Applied: a user column the file lacks is named.
    for (const command of ['train', 'psc']) {
      const { code, stderr } = await cli(command, '--data', sample, '--roles', 'user=nobody', '--epochs', '1');
      expect(code, command).toBe(1);
      expect(stderr).toContain('the user column "nobody" is not in the header');
    }
    const usage = await cli('train', '--data', sample, '--roles', 'userFeature=maybe');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('userFeature must be true or false');
    const onProject = await cli('psc', '--project', join(workdir, 'none.duckdb'), '--dataset', 'd', '--roles', 'a=b');
    expect(onProject.code).toBe(2);

    const train = (...roles: string[]) =>
      cli('train', '--data', sample, '--model', 'esmm', '--epochs', '1', '--backend', 'cpu', '--json', ...roles);
    const [withUser, withoutUser] = [await train(), await train('--roles', 'userFeature=false')];
    expect(withUser.code, withUser.stderr).toBe(0);
    expect(withoutUser.code, withoutUser.stderr).toBe(0);
    const parametersOf = (stdout: string) => (JSON.parse(stdout) as { parameters: number }).parameters;
    expect(parametersOf(withoutUser.stdout)).toBeLessThan(parametersOf(withUser.stdout));

    const model = join(workdir, 'roles.esmc');
    expect((await cli('train', '--data', sample, '--model', 'esmm', '--epochs', '1', '--save', model)).code).toBe(0);
    const scored = await cli('evaluate', '--model-file', model, '--data', sample, '--roles', 'user=item_id', '--json');
    expect(scored.code, scored.stderr).toBe(0);
    const fixed = await cli('evaluate', '--model-file', model, '--data', sample, '--roles', 'userFeature=false');
    expect(fixed.code).toBe(2);
    expect(fixed.stderr).toContain("the model's saved encoding fixes its features");
  });

  it('simulates the worlds the PSC experiment varies: selection bias and effect strength', async () => {
    const out = join(workdir, 'knobs.csv');
    const stats = async (...knobs: string[]) => {
      const run = await cli('simulate', '--rows', '3000', '--out', out, '--json', ...knobs);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as { config: Record<string, unknown>; stats: { clicks: number } };
    };
    const base = await stats();
    const changed = await stats('--click-purchase-correlation', '0.9', '--effect-strength', '0.8');
    expect([base.config.clickPurchaseCorrelation, base.config.effectStrength]).toEqual([0.5, 0.35]);
    expect([changed.config.clickPurchaseCorrelation, changed.config.effectStrength]).toEqual([0.9, 0.8]);
    expect(changed.stats.clicks).not.toBe(base.stats.clicks);
    const bad = await cli('simulate', '--rows', '10', '--out', out, '--effect-strength', '11');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--effect-strength must be in [0, 10]; got 11');
  });

  it('analyses PSC on a project dataset, storing the runs, and names the truth it cannot check', async () => {
    const simulated = join(workdir, 'sim.csv');
    const projectPath = join(workdir, 'psc.duckdb');
    expect((await cli('simulate', '--preset', 'paper-like', '--rows', '2000', '--out', simulated)).code).toBe(0);
    const imported = await cli('import', '--project', projectPath, '--data', simulated, '--name', 'sim', '--json');
    expect(imported.code, imported.stderr).toBe(0);
    const common = ['--model', 'chain,esmc', '--epochs', '1', '--backend', 'cpu'];
    const result = await cli('psc', '--project', projectPath, '--dataset', 'sim', ...common, '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stored 2 runs in .*psc\.duckdb/);
    const analysis = JSON.parse(result.stdout) as {
      models: Record<string, unknown>;
      truth: { unchecked: unknown[]; oracleAuc: Record<string, number>; errors: Record<string, unknown> } | null;
    };
    expect(Object.keys(analysis.models)).toEqual(['chain', 'esmc']);
    expect(analysis.truth?.unchecked).toEqual([]);
    expect(analysis.truth?.oracleAuc.ctcvr_auc).toBeGreaterThan(0.5);
    const project = await openProject(projectPath);
    try {
      const runs = await listRuns(project);
      expect(runs.map((run) => `${run.model} on ${run.dataset}`).sort()).toEqual(['chain on sim', 'esmc on sim']);
      for (const run of runs) expect(run.status).toMatch(/^(completed|early-stopped)$/);
    } finally {
      project.close();
    }

    // A file with only true_ctr, true_avr and true_cvr: those are checked, the others named.
    const lines = readFileSync(simulated, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const kept = header
      .map((name, i) => [name, i] as const)
      .filter(([name]) => !name.startsWith('true_') || ['true_ctr', 'true_avr', 'true_cvr'].includes(name));
    const partial = join(workdir, 'partial.csv');
    writeFileSync(
      partial,
      lines
        .map((line) => {
          const cells = line.split(',');
          return kept.map(([, i]) => cells[i]).join(',');
        })
        .join('\n') + '\n',
    );
    const described = await cli('psc', '--data', partial, ...common);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toContain('no true_ctcvr column: CTCVR not checked against the truth');
    expect(described.stdout).toMatch(/model\s+ctr rmse\s+avr rmse\s+cvr rmse/);
    expect(described.stdout).toMatch(/oracle ctr_auc [\d.]+, cvr_auc [\d.]+, avr_auc/);
  });

  it('runs as the installed command', () => {
    const stdout = execFileSync(process.execPath, [join(root, 'bin/esmc-lab.js'), 'models'], { encoding: 'utf8' });
    expect(stdout).toContain('esmc');
  });
});
