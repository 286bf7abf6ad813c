import * as tf from '../tf.js';
import type { BatchMatMulAttrs, KernelFunc, TensorInfo, _FusedMatMulAttrs } from '../tf.js';
import { compileGemm, gemmFits, type Gemm, type GemmShape } from './gemm.js';
import type { WasmHeapBackend, WasmMemory } from './wasm-heap.js';

/** Kernels compiled per shape; a run meets a handful (layers × batch sizes), the cap is for long sessions. */
const MAX_KERNELS = 64;
/** By shape; each is compiled against one heap (a backend made anew has another). */
const kernels = new Map<string, { memory: WasmMemory; gemm: Gemm }>();
const UNTRANSPOSED = { transposeA: false, transposeB: false };

/** The shapes the GEMM has been compiled for on this thread ("160×128+bias relu", "1024×128 aᵀ m=160"). */
export function compiledGemmShapes(): string[] {
  return [...kernels.keys()];
}

/**
 * The wasm backend's matrix products, which are most of a step's time:
 * - Our GEMM (gemm.ts) where it applies: float32, n a multiple of 8, a bias of n values or none, relu or no
 *   activation, one batch or equal batches; a transposed left operand costs it nothing. It is 1.3× XNNPACK's
 *   here; other products keep tfjs's kernels.
 * - tfjs-wasm's BatchMatMul is 5–10× slower when asked to transpose an operand (measured on
 *   [1024×160]·[160×128]: 5.7 ms plain, 31–39 ms with transposeA or transposeB) than an explicit transpose
 *   followed by a plain product, and every matMul gradient asks for one (dX = dz·Wᵀ, dW = xᵀ·dz). So the
 *   operands the kernel cannot take transposed are transposed on the wasm heap first (`transposeLastTwo`:
 *   0.3 ms for [1024×160], tfjs-wasm's Transpose 1.45 ms).
 */
