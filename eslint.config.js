import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The folder names the runtime (see README, "Architecture"); these rules turn a wrong import into a lint error. */
const nodeOnly = ['node:*', 'fs', 'path', 'child_process', 'worker_threads', 'os', 'electron'];

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'node_modules/', 'coverage/', '.scratch/', 'bench/reference/**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/electron/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Only src-main/electron/ may import electron.' }] },
      ],
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-shared/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeOnly, message: 'The renderer and shared code run in a browser: no Node or Electron.' },
          ],
        },
      ],
    },
  },
);
