import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/**
 * Run as `vite build src-renderer` so this folder is the root and every path below is relative to it; the config
 * then needs no Node path handling. `base: './'` lets the same build load over http (browser host) and file://
 * (Electron).
 */
/**
 * Development: `ESMC_LAB_HOST=http://127.0.0.1:PORT npx vite src-renderer` serves the sources with hot reload and
 * passes the API, uploads and downloads on to a running `esmc-lab serve --port PORT`; open the Vite address with
 * that server's `?token=…`.
 */
const labHost = process.env.ESMC_LAB_HOST;
const proxy = labHost
  ? {
      '/api': { target: labHost.replace(/^http/, 'ws'), ws: true },
      '/upload': { target: labHost },
      '/files': { target: labHost },
    }
  : undefined;

export default defineConfig({
  base: './',
  plugins: [vue()],
  server: { proxy },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // ECharts alone is ~1 MB minified; it is split out (below), so the warning would only repeat that.
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [{ name: 'echarts', test: /node_modules[\\/](echarts|zrender|vue-echarts)[\\/]/ }],
        },
      },
    },
  },
});
