import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The renderer's component tests (tests/renderer) import .vue files.
  plugins: [vue()],
  test: {
    include: ['tests/**/*.test.ts'],
    // Two cores: one test file per core; tfjs backends are process-global, so files never share a process.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
