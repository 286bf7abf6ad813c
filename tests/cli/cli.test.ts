import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from '../helpers/cli.js';

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
    expect(models.map((m) => m.name)).toEqual(['naive', 'esmm', 'chain', 'esm2', 'esmc', 'esms', 'esmg']);
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
    expect(stdout).toMatch(/model\s+status\s+best epoch\s+cvr_auc/);
    expect(stdout).toContain('esm2');
    expect(stdout).toContain('CPU (JavaScript)');
  });

  it('says what is wrong with the call, and exits 2', async () => {
    const cases: [string[], RegExp][] = [
      [['train'], /--data is required/],
      [['train', '--data', sample, '--model', 'esmx'], /Unknown model "esmx"/],
      [['train', '--data', sample, '--split', '0.5,0.5'], /--split must be three fractions/],
      [['train', '--data', sample, '--epochs', 'two'], /--epochs must be a number/],
      [['train', '--data', sample, '--backend', 'tpu'], /--backend must be one of node-gpu, webgpu, node, wasm, cpu/],
      [['train', '--data', sample, '--frobnicate'], /Unknown option '--frobnicate'/],
      [['train', '--data', sample, '--loss-weights', 'ctr'], /--loss-weights takes term=weight pairs/],
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

  it('runs as the installed command', () => {
    const stdout = execFileSync(process.execPath, [join(root, 'bin/esmc-lab.js'), 'models'], { encoding: 'utf8' });
    expect(stdout).toContain('esmc');
  });
});
