import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiService } from '../../src-main/api/service.js';
import { ServiceHarness } from './harness.js';

const sample = fileURLToPath(new URL('../../assets/samples/funnel-sample.csv', import.meta.url));
let dir: string;
let api: ServiceHarness;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-backend-'));
  // `serve --backend node-gpu` on a machine without CUDA (or without the native package).
  api = new ServiceHarness(
    await createApiService({ projectPath: join(dir, 'lab.duckdb'), shell: 'browser', workers: 1, backend: 'node-gpu' }),
  );
});

afterAll(async () => {
  await api.service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a service started with a backend that cannot start', () => {
  it('says which backend it uses instead, and trains on that one', async (context) => {
    const { backend } = await api.call('app.info', {});
    if (backend.name === 'node-gpu') return context.skip('node-gpu starts on this machine');
    const [run] = await api.importAndTrainTiny(sample, 'funnel', 512);
    expect(run.error).toBeUndefined();
    expect([run.status, run.backend?.name]).toEqual(['completed', backend.name]);
    expect(backend.skipped[0]).toMatchObject({ name: 'node-gpu' });
    expect(backend.skipped[0].reason).toContain(`training uses ${backend.name} instead`);
  });
});
