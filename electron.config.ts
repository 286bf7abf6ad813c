/**
 * electron-builder's configuration (`npm run dist`; electron-builder 26 reads a TypeScript config itself, through
 * jiti). Installers need the Electron zip for the pinned version: from the network, or from ELECTRON_CACHE.
 */
import type { Configuration } from 'electron-builder';

const config: Configuration = {
  appId: 'org.esmc-lab.desktop',
  productName: 'ESMC Lab',
  copyright: 'Copyright © ESMC Lab contributors',
  directories: { buildResources: 'build', output: 'out/installers' },
  // The compiled main process, preload, service and engine, the Vite build of the renderer, and the report's
  // font. electron-builder adds the production dependencies (never the devDependencies) from node_modules itself.
  files: ['dist/**/*', '!dist/**/*.map', 'package.json', 'assets/fonts/**/*'],
  extraMetadata: { main: 'dist/src-main/electron/main.js' },
  asar: true,
  // Native code cannot be loaded from inside the archive, and tfjs's wasm files are read by path (also by
  // worker threads); each of these stays a plain file next to app.asar.
  asarUnpack: [
    '**/*.node',
    '**/node_modules/@duckdb/**',
    '**/node_modules/@tensorflow/tfjs-node/**',
    '**/node_modules/@tensorflow/tfjs-node-gpu/**',
    '**/node_modules/@tensorflow/tfjs-backend-wasm/**/*.wasm',
    '**/node_modules/webgpu/**',
  ],
  // Every native dependency (DuckDB, libtensorflow, Dawn) is a Node-API addon, which Electron loads as built.
  npmRebuild: false,
  artifactName: 'esmc-lab-${version}-${os}-${arch}.${ext}',
  publish: null,
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Science',
    executableName: 'esmc-lab',
    icon: 'build/icons',
    maintainer: 'ESMC Lab contributors',
    synopsis: 'Entire-space post-click conversion models and Probability Space Confusion',
  },
  win: { target: 'nsis', icon: 'build/icon.ico' },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
  mac: {
    target: 'dmg',
    category: 'public.app-category.developer-tools',
    icon: 'build/icon.icns',
    hardenedRuntime: true,
  },
};

export default config;
