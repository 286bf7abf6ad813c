/**
 * The Python that runs esmc_torch in the tests: the first of `$ESMC_LAB_PYTHON`, `<repo>/.venv-torch/bin/python`
 * (what `bash .ci/run` sets up), `/usr/bin/python3` and `python3` that imports torch, numpy and pyarrow. Without
 * one, the tests that need it are skipped and say why (the reason names every interpreter tried).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repository = fileURLToPath(new URL('../..', import.meta.url));
/** What PYTHONPATH needs for `-m esmc_torch.…` to run this checkout's package. */
export const packagePath = join(repository, 'python/esmc_torch');

export type TorchPython =
  | {
      ok: true;
      python: string;
      /**
       * Arguments to `python` that start torchrun, before its own (`--nproc_per_node 2 -m esmc_torch.train …`):
       * esmc_torch.torchrun, which is torch.distributed.run with torch 1.13's launcher fixed for Python ≥ 3.11
       * (Debian 12's python3-torch fails there before starting a worker). Needs `env` (PYTHONPATH).
       */
      torchrun: string[];
      /** The environment to run esmc_torch from this checkout: the process's own, PYTHONPATH first. */
      env: NodeJS.ProcessEnv;
      versions: { python: string; torch: string; numpy: string; pyarrow: string };
    }
  | { ok: false; reason: string };

const PROBE =
  'import json, sys, numpy, pyarrow, torch; ' +
  'print(json.dumps({"python": sys.version.split()[0], "torch": torch.__version__, ' +
  '"numpy": numpy.__version__, "pyarrow": pyarrow.__version__}))';

let found: TorchPython | undefined;

export function findTorchPython(): TorchPython {
  found ??= search();
  return found;
}

function candidates(): { python: string; origin: string }[] {
  const list: { python: string; origin: string }[] = [];
  if (process.env.ESMC_LAB_PYTHON) list.push({ python: process.env.ESMC_LAB_PYTHON, origin: '$ESMC_LAB_PYTHON' });
  list.push({ python: join(repository, '.venv-torch/bin/python'), origin: '.venv-torch' });
  list.push({ python: '/usr/bin/python3', origin: '/usr/bin/python3' });
  list.push({ python: 'python3', origin: 'python3 on the PATH' });
  return list;
}

function search(): TorchPython {
  const env = {
    ...process.env,
    PYTHONPATH: [packagePath, process.env.PYTHONPATH].filter(Boolean).join(':'),
  };
  const tried: string[] = [];
  for (const { python, origin } of candidates()) {
    if (python.includes('/') && !existsSync(python)) {
      tried.push(`${origin}: not there`);
      continue;
    }
    const probe = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 60_000, env });
    if (probe.status === 0) {
      try {
        const versions = JSON.parse(probe.stdout.trim().split('\n').pop()!) as {
          python: string;
          torch: string;
          numpy: string;
          pyarrow: string;
        };
        return { ok: true, python, torchrun: ['-m', 'esmc_torch.torchrun'], env, versions };
      } catch {
        tried.push(`${origin}: unreadable answer`);
        continue;
      }
    }
    const missing = /No module named '([^']+)'/.exec(probe.stderr ?? '')?.[1];
    tried.push(
      probe.error
        ? `${origin}: cannot run (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message})`
        : `${origin}: ${missing ? `no ${missing}` : `exit ${probe.status}`}`,
    );
  }
  return {
    ok: false,
    reason: `no Python with torch, numpy and pyarrow (${tried.join('; ')}); bash .ci/run sets up .venv-torch`,
  };
}
