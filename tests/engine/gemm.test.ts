import { describe, expect, it } from 'vitest';
import { compileGemm, gemmFits, GEMM_COLUMNS } from '../../src-main/engine/backends/gemm.js';
import { signedLeb, unsignedLeb } from '../../src-main/engine/backends/wasm-binary.js';
import { Random } from '../../src-main/engine/random.js';

/** The generated wasm GEMM, on a memory of its own: every row remainder, bias and activation, against float64. */

function reference(
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | undefined,
  m: number,
  k: number,
  n: number,
  relu: boolean,
) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = bias ? bias[j] : 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
      out[i * n + j] = relu ? Math.max(sum, 0) : sum;
    }
  return out;
}

/** The project's type libraries leave the WebAssembly API out; Node has it. */
const { WebAssembly: wasm } = globalThis as unknown as {
  WebAssembly: { Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer } };
};

describe('wasm GEMM', () => {
  const memory = new wasm.Memory({ initial: 64 });
  const random = new Random(11);
  const fill = (at: number, size: number) => {
    const view = new Float32Array(memory.buffer, at, size);
    for (let i = 0; i < size; i++) view[i] = random.uniform(-1, 1);
    return view;
  };

  it.each([
    [1, 1, 8],
    [3, 7, 8],
    [4, 5, 16],
    [5, 160, 128],
    [67, 33, 24],
  ])('m %i × k %i × n %i, with and without bias and relu', (m, k, n) => {
    for (const bias of [false, true])
      for (const relu of [false, true]) {
        // Byte offsets, apart: a, b, bias, then c with a guard band after it.
        const [aAt, bAt, biasAt] = [64, 64 + 4 * m * k + 32, 64 + 4 * (m * k + k * n) + 64];
        const cAt = biasAt + 4 * n + 32;
        const [a, b, biasValues] = [fill(aAt, m * k), fill(bAt, k * n), fill(biasAt, n)];
        const c = new Float32Array(memory.buffer, cAt, m * n + 8).fill(7);
        compileGemm(memory, { k, n, bias, relu })(aAt, bAt, cAt, bias ? biasAt : 0, m);
        const expected = reference(a, b, bias ? biasValues : undefined, m, k, n, relu);
        for (let i = 0; i < m * n; i++) expect(Math.abs(c[i] - expected[i])).toBeLessThan(1e-5 * Math.sqrt(k) + 1e-6);
        // Nothing written past the product.
        expect(Array.from(c.subarray(m * n))).toEqual(new Array(8).fill(7));
      }
  });

  it.each([
    [5, 3, 8],
    [160, 67, 16],
  ])('a given transposed (aᵀ [k×m]), m %i × k %i × n %i', (m, k, n) => {
    const [aAt, bAt, cAt] = [64, 64 + 4 * m * k + 32, 64 + 4 * (m * k + k * n) + 64];
    const [aTransposed, b] = [fill(aAt, k * m), fill(bAt, k * n)];
    const a = Float32Array.from({ length: m * k }, (_, i) => aTransposed[(i % k) * m + Math.floor(i / k)]);
    const c = new Float32Array(memory.buffer, cAt, m * n);
    compileGemm(memory, { k, n, bias: false, relu: false, transposedAOfRows: m })(aAt, bAt, cAt, 0, m);
    const expected = reference(a, b, undefined, m, k, n, false);
    for (let i = 0; i < m * n; i++) expect(Math.abs(c[i] - expected[i])).toBeLessThan(1e-5 * Math.sqrt(k) + 1e-6);
  });

  it('fits n in multiples of 8 and k ≥ 1 only', () => {
    expect(GEMM_COLUMNS).toBe(8);
    expect([gemmFits(160, 128), gemmFits(1, 8), gemmFits(0, 8), gemmFits(160, 1), gemmFits(160, 12)]).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(() => compileGemm(memory, { k: 3, n: 4, bias: false, relu: false })).toThrow(
      /No wasm GEMM for k = 3, n = 4/,
    );
  });

  it('encodes LEB128 integers as the binary format does', () => {
    expect([0, 127, 128, 624485].map(unsignedLeb)).toEqual([[0], [127], [0x80, 0x01], [0xe5, 0x8e, 0x26]]);
    expect([0, -1, 63, -64, 64, -65, -123456].map(signedLeb)).toEqual([
      [0],
      [0x7f],
      [0x3f],
      [0x40],
      [0xc0, 0x00],
      [0xbf, 0x7f],
      [0xc0, 0xbb, 0x78],
    ]);
  });
});
