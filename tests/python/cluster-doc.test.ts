/**
 * Issue 17: docs/cluster.md walks an analyst from a project to a multi-node torchrun and back to the PSC verdict,
 * and every command in it runs here, as written: each `sh` block in one bash, in one working folder, with
 * `esmc-lab` the built CLI of this checkout and `python3` an interpreter with torch and pyarrow. A block marked
 * `on each node` runs twice at once (NODE_RANK 0 and 1, MASTER 127.0.0.1): two nodes on one machine.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openProject } from '../../src-main/engine/store/project.js';
import { listRuns } from '../../src-main/engine/store/runs.js';
import { findTorchPython } from './interpreter.js';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(repository, 'docs/cluster.md'), 'utf8');
const blocks = [...doc.matchAll(/^```sh( on each node)?\n([\s\S]*?)^```/gm)].map((match) => ({
  eachNode: match[1] !== undefined,
  script: match[2],
}));
const python = findTorchPython();
const built = existsSync(join(repository, 'dist/src-main/cli/main.js'));
const reason = !python.ok ? python.reason : !built ? 'the CLI is not built (npm run build)' : '';

const dir = mkdtempSync(join(tmpdir(), 'esmc-cluster-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bash(script: string, env: Record<string, string>): Promise<void> {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: join(dir, 'work'),
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`exit ${code} running:\n${script}\n${output.slice(-4000)}`)),
    ),
  );
}

describe.skipIf(reason !== '')(`docs/cluster.md, command by command${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('runs every command, and the project ends with the cluster runs and their report', async () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(blocks.some((block) => block.eachNode)).toBe(true);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    mkdirSync(join(dir, 'work'));
    writeFileSync(
      join(bin, 'esmc-lab'),
      `#!/bin/sh\nexec "${process.execPath}" "${join(repository, 'bin/esmc-lab.js')}" "$@"\n`,
    );
    writeFileSync(join(bin, 'python3'), `#!/bin/sh\nexec "${python.ok ? python.python : 'false'}" "$@"\n`);
    chmodSync(join(bin, 'esmc-lab'), 0o755);
    chmodSync(join(bin, 'python3'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}`, REPO: repository, MASTER: '127.0.0.1' };
    for (const block of blocks) {
      if (block.eachNode) await Promise.all(['0', '1'].map((rank) => bash(block.script, { ...env, NODE_RANK: rank })));
      else await bash(block.script, env);
    }

    const project = await openProject(join(dir, 'work', 'lab.duckdb'));
    try {
      const runs = await listRuns(project);
      const external = runs.filter((run) => run.external);
      expect(external.map((run) => run.model).sort()).toEqual(['esmc-ddp', 'esmm-cluster']);
      for (const run of external) {
        expect(run.learning?.status).toBe('learned');
        expect(run.metrics.test?.cvr_auc).toBeGreaterThan(0.55);
      }
    } finally {
      project.close();
    }
    expect(
      readFileSync(join(dir, 'work', 'cluster-report.pdf'))
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
  }, 900_000);
});
