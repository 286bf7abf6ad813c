import * as tf from '../tf.js';
import type { TensorInfo } from '../tf.js';

/** What of the WebAssembly API the engine uses (the project's type libraries leave it out). */
export interface WasmMemory {
  buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The parts of tfjs-wasm's backend that the kernels written here use: its heap, where every tensor lives. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
  getMemoryOffset(dataId: object): number;
  wasm?: { asm?: { memory?: WasmMemory } };
}

/**
 * A float32 tensor whose every value `write` sets, in place: on the wasm heap when the backend is wasm (no
 * array of its own to allocate, fault in and copy over), in a new array otherwise. The memory it is given is
 * not cleared first on the wasm heap.
 */
export function writtenTensor(shape: number[], write: (values: Float32Array) => void): tf.Tensor {
  if (tf.getBackend() !== 'wasm') {
    const values = new Float32Array(shape.reduce((size, axis) => size * axis, 1));
    write(values);
    return tf.tensor(values, shape, 'float32');
  }
  const heap = tf.backend() as unknown as WasmHeapBackend;
  const info = heap.makeOutput(shape, 'float32');
  write(heap.typedArrayFromHeap(info));
  return tf.engine().makeTensorFromTensorInfo(info);
}
