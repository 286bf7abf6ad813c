import * as tf from '../tf.js';
import { registerSharedIdentity } from './identity.js';
import { registerWasmMatMul } from './matmul.js';
import { registerSegmentSumKernel } from './segment-sum.js';
import { registerLeadingAxesSum } from './sum-leading-axes.js';
import { startWebGpu } from './webgpu.js';
import { BACKEND_NAMES, type BackendInfo, type BackendName } from '../../../src-shared/types/training.js';

export type { BackendInfo, BackendName } from '../../../src-shared/types/training.js';
export { BACKEND_NAMES, isBackendName } from '../../../src-shared/types/training.js';

/** Starts a backend and names its device; `byName` is true when the user asked for this backend by name. */
type Activation = (byName: boolean) => Promise<string>;

/** The native packages are optional: an offline install has neither, and their import throws without the binding. */
const activations: Record<BackendName, Activation> = {
  'node-gpu': async () => {
    await import(/* optional */ '@tensorflow/tfjs-node-gpu' as string);
    await setBackend('tensorflow');
    const usesGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
    if (!usesGpu) throw new Error('libtensorflow loaded but found no CUDA device');
    return 'CUDA GPU (libtensorflow)';
  },
  webgpu: (byName) => startWebGpu(byName),
  node: async () => {
    await import(/* optional */ '@tensorflow/tfjs-node' as string);
    await setBackend('tensorflow');
    return 'CPU (libtensorflow)';
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await setBackend('wasm');
    registerSegmentSumKernel('wasm');
    registerWasmMatMul('wasm');
    registerLeadingAxesSum('wasm');
    registerSharedIdentity('wasm');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return simd ? 'CPU (wasm SIMD)' : 'CPU (wasm)';
  },
  cpu: async () => {
    await setBackend('cpu');
    registerSegmentSumKernel('cpu');
    return 'CPU (JavaScript)';
  },
};

async function setBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
}

let active: BackendInfo | undefined;

/**
 * Picks the fastest backend this machine can run, in the order node-gpu → node → wasm → cpu, or exactly
 * `requested` when given (failing loudly if it cannot start, since the user asked for it by name).
 */
export async function initBackend(requested?: BackendName): Promise<BackendInfo> {
  if (active && (!requested || requested === active.name)) return active;
  const order: readonly BackendName[] = requested ? [requested] : BACKEND_NAMES;
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    try {
      const device = await activations[name](requested !== undefined);
      active = { name, tfjsBackend: tf.getBackend(), device, skipped };
      return active;
    } catch (error) {
      const reason = firstLine(error);
      if (requested) throw new Error(`Backend "${name}" is not available here: ${reason}`, { cause: error });
      skipped.push({ name, reason });
    }
  }
  throw new Error(`No tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export function activeBackend(): BackendInfo {
  if (!active) throw new Error('initBackend() has not been called');
  return active;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
