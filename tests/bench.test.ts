import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// A smoke run keeps the benchmark harness working; it asserts what it reports, never how fast anything was.
describe('npm run bench', () => {
  it('measures training, inference and import and writes its report', () => {
    const root = fileURLToPath(new URL('../', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'esmc-bench-test-'));
    try {
      const out = join(dir, 'results.md');
      const args = [
        '--import',
        'tsx',
        'bench/run.ts',
        '--quick',
        '--models',
        'esmm',
        '--backends',
        'wasm',
        '--no-torch',
        '--import-rows',
        '5000',
        '--import-rounds',
        '2',
        '--prediction-rows',
        '20000',
        '--out',
        out,
      ];
      const stdout = execFileSync(process.execPath, args, {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(stdout).toMatch(/esmm\s+tfjs wasm\s+sparse\s+[\d,]+/);
      // Two rounds: the row reports the round of median ratio, and both rounds' ratios.
      expect(stdout).toMatch(/Import: 5000 rows .* import ÷ plain read [\d.]+× \(rounds: [\d.]+×, [\d.]+×\)/);
      // The imports' own peak RSS, then the process's (writing the file and the plain reads too).
      const [, imports, whole] = /peak RSS (\d+) MiB \(process (\d+) MiB\)/.exec(stdout) ?? [];
      expect(Number(imports)).toBeGreaterThan(50);
      expect(Number(imports)).toBeLessThanOrEqual(Number(whole));
      expect(stdout).toMatch(/Predictions import: 20000 rows in [\d.]+ s/);
      const report = readFileSync(out, 'utf8');
      expect(report).toContain('## Results');
      expect(report).toMatch(
        /## Import \(issues 4 and 21\)[\s\S]*\| 5,000 \| csv, \d+ MB \| [\d.]+ s \| [\d,]+ \| \d+, \d+ \(\d+\) \|/,
      );
      expect(report).toMatch(/## Predictions import \(issue 17\)[\s\S]*\| 20,000 \|/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
