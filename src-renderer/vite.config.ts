import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/**
 * Run as `vite build src-renderer` so this folder is the root and every path below is relative to it; the config
 * then needs no Node path handling. `base: './'` lets the same build load over http (browser host) and file://
 * (Electron).
 */
export default defineConfig({
  base: './',
  plugins: [vue()],
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
