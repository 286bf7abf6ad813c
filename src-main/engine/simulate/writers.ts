import type { FileHandle } from 'node:fs/promises';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { MULTI_HOT_SEPARATOR } from '../data/roles.js';
import {
  LABEL_COLUMNS,
  POWERS_OF_TEN,
  SIGNIFICANT_DIGITS,
  TRUTH_COLUMNS,
  type RowBlock,
  type SimulationLayout,
} from './world.js';

/** Where sampled chunks go, one after another; `finish` gets what is only known at the end. */
export interface BlockSink {
  write(block: RowBlock): Promise<void>;
  finish(metadata: Record<string, unknown>): Promise<void>;
}

/** File order: features, labels, then the truth beside them. */
export function columnNames(layout: SimulationLayout): string[] {
  return [
    ...layout.categorical.map(({ name }) => name),
    ...layout.multiHot.map(({ name }) => name),
    ...layout.dense,
    ...LABEL_COLUMNS,
    ...TRUTH_COLUMNS,
  ];
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const BAG_SEPARATOR = MULTI_HOT_SEPARATOR.charCodeAt(0);
const ZERO = 0x30;

/**
 * ASCII bytes of one chunk, reused across chunks. Formatting numbers straight into bytes is about five times
 * faster than building strings, which is most of the time a 10M-row CSV takes.
 */
class AsciiBuffer {
  bytes = new Uint8Array(1 << 20);
  length = 0;
  private readonly digits = new Uint8Array(24);

  reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(code: number): void {
    this.bytes[this.length++] = code;
  }

  text(value: string): void {
    this.reserve(value.length);
    for (let i = 0; i < value.length; i++) this.bytes[this.length++] = value.charCodeAt(i);
  }

  /** A whole number ≥ 0, left-padded with zeros to `minDigits`. */
  whole(value: number, minDigits = 1): void {
    let count = 0;
    do {
      const rest = Math.floor(value / 10);
      this.digits[count++] = ZERO + value - rest * 10;
      value = rest;
    } while (value > 0);
    while (count < minDigits) this.digits[count++] = ZERO;
    while (count > 0) this.bytes[this.length++] = this.digits[--count];
  }

  /**
   * A value already rounded by `roundSignificant`, as a plain decimal that parses back to exactly that double:
   * the same digits, recovered as an integer mantissa m and k decimals (x = m / 10^k).
   */
  rounded(value: number): void {
    if (value === 0) return this.byte(ZERO);
    let decimals = SIGNIFICANT_DIGITS - 1 - Math.floor(Math.log10(Math.abs(value)));
    if (decimals < 0 || decimals >= POWERS_OF_TEN.length) return this.text(String(value));
    if (value < 0) this.byte(0x2d);
    let mantissa = Math.round(Math.abs(value) * POWERS_OF_TEN[decimals]);
    while (decimals > 0 && mantissa % 10 === 0) {
      mantissa /= 10;
      decimals--;
    }
    const scale = POWERS_OF_TEN[decimals];
    const integerPart = Math.floor(mantissa / scale);
    this.whole(integerPart);
    if (decimals === 0) return;
    this.byte(0x2e);
    this.whole(mantissa - integerPart * scale, decimals);
  }
}

/** Worst case per cell: a sign, 22 zeros after "0." and 7 digits, or an exponent form; well under 40 bytes. */
const MAX_CELL_BYTES = 40;

/**
 * One line per row; bags print as their values joined by `|`, the way the CSV loader reads multi-hot cells.
 * Numbers print as plain decimals that parse back to exactly the block's rounded values.
 */
export class CsvSink implements BlockSink {
  private readonly buffer = new AsciiBuffer();
  private readonly header: string;
  private readonly maxLineBytes: number;
  private headerWritten = false;

  constructor(
    private readonly handle: FileHandle,
    layout: SimulationLayout,
  ) {
    const names = columnNames(layout);
    this.header = `${names.join(',')}\n`;
    const bagCells = layout.multiHot.reduce((sum, { maxLength }) => sum + maxLength, 0);
    this.maxLineBytes = (names.length + bagCells) * MAX_CELL_BYTES;
  }

  async write(block: RowBlock): Promise<void> {
    const { layout, categorical, bags, dense, click, action, purchase, truth } = block;
    const out = this.buffer;
    const fields = layout.categorical.length;
    const denseCount = layout.dense.length;
    out.length = 0;
    if (!this.headerWritten) out.text(this.header);
    this.headerWritten = true;
    for (let row = 0; row < block.count; row++) {
      out.reserve(this.maxLineBytes);
      out.whole(categorical[row * fields]);
      for (let f = 1; f < fields; f++) {
        out.byte(COMMA);
        out.whole(categorical[row * fields + f]);
      }
      layout.multiHot.forEach(({ maxLength }, f) => {
        const bag = bags[f];
        out.byte(COMMA);
        for (let t = 0; t < maxLength && bag[row * maxLength + t] >= 0; t++) {
          if (t > 0) out.byte(BAG_SEPARATOR);
          out.whole(bag[row * maxLength + t]);
        }
      });
      for (let k = 0; k < denseCount; k++) {
        out.byte(COMMA);
        out.rounded(dense[row * denseCount + k]);
      }
      for (const label of [click, action, purchase]) {
        out.byte(COMMA);
        out.whole(label[row]);
      }
      for (const column of truth) {
        out.byte(COMMA);
        out.rounded(column[row]);
      }
      out.byte(NEWLINE);
    }
    await this.handle.write(out.bytes.subarray(0, out.length));
  }

  async finish(): Promise<void> {}
}

/**
 * Hands each row group to the file as soon as ParquetWriter has encoded it (it awaits `flush` before the next),
 * so only one row group's bytes are ever buffered.
 */
class FileByteWriter extends ByteWriter {
  constructor(private readonly handle: FileHandle) {
    super(1 << 20);
  }

  async flush(): Promise<void> {
    const bytes = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    await this.handle.write(bytes);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

/**
 * One row group per chunk. Ids and labels are INT32, bags LIST<INT32>, dense values and probabilities DOUBLE
 * (the same numbers the CSV prints). The config and stats go into the footer's key-value metadata.
 */
export class ParquetSink implements BlockSink {
  private readonly writer: ParquetWriter;

  constructor(
    handle: FileHandle,
    private readonly layout: SimulationLayout,
  ) {
    const required = (name: string, type: 'INT32' | 'DOUBLE'): SchemaElement => ({
      name,
      type,
      repetition_type: 'REQUIRED',
    });
    const columns: SchemaElement[][] = [
      ...layout.categorical.map(({ name }) => [required(name, 'INT32')]),
      ...layout.multiHot.map(({ name }): SchemaElement[] => [
        { name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        required('element', 'INT32'),
      ]),
      ...layout.dense.map((name) => [required(name, 'DOUBLE')]),
      ...LABEL_COLUMNS.map((name) => [required(name, 'INT32')]),
      ...TRUTH_COLUMNS.map((name) => [required(name, 'DOUBLE')]),
    ];
    const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }, ...columns.flat()];
    this.writer = new ParquetWriter({ writer: new FileByteWriter(handle), schema, createdBy: 'esmc-lab simulate' });
  }

  async write(block: RowBlock): Promise<void> {
    const { layout } = this;
    const n = block.count;
    const fields = layout.categorical.length;
    const denseCount = layout.dense.length;
    const strided = <T extends Int32Array | Float64Array>(source: T, out: T, stride: number, offset: number): T => {
      for (let row = 0; row < n; row++) out[row] = source[row * stride + offset];
      return out;
    };
    const columnData = [
      ...layout.categorical.map(({ name }, f) => ({
        name,
        data: strided(block.categorical, new Int32Array(n), fields, f),
      })),
      ...layout.multiHot.map(({ name, maxLength }, f) => {
        const bags = block.bags[f];
        const data: number[][] = [];
        for (let row = 0; row < n; row++) {
          const bag: number[] = [];
          for (let t = 0; t < maxLength && bags[row * maxLength + t] >= 0; t++) bag.push(bags[row * maxLength + t]);
          data.push(bag);
        }
        return { name, data };
      }),
      ...layout.dense.map((name, k) => ({ name, data: strided(block.dense, new Float64Array(n), denseCount, k) })),
      ...LABEL_COLUMNS.map((name) => ({ name, data: Int32Array.from(block[name].subarray(0, n)) })),
      ...TRUTH_COLUMNS.map((name, t) => ({ name, data: block.truth[t].subarray(0, n) })),
    ];
    await this.writer.write({ columnData, rowGroupSize: n });
  }

  async finish(metadata: Record<string, unknown>): Promise<void> {
    this.writer.kvMetadata = Object.entries(metadata).map(([key, value]) => ({ key, value: JSON.stringify(value) }));
    await this.writer.finish();
  }
}
