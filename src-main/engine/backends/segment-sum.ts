import * as tf from '../tf.js';
import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '../tf.js';

/**
 * The gradient of `gather` (every embedding lookup) is `UnsortedSegmentSum`. The wasm backend has no such
 * kernel and the cpu backend's loops over every segment, O(vocab · rows · dim), which makes an embedding
 * step take seconds. This one pass adds each input row into the output row its segment id selects: O(rows · dim).
 */
export function segmentSumRows(
  values: Float32Array,
  segmentIds: ArrayLike<number>,
  numSegments: number,
  rowWidth: number,
): Float32Array {
  const out = new Float32Array(numSegments * rowWidth);
  for (let row = 0; row < segmentIds.length; row++) {
    const segment = segmentIds[row];
    // tfjs drops out-of-range ids (negative or ≥ numSegments) rather than failing, and so do we.
    if (segment < 0 || segment >= numSegments) continue;
    const from = row * rowWidth;
    const to = segment * rowWidth;
    for (let k = 0; k < rowWidth; k++) out[to + k] += values[from + k];
  }
  return out;
}

interface ReadableBackend {
  readSync(dataId: object): unknown;
}

type MakeOutput = (backend: never, shape: number[], values: Float32Array) => TensorInfo;

function segmentSumKernel(makeOutput: MakeOutput): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const segmentIds = inputs.segmentIds as TensorInfo;
    const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
    if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum: only float32 is supported, got ${x.dtype}`);
    const reader = backend as ReadableBackend;
    const ids = reader.readSync(segmentIds.dataId) as Int32Array;
    const values = reader.readSync(x.dataId) as Float32Array;
    const innerShape = x.shape.slice(segmentIds.shape.length);
    const rowWidth = innerShape.reduce((a, b) => a * b, 1);
    const out = segmentSumRows(values, ids, numSegments, rowWidth);
    return makeOutput(backend as never, [numSegments, ...innerShape], out);
  };
}

const outputMakers: Record<string, MakeOutput> = {
  cpu: (backend: { makeTensorInfo(s: number[], d: 'float32', v: Float32Array): TensorInfo }, shape, values) =>
    backend.makeTensorInfo(shape, 'float32', values),
  wasm: (
    backend: { makeOutput(s: number[], d: 'float32', o: undefined, v: Float32Array): TensorInfo },
    shape,
    values,
  ) => backend.makeOutput(shape, 'float32', undefined, values),
};

/** Replaces `UnsortedSegmentSum` on the cpu/wasm backends; others (webgl, webgpu, tensorflow) keep their own. */
export function registerSegmentSumKernel(backendName: string): boolean {
  const makeOutput = outputMakers[backendName];
  if (!makeOutput) return false;
  const config: KernelConfig = {
    kernelName: tf.UnsortedSegmentSum,
    backendName,
    kernelFunc: segmentSumKernel(makeOutput),
  };
  if (tf.getKernel(tf.UnsortedSegmentSum, backendName)) tf.unregisterKernel(tf.UnsortedSegmentSum, backendName);
  tf.registerKernel(config);
  return true;
}
