/**
 * Just enough of the WebAssembly binary format to write a kernel as code, without a compiler toolchain: one
 * module that imports a memory and exports one function. Instructions are byte arrays spread into a body.
 */

export const I32 = 0x7f;
export const V128 = 0x7b;

export function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

export function signedLeb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && !(byte & 0x40)) || (value === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vector = (items: number[][]) => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...unsignedLeb(body.length), ...body];
const name = (text: string) => [...unsignedLeb(text.length), ...new TextEncoder().encode(text)];

/** SIMD instructions take a 0xfd prefix; memory accesses an alignment (as a power of two) and an offset. */
const simd = (code: number, ...immediates: number[]) => [0xfd, ...unsignedLeb(code), ...immediates];

export const op = {
  localGet: (index: number) => [0x20, ...unsignedLeb(index)],
  localSet: (index: number) => [0x21, ...unsignedLeb(index)],
  localTee: (index: number) => [0x22, ...unsignedLeb(index)],
  i32Const: (value: number) => [0x41, ...signedLeb(value)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32RemU: [0x70],
  i32Eqz: [0x45],
  i32LtU: [0x49],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...unsignedLeb(depth)],
  brIf: (depth: number) => [0x0d, ...unsignedLeb(depth)],
  v128Load: (offset: number) => simd(0x00, 4, ...unsignedLeb(offset)),
  v128Load32Splat: (offset: number) => simd(0x09, 2, ...unsignedLeb(offset)),
  v128Store: (offset: number) => simd(0x0b, 4, ...unsignedLeb(offset)),
  v128Zero: simd(0x0c, ...new Array<number>(16).fill(0)),
  f32x4Add: simd(0xe4),
  f32x4Mul: simd(0xe6),
  /** pmax(a, b) = a < b ? b : a: one instruction (maxps), where f32x4.max needs several for NaN. */
  f32x4PMax: simd(0xeb),
};

/** local[index] += value, for an i32 local. */
export function addTo(index: number, value: number): number[] {
  return [...op.localGet(index), ...op.i32Const(value), ...op.i32Add, ...op.localSet(index)];
}

/** `while (condition) body`, the condition being code that leaves an i32. */
export function whileLoop(condition: number[], body: number[]): number[] {
  return [
    ...op.block,
    ...op.loop,
    ...condition,
    ...op.i32Eqz,
    ...op.brIf(1),
    ...body,
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

/**
 * A module importing `env.memory` (shared when `shared`) and exporting `exportName`, a function of `params` i32
 * parameters and no result, with the given locals and body.
 */
export function singleFunctionModule(options: {
  shared: boolean;
  exportName: string;
  params: number;
  locals: { count: number; type: number }[];
  body: number[];
}): Uint8Array {
  const { shared, exportName, params, locals, body } = options;
  // A shared memory must declare a maximum: the largest a 32-bit memory can have, so any import fits.
  const memoryLimits = shared ? [0x03, ...unsignedLeb(1), ...unsignedLeb(65536)] : [0x00, ...unsignedLeb(1)];
  const code = [...vector(locals.map(({ count, type }) => [...unsignedLeb(count), type])), ...body, ...op.end];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, ...vector(new Array<number[]>(params).fill([I32])), 0x00]])),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, ...memoryLimits]])),
    ...section(3, vector([unsignedLeb(0)])),
    ...section(7, vector([[...name(exportName), 0x00, ...unsignedLeb(0)]])),
    ...section(10, vector([[...unsignedLeb(code.length), ...code]])),
  ]);
}
