import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src-main/cli/main.js';

describe("README's CLI table", () => {
  it('lists every command of `esmc-lab --help`', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const listed = new Set([...readme.matchAll(/^\| `esmc-lab ([a-z-]+)/gm)].map((match) => match[1]));
    expect(Object.keys(commands).filter((name) => !listed.has(name))).toEqual([]);
  });
});
