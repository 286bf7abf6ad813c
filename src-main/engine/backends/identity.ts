import * as tf from '../tf.js';
import type { KernelFunc, TensorInfo } from '../tf.js';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * tfjs keeps every tensor a gradient needs by cloning it (the Identity kernel), and tfjs-wasm's Identity copies
 * the data: about 120 copies per training step of a four-tower model, its activations among them. Tensors are
 * immutable, so a clone can share the data, counted like a reshape's (which the wasm backend already shares).
 */
export function registerSharedIdentity(backendName: string): boolean {
  const original = tf.getKernel(tf.Identity, backendName);
  if (!original || (original as { wrapped?: boolean }).wrapped) return false;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc({ inputs, backend, attrs });
    (backend as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  tf.unregisterKernel(tf.Identity, backendName);
  tf.registerKernel({ ...original, kernelFunc, wrapped: true } as typeof original);
  return true;
}
