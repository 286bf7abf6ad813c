import * as tf from '../tf.js';
import type { BatchMatMulAttrs, KernelFunc, TensorInfo } from '../tf.js';

interface DisposingBackend {
  disposeData(dataId: object): boolean;
}

/**
 * tfjs-wasm's BatchMatMul is 5–10× slower when asked to transpose an operand (measured on [1024×160]·[160×128]:
 * 5.7 ms plain, 31–39 ms with transposeA or transposeB) than an explicit Transpose followed by a plain product
 * (6.7 ms). Every matMul gradient asks for a transposed operand, so backward passes spent most of their time
 * there. This wrapper transposes explicitly and then calls the backend's own untransposed kernel.
 */
export function registerExplicitTransposeMatMul(backendName: string): boolean {
  const original = tf.getKernel(tf.BatchMatMul, backendName);
  const transpose = tf.getKernel(tf.Transpose, backendName);
  if (!original || !transpose || (original as { wrapped?: boolean }).wrapped) return false;
  const swapLastTwo = (x: TensorInfo, backend: object): TensorInfo => {
    const perm = x.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
  };
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs });
    const a = transposeA ? swapLastTwo(inputs.a as TensorInfo, backend) : (inputs.a as TensorInfo);
    const b = transposeB ? swapLastTwo(inputs.b as TensorInfo, backend) : (inputs.b as TensorInfo);
    const product = original.kernelFunc({
      inputs: { a, b },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    if (transposeA) (backend as DisposingBackend).disposeData(a.dataId);
    if (transposeB) (backend as DisposingBackend).disposeData(b.dataId);
    return product;
  };
  tf.unregisterKernel(tf.BatchMatMul, backendName);
  tf.registerKernel({ ...original, kernelFunc, wrapped: true } as typeof original);
  return true;
}
