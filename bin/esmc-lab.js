#!/usr/bin/env node
// The CLI runs from the compiled engine (`npm install` builds it through the "prepare" script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src-main/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('esmc-lab is not built yet: run `npm run build` in the esmc-lab folder first.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
