/**
 * Draws the app icon (a funnel: exposure → click → action → purchase, as four narrowing bands over a drop) and
 * writes it as PNGs, an .ico and an .icns with Node alone: `npm run build:icons`. The output is deterministic,
 * and a test checks that the files in build/ are what this draws.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];
/** A shape in unit coordinates (0..1, y down): whether a point is inside, and its colour there. */
interface Shape {
  inside(x: number, y: number): boolean;
  color(x: number, y: number): Rgba;
}

const BACKGROUND_TOP: Rgba = [30, 58, 95, 255];
const BACKGROUND_BOTTOM: Rgba = [15, 32, 60, 255];
const BANDS: Rgba[] = [
  [186, 230, 253, 255],
  [125, 211, 252, 255],
  [56, 189, 248, 255],
  [45, 212, 191, 255],
];
const DROP: Rgba = [251, 191, 36, 255];

function mix(a: Rgba, b: Rgba, t: number): Rgba {
  return a.map((value, i) => value + (b[i] - value) * t) as Rgba;
}

function roundedSquare(inset: number, radius: number): Shape {
  const low = inset + radius;
  const high = 1 - inset - radius;
  return {
    inside: (x, y) => {
      const dx = Math.max(low - x, 0, x - high);
      const dy = Math.max(low - y, 0, y - high);
      return x >= inset && x <= 1 - inset && y >= inset && y <= 1 - inset && dx * dx + dy * dy <= radius * radius;
    },
    color: (_x, y) => mix(BACKGROUND_TOP, BACKGROUND_BOTTOM, y),
  };
}

/** The funnel's sides run from (0.18, top) to (0.42, bottom) and mirrored; each band is a slice of it. */
function band(index: number, count: number, color: Rgba): Shape {
  const [top, bottom, gap] = [0.2, 0.66, 0.03];
  const height = (bottom - top - gap * (count - 1)) / count;
  const y0 = top + index * (height + gap);
  const y1 = y0 + height;
  const halfWidth = (y: number) => 0.32 - ((y - top) / (bottom - top)) * 0.24;
  return {
    inside: (x, y) => y >= y0 && y <= y1 && Math.abs(x - 0.5) <= halfWidth(y),
    color: () => color,
  };
}

function circle(cx: number, cy: number, r: number, color: Rgba): Shape {
  return { inside: (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r, color: () => color };
}

const SHAPES: Shape[] = [
  roundedSquare(0.04, 0.2),
  ...BANDS.map((color, index) => band(index, BANDS.length, color)),
  circle(0.5, 0.79, 0.055, DROP),
];

/** RGBA pixels of the icon at `size`, each pixel the average of 4×4 samples (anti-aliased edges). */
export function drawIcon(size: number): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  const samples = 4;
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++)
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          let top: Shape | undefined;
          for (const shape of SHAPES) if (shape.inside(x, y)) top = shape;
          if (!top) continue;
          const [r, g, b, a] = top.color(x, y);
          // Premultiplied, so transparent samples do not darken the edge.
          sum[0] += (r * a) / 255;
          sum[1] += (g * a) / 255;
          sum[2] += (b * a) / 255;
          sum[3] += a;
        }
      const offset = (py * size + px) * 4;
      const alpha = sum[3] / samples ** 2;
      pixels[offset + 3] = Math.round(alpha);
      for (let c = 0; c < 3; c++) pixels[offset + c] = alpha ? Math.round((sum[c] / sum[3]) * 255) : 0;
    }
  return pixels;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGBA PNG; every scanline unfiltered, compressed with zlib. */
export function encodePng(pixels: Uint8Array, size: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) raw.set(pixels.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** A Windows icon holding PNG images (supported since Vista; 256 px is what installers ask for). */
export function encodeIco(images: { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const entry = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, entry);
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    header.writeUInt16LE(1, entry + 4);
    header.writeUInt16LE(32, entry + 6);
    header.writeUInt32LE(png.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((image) => image.png)]);
}

/** The macOS icon types that hold a PNG of each size (ic10 is 512 pt at 2x). */
export const ICNS_TYPES: Record<number, string> = {
  16: 'icp4',
  32: 'icp5',
  64: 'icp6',
  128: 'ic07',
  256: 'ic08',
  512: 'ic09',
  1024: 'ic10',
};

export function encodeIcns(images: { size: number; png: Buffer }[]): Buffer {
  const entries = images.map(({ size, png }) => {
    const head = Buffer.alloc(8);
    head.write(ICNS_TYPES[size], 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + entries.reduce((total, entry) => total + entry.length, 0), 4);
  return Buffer.concat([head, ...entries]);
}

/** Every icon file electron-builder reads, by path under build/. */
export function iconFiles(): Map<string, Buffer> {
  const png = new Map([16, 32, 48, 64, 128, 256, 512, 1024].map((size) => [size, encodePng(drawIcon(size), size)]));
  const files = new Map<string, Buffer>();
  files.set('icon.png', png.get(512)!);
  for (const size of [16, 32, 48, 64, 128, 256, 512]) files.set(`icons/${size}x${size}.png`, png.get(size)!);
  files.set('icon.ico', encodeIco([16, 32, 48, 64, 128, 256].map((size) => ({ size, png: png.get(size)! }))));
  files.set('icon.icns', encodeIcns([16, 32, 64, 128, 256, 512, 1024].map((size) => ({ size, png: png.get(size)! }))));
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const buildDir = dirname(fileURLToPath(import.meta.url));
  for (const [name, bytes] of iconFiles()) {
    const path = join(buildDir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    console.log(`${path} (${bytes.length} bytes)`);
  }
}
