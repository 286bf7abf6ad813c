/**
 * Issue 17: the esmc_torch package's own suite (python/esmc_torch/tests, stdlib unittest: the .esmclab format,
 * shards, equal steps, predictions, resume, two and three gloo ranks under torchrun) run with the first Python that
 * has torch and pyarrow (./interpreter.ts). Fails when any Python test fails or errs, naming it; skipped, saying
 * why, where there is no such Python.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findTorchPython, repository } from './interpreter.js';

const python = findTorchPython();
const note = python.ok
  ? ` (Python ${python.versions.python}, torch ${python.versions.torch}, pyarrow ${python.versions.pyarrow})`
  : ` (skipped: ${python.reason})`;

interface UnittestResult {
  code: number | null;
  output: string;
  ran: number;
  ok: boolean;
  failed: string[];
  skipped: number;
}

/** `python -m unittest discover -v`, and what its report says: tests run, the ones that failed or erred. */
function runSuite(): Promise<UnittestResult> {
  if (!python.ok) throw new Error(python.reason);
  const child = spawn(python.python, ['-m', 'unittest', 'discover', '-s', 'python/esmc_torch/tests', '-v'], {
    cwd: repository,
    env: python.env,
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const ran = Number(/^Ran (\d+) tests? in /m.exec(output)?.[1] ?? 0);
      const verdict = /^(OK|FAILED)(?: \(([^)]*)\))?$/m.exec(output);
      const failed = [...output.matchAll(/^(?:FAIL|ERROR): (\S+) \(([^)]+)\)/gm)].map((m) => `${m[2]}`);
      const skipped = Number(/skipped=(\d+)/.exec(verdict?.[2] ?? '')?.[1] ?? 0);
      resolve({ code, output, ran, ok: verdict?.[1] === 'OK', failed, skipped });
    });
  });
}

describe.skipIf(!python.ok)(`esmc_torch's unittest suite${note}`, () => {
  it('passes every test', async () => {
    const result = await runSuite();
    const tail = result.output.slice(-6000);
    expect(result.failed, `failed or erred:\n${tail}`).toEqual([]);
    expect(result.ok, tail).toBe(true);
    expect(result.code, tail).toBe(0);
    // The suite is there, whole: a discovery that finds nothing also says OK.
    expect(result.ran, tail).toBeGreaterThanOrEqual(25);
    expect(result.skipped, tail).toBe(0);
  }, 300_000);
});