export function registerWasmMatMul(backendName: string): boolean {
  const batchMatMul = tf.getKernel(tf.BatchMatMul, backendName);
  const fusedMatMul = tf.getKernel(tf._FusedMatMul, backendName);
  if (!batchMatMul || !fusedMatMul || (batchMatMul as { wrapped?: boolean }).wrapped) return false;
  const batchMatMulFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as Record<string, TensorInfo>;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return batchMatMul.kernelFunc({ inputs, backend, attrs });
    return multiply(backend as WasmHeapBackend, { a, b }, attrs as unknown as BatchMatMulAttrs, (a, b) =>
      batchMatMul.kernelFunc({ inputs: { a, b }, backend, attrs: { ...attrs, ...UNTRANSPOSED } }),
    );
  };
  const fusedMatMulFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const { activation } = attrs as unknown as _FusedMatMulAttrs;
    const fusable = !preluActivationWeights && (activation === 'relu' || activation === 'linear');
    if (!fusable || a!.dtype !== 'float32' || b!.dtype !== 'float32')
      return fusedMatMul.kernelFunc({ inputs, backend, attrs });
    const operands = { a: a!, b: b!, bias, relu: activation === 'relu' };
    return multiply(backend as WasmHeapBackend, operands, attrs as unknown as _FusedMatMulAttrs, (a, b) =>
      fusedMatMul.kernelFunc({ inputs: { ...inputs, a, b }, backend, attrs: { ...attrs, ...UNTRANSPOSED } }),
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

type Operands = { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; relu?: boolean };
type Transposes = { transposeA: boolean; transposeB: boolean };
type UntransposedKernel = (a: TensorInfo, b: TensorInfo) => TensorInfo | TensorInfo[];

/** The product by our GEMM where it applies, by `fallback` on untransposed operands where not. */
function multiply(heap: WasmHeapBackend, operands: Operands, transposes: Transposes, fallback: UntransposedKernel) {
  const { a, b } = operands;
  const plainB = transposes.transposeB ? swapLastTwo(b, heap) : b;
  let result: TensorInfo | TensorInfo[] | undefined = gemmProduct(
    heap,
    { ...operands, b: plainB },
    transposes.transposeA,
  );
  if (!result) {
    const plainA = transposes.transposeA ? swapLastTwo(a, heap) : a;
    result = fallback(plainA, plainB);
    if (plainA !== a) heap.disposeData(plainA.dataId);
  }
  if (plainB !== b) heap.disposeData(plainB.dataId);
  return result;
}

function gemmProduct(heap: WasmHeapBackend, { a, b, bias, relu = false }: Operands, transposeA: boolean) {
  const memory = heap.wasm?.asm?.memory;
  const shape = gemmShape(a, b, bias, relu, transposeA);
  if (!memory || !shape) return undefined;
  const { k, n, transposedAOfRows } = shape;
  const key = `${k}×${n}${bias ? '+bias' : ''}${relu ? ' relu' : ''}${transposedAOfRows ? ` aᵀ m=${transposedAOfRows}` : ''}`;
  let gemm = kernels.get(key)?.memory === memory ? kernels.get(key)!.gemm : undefined;
  if (!gemm) {
    kernels.delete(key);
    if (kernels.size >= MAX_KERNELS) kernels.delete(kernels.keys().next().value!);
    kernels.set(key, { memory, gemm: (gemm = compileGemm(memory, shape)) });
  }
  const m = transposeA ? a.shape.at(-1)! : a.shape.at(-2)!;
  // Leading axes are equal, or one side's are all 1 (one matrix for every one of the other side's).
  const leading = a.shape.slice(0, -2).map((axis, i) => Math.max(axis, b.shape[i]));
  const out = heap.makeOutput([...leading, m, n], 'float32');
  const [aAt, bAt, outAt] = [a, b, out].map((info) => heap.getMemoryOffset(info.dataId));
  const biasAt = bias ? heap.getMemoryOffset(bias.dataId) : 0;
  const [aStride, bStride] = [leadingSize(a) === 1 ? 0 : m * k, leadingSize(b) === 1 ? 0 : k * n];
  for (let i = 0; i < leadingSize(out); i++)
    gemm(aAt + 4 * i * aStride, bAt + 4 * i * bStride, outAt + 4 * i * m * n, biasAt, m);
  return out;
}

function swapLastTwo(x: TensorInfo, heap: WasmHeapBackend): TensorInfo {
  const shape = [...x.shape];
  const [rows, cols] = shape.splice(-2, 2);
  const out = heap.makeOutput([...shape, cols, rows], 'float32');
  transposeLastTwo(heap.typedArrayFromHeap(x), rows, cols, heap.typedArrayFromHeap(out));
  return out;
}

/** The product of every axis but the last two: the number of matrices. */
function leadingSize(x: TensorInfo): number {
  return x.shape.slice(0, -2).reduce((size, axis) => size * axis, 1);
}

/** The GEMM's shape for a · b (+ bias), a given as aᵀ when `transposeA`; undefined where it does not apply. */
function gemmShape(
  a: TensorInfo,
  b: TensorInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
  transposeA: boolean,
): GemmShape | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || a.shape.length !== b.shape.length)
    return undefined;
  const [rows, columns] = [a.shape.at(-2)!, a.shape.at(-1)!];
  const [m, k, n] = transposeA ? [columns, rows, b.shape.at(-1)!] : [rows, columns, b.shape.at(-1)!];
  if (b.shape.at(-2) !== k || m === 0 || !gemmFits(k, n)) return undefined;
  const [leadingA, leadingB] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
  const sameLeading = leadingA.every((axis, i) => axis === leadingB[i]);
  if (!sameLeading && leadingSize(a) !== 1 && leadingSize(b) !== 1) return undefined;
  if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== n)) return undefined;
  return { k, n, bias: bias !== undefined, relu, ...(transposeA && { transposedAOfRows: m }) };
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
