import * as tf from '../tf.js';
import type { BatchMatMulAttrs, KernelFunc, TensorInfo, _FusedMatMulAttrs } from '../tf.js';
import { compileGemm, gemmFits, type Gemm, type GemmShape, type WasmMemory } from './gemm.js';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
  getMemoryOffset(dataId: object): number;
  wasm?: { asm?: { memory?: WasmMemory } };
}

/** Kernels compiled per shape; a run meets a handful (layers × batch sizes), the cap is for long sessions. */
const MAX_KERNELS = 64;
const kernels = new Map<string, Gemm>();
const UNTRANSPOSED = { transposeA: false, transposeB: false };

/** The shapes the GEMM has been compiled for on this thread, e.g. "160×128+bias relu": what tests look at. */
export function compiledGemmShapes(): string[] {
  return [...kernels.keys()];
}

/**
 * The wasm backend's matrix products, which are most of a step's time:
 * - Our GEMM (gemm.ts) where it applies: float32, n a multiple of 8, a bias of n values or none, relu or no
 *   activation, and one batch or equal batches. It is 1.3× XNNPACK's here; other products keep tfjs's kernels.
 * - tfjs-wasm's BatchMatMul is 5–10× slower when asked to transpose an operand (measured on
 *   [1024×160]·[160×128]: 5.7 ms plain, 31–39 ms with transposeA or transposeB) than an explicit transpose
 *   followed by a plain product. Every matMul gradient asks for a transposed operand (dW = xᵀ·dz), so the
 *   operand is transposed on the wasm heap first (`transposeLastTwo`: 0.3 ms for [1024×160], tfjs-wasm's
 *   Transpose 1.45 ms).
 */
export function registerWasmMatMul(backendName: string): boolean {
  const batchMatMul = tf.getKernel(tf.BatchMatMul, backendName);
  const fusedMatMul = tf.getKernel(tf._FusedMatMul, backendName);
  if (!batchMatMul || !fusedMatMul || (batchMatMul as { wrapped?: boolean }).wrapped) return false;
  const product = (
    heap: WasmHeapBackend,
    a: TensorInfo,
    b: TensorInfo,
    bias: TensorInfo | undefined,
    relu: boolean,
  ) => {
    const memory = heap.wasm?.asm?.memory;
    const shape = gemmShape(a, b, bias, relu);
    if (!memory || !shape) return undefined;
    const key = `${shape.k}×${shape.n}${shape.bias ? '+bias' : ''}${shape.relu ? ' relu' : ''}`;
    let gemm = kernels.get(key);
    if (!gemm) {
      if (kernels.size >= MAX_KERNELS) kernels.delete(kernels.keys().next().value!);
      kernels.set(key, (gemm = compileGemm(memory, shape)));
    }
    const m = a.shape.at(-2)!;
    // Leading axes are equal, or one side's are all 1 (one matrix for every one of the other side's).
    const leading = a.shape.slice(0, -2).map((axis, i) => Math.max(axis, b.shape[i]));
    const out = heap.makeOutput([...leading, m, shape.n], 'float32');
    const [aAt, bAt, outAt] = [a, b, out].map((info) => heap.getMemoryOffset(info.dataId));
    const biasAt = bias ? heap.getMemoryOffset(bias.dataId) : 0;
    const [aStride, bStride] = [leadingSize(a) === 1 ? 0 : m * shape.k, leadingSize(b) === 1 ? 0 : shape.k * shape.n];
    for (let i = 0; i < leadingSize(out); i++)
      gemm(aAt + 4 * i * aStride, bAt + 4 * i * bStride, outAt + 4 * i * m * shape.n, biasAt, m);
    return out;
  };
  const swapLastTwo = (x: TensorInfo, heap: WasmHeapBackend): TensorInfo => {
    const shape = [...x.shape];
    const [rows, cols] = shape.splice(-2, 2);
    const out = heap.makeOutput([...shape, cols, rows], 'float32');
    transposeLastTwo(heap.typedArrayFromHeap(x), rows, cols, heap.typedArrayFromHeap(out));
    return out;
  };
  /** Runs `multiply` on untransposed operands (transposed on the heap, freed after). */
  const untransposed = (
    heap: WasmHeapBackend,
    [a0, b0]: TensorInfo[],
    { transposeA, transposeB }: { transposeA: boolean; transposeB: boolean },
    multiply: (a: TensorInfo, b: TensorInfo) => TensorInfo,
  ): TensorInfo => {
    const a = transposeA ? swapLastTwo(a0, heap) : a0;
    const b = transposeB ? swapLastTwo(b0, heap) : b0;
    const result = multiply(a, b);
    if (transposeA) heap.disposeData(a.dataId);
    if (transposeB) heap.disposeData(b.dataId);
    return result;
  };
  const batchMatMulFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as Record<string, TensorInfo>;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return batchMatMul.kernelFunc({ inputs, backend, attrs });
    const heap = backend as WasmHeapBackend;
    return untransposed(
      heap,
      [a, b],
      attrs as unknown as BatchMatMulAttrs,
      (a, b) =>
        product(heap, a, b, undefined, false) ??
        (batchMatMul.kernelFunc({ inputs: { a, b }, backend, attrs: { ...attrs, ...UNTRANSPOSED } }) as TensorInfo),
    );
  };
  const fusedMatMulFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const { activation } = attrs as unknown as _FusedMatMulAttrs;
    const relu = activation === 'relu';
    if (
      preluActivationWeights ||
      !(relu || activation === 'linear') ||
      a!.dtype !== 'float32' ||
      b!.dtype !== 'float32'
    )
      return fusedMatMul.kernelFunc({ inputs, backend, attrs });
    const heap = backend as WasmHeapBackend;
    return untransposed(
      heap,
      [a!, b!],
      attrs as unknown as _FusedMatMulAttrs,
      (a, b) =>
        product(heap, a, b, bias, relu) ??
        (fusedMatMul.kernelFunc({
          inputs: { ...inputs, a, b },
          backend,
          attrs: { ...attrs, ...UNTRANSPOSED },
        }) as TensorInfo),
    );
  };
  for (const [original, kernelFunc] of [
    [batchMatMul, batchMatMulFunc],
    [fusedMatMul, fusedMatMulFunc],
  ] as const) {
    tf.unregisterKernel(original.kernelName, backendName);
    tf.registerKernel({ ...original, kernelFunc, wrapped: true } as typeof original);
  }
  return true;
}

