import { I32, V128, addTo, op, singleFunctionModule, whileLoop } from './wasm-binary.js';
import type { WasmMemory } from './wasm-heap.js';

/**
 * c[m×n] = a[m×k]·b[k×n] (+ bias[n]) (then relu), for the shape the kernel was compiled for: float32,
 * row-major, on the wasm heap; byte offsets (`bias` unread by a kernel without one).
 */
export type Gemm = (a: number, b: number, c: number, bias: number, m: number) => void;

/**
 * What a kernel is compiled for. Constants in the code beat parameters: bias and relu as branches took it from
 * 20–25 to 15–18 GMAC/s, and a row pointer per row (k unknown) cost it 10%.
 */
export interface GemmShape {
  k: number;
  n: number;
  bias: boolean;
  relu: boolean;
  /**
   * a is given transposed, as aᵀ [k×m] with this m (a gradient's xᵀ·dz): the 4 values a block broadcasts at a
   * step are then adjacent instead of k apart, as cheap to load, and no transpose is needed.
   */
  transposedAOfRows?: number;
}

/** The kernel computes a block of 4 rows × 8 columns at a time (one row at a time for the last m mod 4). */
export const GEMM_COLUMNS = 8;
const BLOCK_ROWS = 4;

// Parameters, then i32 locals, then v128 locals.
const [A, B, C, BIAS, M] = [0, 1, 2, 3, 4];
const [ROW, COL, A_AT, B_AT, STEPS, C_AT, ROW_END] = [5, 6, 7, 8, 9, 10, 11];
const ACCUMULATOR = 12; // two per row: columns 0–3 and 4–7
const [B_LOW, B_HIGH, A_SPLAT] = [
  ACCUMULATOR + 2 * BLOCK_ROWS,
  ACCUMULATOR + 2 * BLOCK_ROWS + 1,
  ACCUMULATOR + 2 * BLOCK_ROWS + 2,
];

const accumulator = (row: number, half: number) => ACCUMULATOR + 2 * row + half;

/**
 * One block of `rows` rows, every column: 8 accumulators live in registers across the whole k loop; each step
 * loads 8 values of b's row k and broadcasts one value of each row of a (load32_splat, a plain load on x86), so
 * the floating-point units do little but multiply and add. The shape is constant: the rows of a block are
 * immediate offsets from one pointer, and so is b's next row. tfjs-wasm's XNNPACK kernel reaches 16–19
 * GMAC/s on this machine's cores; this one 21–26.
 */
