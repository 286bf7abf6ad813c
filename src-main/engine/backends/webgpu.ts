import { existsSync } from 'node:fs';
import * as tf from '../tf.js';

/** Adapters that are a CPU rasteriser behind a GPU API: slower than wasm, only worth it when asked for by name. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe|software/i;

// The few WebGPU shapes used here, so type-checking does not depend on an optional package's typings.
interface GpuAdapterOptions {
  powerPreference?: 'high-performance' | 'low-power';
  featureLevel?: 'core' | 'compatibility';
}
interface GpuAdapter {
  info: { vendor: string; architecture: string; device: string; description: string };
}
interface Gpu {
  requestAdapter(options?: GpuAdapterOptions): Promise<GpuAdapter | null>;
}
interface DawnModule {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}

interface AdapterChoice {
  gpu: Gpu;
  adapter: GpuAdapter;
  /** Requested with featureLevel 'compatibility' (OpenGL ES); tfjs must ask for the same. */
  compatibility: boolean;
}

function describe(adapter: GpuAdapter): string {
  const { vendor, architecture, device, description } = adapter.info;
  return [vendor, architecture, device, description].filter(Boolean).join(' ').trim() || 'unknown adapter';
}

const LINUX_LIBRARY_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib64',
];

/**
 * On Linux a GPU is reached through the Vulkan loader; without it Dawn can only fail, and says so on stderr
 * from native code on every start. Looking for the loader first keeps a CPU-only machine quiet.
 */
function hasGpuLoader(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LINUX_LIBRARY_DIRS];
  return dirs.some((dir) => existsSync(`${dir}/libvulkan.so.1`));
}

/**
 * Dawn's native APIs first (Vulkan, Metal, D3D12: a real GPU without a CUDA install); then, only when software
 * is acceptable, OpenGL ES in compatibility mode, which is what a machine without a GPU driver offers (Mesa's
 * llvmpipe). Null when there is no adapter at all.
 */
async function chooseAdapter(dawn: DawnModule, allowSoftware: boolean): Promise<AdapterChoice | null> {
  if (!allowSoftware && !hasGpuLoader()) return null;
  const native = dawn.create([]);
  const adapter = await native.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter && (allowSoftware || !SOFTWARE_ADAPTER.test(describe(adapter)))) {
    return { gpu: native, adapter, compatibility: false };
  }
  if (!allowSoftware) return null;
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const gles = dawn.create(['backend=opengles']);
  const fallback = await gles.requestAdapter({ featureLevel: 'compatibility' });
  return fallback ? { gpu: gles, adapter: fallback, compatibility: true } : null;
}

/**
 * Starts tfjs's WebGPU backend in Node on Dawn (the `webgpu` package). tfjs-backend-webgpu expects a browser:
 * it looks for `navigator.gpu` when it is imported and asks for its own adapter, so the chosen GPU object is
 * installed as `navigator.gpu` first, asking with the same feature level we found an adapter with. Reading
 * values back must stay asynchronous (`data()`), as the engine does everywhere: sync reads need OffscreenCanvas.
 */
export async function startWebGpu(allowSoftware: boolean): Promise<string> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const dawn = (await import(/* optional */ 'webgpu' as string)) as DawnModule;
  const choice = await chooseAdapter(dawn, allowSoftware);
  if (!choice) {
    throw new Error(
      allowSoftware
        ? 'Dawn found no adapter (no Vulkan, Metal, D3D12 or OpenGL ES driver)'
        : hasGpuLoader()
          ? 'no hardware GPU adapter'
          : 'no Vulkan loader (libvulkan.so.1), so no GPU is reachable',
    );
  }
  const { gpu, adapter, compatibility } = choice;
  const requestAdapter = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = (options?: GpuAdapterOptions) =>
    requestAdapter(compatibility ? { ...options, featureLevel: 'compatibility' } : options);
  Object.assign(globalThis, dawn.globals);
  const scope = globalThis as { navigator?: { gpu?: Gpu } };
  scope.navigator ??= {};
  Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true });
  await import(/* optional */ '@tensorflow/tfjs-backend-webgpu' as string);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not initialise the webgpu backend');
  await tf.ready();
  const name = describe(adapter);
  return SOFTWARE_ADAPTER.test(name) ? `WebGPU, software (${name})` : `WebGPU GPU (${name})`;
}