/** The product of every axis but the last two: the number of matrices. */
function leadingSize(x: TensorInfo): number {
  return x.shape.slice(0, -2).reduce((size, axis) => size * axis, 1);
}

/** The GEMM's shape for a · b (+ bias), or undefined where it does not apply. */
function gemmShape(a: TensorInfo, b: TensorInfo, bias: TensorInfo | undefined, relu: boolean): GemmShape | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || a.shape.length !== b.shape.length)
    return undefined;
  const [m, k, n] = [a.shape.at(-2)!, a.shape.at(-1)!, b.shape.at(-1)!];
  if (b.shape.at(-2) !== k || m === 0 || !gemmFits(k, n)) return undefined;
  // One side's matrices broadcast only when it has one; otherwise both have the same leading axes.
  const [leadingA, leadingB] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
  const sameLeading = leadingA.every((axis, i) => axis === leadingB[i]);
  if (!sameLeading && leadingSize(a) !== 1 && leadingSize(b) !== 1) return undefined;
  if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== n)) return undefined;
  return { k, n, bias: bias !== undefined, relu };
}

/** A block's edge, in elements: a 16×16 tile of input and of output stays in the L1 cache. */
const BLOCK = 16;

/**
 * out = the last two axes of `values` swapped, for every leading index. Blocked, and written in order within a
 * block: with 1024 rows a column of the output is 4 KiB apart from the next, and writing across them thrashes
 * the cache (the naive row-by-row loop is 5× slower).
 */
export function transposeLastTwo(values: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const size = rows * cols;
  for (let base = 0; base < values.length; base += size) {
    for (let i0 = 0; i0 < rows; i0 += BLOCK) {
      const i1 = Math.min(i0 + BLOCK, rows);
      for (let j0 = 0; j0 < cols; j0 += BLOCK) {
        const j1 = Math.min(j0 + BLOCK, cols);
        for (let j = j0; j < j1; j++) {
          const to = base + j * rows;
          for (let i = i0; i < i1; i++) out[to + i] = values[base + i * cols + j];
        }
      }
    }
  }
}
