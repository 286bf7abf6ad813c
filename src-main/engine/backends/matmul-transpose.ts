import * as tf from '../tf.js';
import type { BatchMatMulAttrs, KernelFunc, TensorInfo } from '../tf.js';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}

/**
 * tfjs-wasm's BatchMatMul is 5–10× slower when asked to transpose an operand (measured on [1024×160]·[160×128]:
 * 5.7 ms plain, 31–39 ms with transposeA or transposeB) than an explicit transpose followed by a plain product.
 * Every matMul gradient asks for a transposed operand (dW = xᵀ·dz), so backward passes spent most of their time
 * there. This wrapper transposes on the wasm heap and then calls the backend's own untransposed kernel. The
 * transpose is ours too: tfjs-wasm's takes 1.45 ms for [1024×160], `transposeLastTwo` 0.3 ms.
 */
export function registerExplicitTransposeMatMul(backendName: string): boolean {
  const original = tf.getKernel(tf.BatchMatMul, backendName);
  if (!original || (original as { wrapped?: boolean }).wrapped) return false;
  const swapLastTwo = (x: TensorInfo, heap: WasmHeapBackend): TensorInfo => {
    const shape = [...x.shape];
    const [rows, cols] = shape.splice(-2, 2);
    const out = heap.makeOutput([...shape, cols, rows], 'float32');
    transposeLastTwo(heap.typedArrayFromHeap(x), rows, cols, heap.typedArrayFromHeap(out));
    return out;
  };
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    const [a0, b0] = [inputs.a as TensorInfo, inputs.b as TensorInfo];
    if ((!transposeA && !transposeB) || a0.dtype !== 'float32' || b0.dtype !== 'float32')
      return original.kernelFunc({ inputs, backend, attrs });
    const heap = backend as WasmHeapBackend;
    const a = transposeA ? swapLastTwo(a0, heap) : a0;
    const b = transposeB ? swapLastTwo(b0, heap) : b0;
    const product = original.kernelFunc({
      inputs: { a, b },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    if (transposeA) heap.disposeData(a.dataId);
    if (transposeB) heap.disposeData(b.dataId);
    return product;
  };
  tf.unregisterKernel(tf.BatchMatMul, backendName);
  tf.registerKernel({ ...original, kernelFunc, wrapped: true } as typeof original);
  return true;
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