function rowBlock(rows: number, { k, n, bias, relu, transposedAOfRows: m }: GemmShape): number[] {
  // Bytes from one row of a to the next, and from one step of k to the next.
  const [aRowBytes, aStepBytes] = m === undefined ? [4 * k, 4] : [4, 4 * m];
  const both = (f: (row: number, half: number) => number[]) =>
    Array.from({ length: rows }, (_, row) => [f(row, 0), f(row, 1)]).flat(2);
  const initialise = both((row, half) => [
    ...(bias ? [...op.localGet(BIAS), ...op.localGet(COL), ...op.i32Add, ...op.v128Load(16 * half)] : op.v128Zero),
    ...op.localSet(accumulator(row, half)),
  ]);
  const multiplyAdd = (row: number, half: number) => [
    ...op.localGet(accumulator(row, half)),
    ...op.localGet(A_SPLAT),
    ...op.localGet(half ? B_HIGH : B_LOW),
    ...op.f32x4Mul,
    ...op.f32x4Add,
    ...op.localSet(accumulator(row, half)),
  ];
  const step = [
    ...op.localGet(B_AT),
    ...op.v128Load(0),
    ...op.localSet(B_LOW),
    ...op.localGet(B_AT),
    ...op.v128Load(16),
    ...op.localSet(B_HIGH),
    ...Array.from({ length: rows }, (_, row) => [
      ...op.localGet(A_AT),
      ...op.v128Load32Splat(aRowBytes * row),
      ...op.localSet(A_SPLAT),
      ...multiplyAdd(row, 0),
      ...multiplyAdd(row, 1),
    ]).flat(),
    ...addTo(A_AT, aStepBytes),
    ...addTo(B_AT, 4 * n),
    ...op.localGet(STEPS),
    ...op.i32Const(1),
    ...op.i32Sub,
    ...op.localTee(STEPS),
    ...op.brIf(0),
  ];
  const activate = relu
    ? both((row, half) => [
        ...op.v128Zero,
        ...op.localGet(accumulator(row, half)),
        ...op.f32x4PMax,
        ...op.localSet(accumulator(row, half)),
      ])
    : [];
  const store = [
    ...op.localGet(C),
    ...op.localGet(ROW),
    ...op.i32Const(4 * n),
    ...op.i32Mul,
    ...op.i32Add,
    ...op.localGet(COL),
    ...op.i32Add,
    ...op.localSet(C_AT),
    ...both((row, half) => [
      ...op.localGet(C_AT),
      ...op.localGet(accumulator(row, half)),
      ...op.v128Store(4 * n * row + 16 * half),
    ]),
  ];
  const columnBlock = [
    ...initialise,
    ...op.localGet(A),
    ...op.localGet(ROW),
    ...op.i32Const(aRowBytes),
    ...op.i32Mul,
    ...op.i32Add,
    ...op.localSet(A_AT),
    ...op.localGet(B),
    ...op.localGet(COL),
    ...op.i32Add,
    ...op.localSet(B_AT),
    ...op.i32Const(k),
    ...op.localSet(STEPS),
    ...op.loop,
    ...step,
    ...op.end,
    ...activate,
    ...store,
    ...addTo(COL, 4 * GEMM_COLUMNS),
  ];
  return [
    ...op.i32Const(0),
    ...op.localSet(COL),
    ...whileLoop([...op.localGet(COL), ...op.i32Const(4 * n), ...op.i32LtU], columnBlock),
  ];
}

function gemmBody(shape: GemmShape): number[] {
  return [
    ...op.localGet(M),
    ...op.localGet(M),
    ...op.i32Const(BLOCK_ROWS),
    ...op.i32RemU,
    ...op.i32Sub,
    ...op.localSet(ROW_END),
    ...op.i32Const(0),
    ...op.localSet(ROW),
    ...whileLoop(
      [...op.localGet(ROW), ...op.localGet(ROW_END), ...op.i32LtU],
      [...rowBlock(BLOCK_ROWS, shape), ...addTo(ROW, BLOCK_ROWS)],
    ),
    ...whileLoop([...op.localGet(ROW), ...op.localGet(M), ...op.i32LtU], [...rowBlock(1, shape), ...addTo(ROW, 1)]),
  ];
}

interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;

/** Whether `compileGemm` can compile for k × n: k ≥ 1 and n a multiple of 8, where wasm SIMD is there. */
export function gemmFits(k: number, n: number): boolean {
  return k >= 1 && n >= GEMM_COLUMNS && n % GEMM_COLUMNS === 0 && SIMD_VALID;
}

/** The kernel for `shape`, against `memory` (a wasm backend's heap). */
export function compileGemm(memory: WasmMemory, shape: GemmShape): Gemm {
  if (!gemmFits(shape.k, shape.n)) throw new Error(`No wasm GEMM for k = ${shape.k}, n = ${shape.n}`);
  const instance = new wasm!.Instance(new wasm!.Module(gemmModule(memory, shape)), { env: { memory } });
  return instance.exports.gemm as Gemm;
}

function gemmModule(memory: WasmMemory | undefined, shape: GemmShape): Uint8Array {
  return singleFunctionModule({
    shared: typeof SharedArrayBuffer !== 'undefined' && memory?.buffer instanceof SharedArrayBuffer,
    exportName: 'gemm',
    params: 5,
    locals: [
      { count: ACCUMULATOR - 5, type: I32 },
      { count: 2 * BLOCK_ROWS + 3, type: V128 },
    ],
    body: gemmBody(shape),
  });
}

/** False where the engine has no wasm SIMD (the wasm backend then runs without SIMD too). */
const SIMD_VALID =
  wasm !== undefined && wasm.validate(gemmModule(undefined, { k: 1, n: GEMM_COLUMNS, bias: true, relu: true }));
