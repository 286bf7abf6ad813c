import * as tf from '../tf.js';
import type { KernelFunc, SumAttrs, TensorInfo } from '../tf.js';
import type { WasmHeapBackend } from './wasm-heap.js';

/** Below this many summed rows the backend's own kernel is as fast and the detour is not worth it. */
const MIN_ROWS = 64;

function leadingAxesCount(axis: number | number[], rank: number): number {
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort();
  return axes.length < rank && axes.every((a, i) => a === i) ? axes.length : 0;
}

/**
 * Every bias gradient is a sum over the batch axis, and tfjs-wasm sums a leading axis by first transposing it
 * to the end: 1.15 ms for [1024×128], and a step has one per layer per tower. Adding the rows in place on the
 * wasm heap is one pass over memory in order. (A product with a row of ones would be faster still, but the
 * wasm matMul caches its packed right operand by tensor id, so a reshaped view of the same data in another
 * shape would get a stale operator.) Everything but a float32 sum over leading axes goes to the backend.
 */
export function registerLeadingAxesSum(backendName: string): boolean {
  const original = tf.getKernel(tf.Sum, backendName);
  if (!original || (original as { wrapped?: boolean }).wrapped) return false;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const { axis, keepDims } = attrs as unknown as SumAttrs;
    const leading = leadingAxesCount(axis, x.shape.length);
    const rows = x.shape.slice(0, leading).reduce((a, b) => a * b, 1);
    if (x.dtype !== 'float32' || leading === 0 || rows < MIN_ROWS)
      return original.kernelFunc({ inputs, backend, attrs });
    const heap = backend as WasmHeapBackend;
    const rest = x.shape.slice(leading);
    const width = rest.reduce((a, b) => a * b, 1);
    const shape = keepDims ? [...new Array<number>(leading).fill(1), ...rest] : rest;
    const out = heap.makeOutput(shape, 'float32');
    sumRows(heap.typedArrayFromHeap(x), rows, width, heap.typedArrayFromHeap(out));
    return out;
  };
  tf.unregisterKernel(tf.Sum, backendName);
  tf.registerKernel({ ...original, kernelFunc, wrapped: true } as typeof original);
  return true;
}

/**
 * out[j] = Σ_i values[i·width + j], accumulated in float64 so long batches lose nothing to rounding; four rows
 * per pass over the accumulators, which is what makes it 2.5× faster than one.
 */
export function sumRows(values: Float32Array, rows: number, width: number, out: Float32Array): void {
  const sums = new Float64Array(width);
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const a = i * width;
    const b = a + width;
    const c = b + width;
    const d = c + width;
    for (let j = 0; j < width; j++) sums[j] += values[a + j] + values[b + j] + values[c + j] + values[d + j];
  }
  for (; i < rows; i++) for (let j = 0, offset = i * width; j < width; j++) sums[j] += values[offset + j];
  out.set(sums);
}
