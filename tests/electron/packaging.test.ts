import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import type { Configuration } from 'electron-builder';
import { ICNS_TYPES, iconFiles } from '../../build/make-icons.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
// electron-builder's own loader (it reads a .ts config through jiti) and its JSON-schema validation.
const builderConfig = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null): Promise<Configuration>;
  validateConfiguration(config: Configuration, debugLogger: { isEnabled: boolean }): Promise<void>;
};
const { minimatch } = createRequire(require.resolve('app-builder-lib'))('minimatch') as {
  minimatch(path: string, pattern: string, options?: { dot?: boolean }): boolean;
};
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
};

async function loadConfig(): Promise<Configuration> {
  return builderConfig.getConfig(root, join(root, 'electron.config.ts'));
}

/** Files under node_modules/<dir> whose name matches `test`, as paths from the project root. */
function filesUnder(dir: string, test: RegExp): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (test.test(entry.name)) found.push(relative(root, child));
    }
  };
  try {
    walk(join(root, 'node_modules', dir));
  } catch {
    // An optional dependency that is not installed here.
  }
  return found;
}

describe('electron-builder configuration', () => {
  it('is read by electron-builder from electron.config.ts and passes its schema', async () => {
    const config = await loadConfig();
    await expect(builderConfig.validateConfiguration(config, { isEnabled: false })).resolves.toBeUndefined();
    await expect(
      builderConfig.validateConfiguration({ ...config, linux: { ...config.linux, targetz: 'deb' } } as Configuration, {
        isEnabled: false,
      }),
    ).rejects.toThrow(/configuration\.linux/);
  });

  it('is what `npm run dist` builds with, after building the app', () => {
    expect(pkg.scripts.dist).toMatch(/^npm run build && electron-builder --config electron\.config\.ts\b/);
    expect(pkg.scripts.start).toBe('npm run build && node bin/esmc-lab.js start');
  });

  it('packs the built app with the entry package.json names, installers for each platform', async () => {
    const config = await loadConfig();
    expect(config.productName).toBe('ESMC Lab');
    expect(config.appId).toMatch(/^[a-z][\w-]*(\.[\w-]+)+$/);
    expect(config.extraMetadata?.main).toBe(pkg.main);
    // electron-builder normalises `files` to file sets.
    const files = (config.files as { filter: string[] }[]).flatMap((set) => set.filter);
    expect(files).toEqual(expect.arrayContaining(['dist/**/*', 'package.json', '!dist/**/*.map', 'assets/fonts/**/*']));
    // Installers must not land in dist/, which is what gets packed.
    expect(config.directories?.output).not.toMatch(/^dist\b/);
    expect(config.asar).toBe(true);
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.win?.target).toBe('nsis');
    expect(config.mac?.target).toBe('dmg');
  });

  it('keeps every native addon and tfjs wasm file outside the asar archive', async () => {
    const patterns = (await loadConfig()).asarUnpack as string[];
    const unpacked = (file: string) => patterns.some((pattern) => minimatch(file, pattern, { dot: true }));
    const native = [
      ...filesUnder('@duckdb', /\.node$/),
      ...filesUnder('@tensorflow', /\.(node|so(\.\d+)*|dll|dylib)$/),
      ...filesUnder('webgpu', /\.node$/),
      ...filesUnder('@tensorflow/tfjs-backend-wasm/dist', /\.wasm$/),
    ];
    expect(native.length).toBeGreaterThan(3);
    expect(native.filter((file) => !unpacked(file))).toEqual([]);
    expect(unpacked('node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.js')).toBe(false);
    expect(unpacked('dist/src-main/electron/main.js')).toBe(false);
  });
});

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The RGBA pixel at (x, y) of one of our PNGs (unfiltered scanlines, one IDAT chunk). */
function pixel(png: Buffer, x: number, y: number): number[] {
  const { width } = pngSize(png);
  const idatLength = png.readUInt32BE(33);
  const raw = inflateSync(png.subarray(41, 41 + idatLength));
  const offset = y * (width * 4 + 1) + 1 + x * 4;
  return [...raw.subarray(offset, offset + 4)];
}

describe('the icon', () => {
  const files = iconFiles();

  it('is in build/ as make-icons.ts draws it (npm run build:icons)', () => {
    for (const [name, bytes] of files)
      expect(readFileSync(join(root, 'build', name)).equals(bytes), `build/${name} is stale`).toBe(true);
  });

  it('is a funnel on a rounded square, at 512 and 256 pixels', () => {
    const png = files.get('icon.png')!;
    expect(pngSize(png)).toEqual({ width: 512, height: 512 });
    expect(pngSize(files.get('icons/256x256.png')!)).toEqual({ width: 256, height: 256 });
    expect(pixel(png, 2, 2)[3]).toBe(0);
    expect(pixel(png, 256, 130)).toEqual([186, 230, 253, 255]);
    expect(pixel(png, 256, 405)).toEqual([251, 191, 36, 255]);
    // Outside the funnel's narrowing sides, the background.
    const side = pixel(png, 110, 320);
    expect(side[2]).toBeLessThan(100);
    expect(side[3]).toBe(255);
  });

  it('has a Windows .ico with a 256-pixel image and a macOS .icns up to 1024 pixels', () => {
    const ico = files.get('icon.ico')!;
    const count = ico.readUInt16LE(4);
    const sizes = Array.from({ length: count }, (_, i) => ico.readUInt8(6 + 16 * i) || 256);
    expect(sizes).toContain(256);
    const lastOffset = ico.readUInt32LE(6 + 16 * (count - 1) + 12);
    expect(pngSize(ico.subarray(lastOffset))).toEqual({ width: 256, height: 256 });

    const icns = files.get('icon.icns')!;
    expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let offset = 8; offset < icns.length; offset += icns.readUInt32BE(offset + 4)) {
      const type = icns.subarray(offset, offset + 4).toString('latin1');
      types.push(type);
      const size = Number(Object.entries(ICNS_TYPES).find(([, name]) => name === type)![0]);
      expect(pngSize(icns.subarray(offset + 8)).width).toBe(size);
    }
    expect(types).toEqual(expect.arrayContaining(['ic08', 'ic09', 'ic10']));
  });
});
