// bench/RESULTS.md is written by several benches: bench:peers writes the top of the file, and
// each other bench owns one section between `<!-- name:start -->` and `<!-- name:end -->`.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = new URL('../RESULTS.md', import.meta.url);
const SECTION = /<!-- ([\w-]+):start -->[\s\S]*?<!-- \1:end -->/g;

function read(file: URL | string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
}

/** Replaces (or appends) one bench's section, leaving everything else as it is. */
export function writeResultsSection(name: string, body: string, file: URL | string = FILE): void {
  const section = `<!-- ${name}:start -->\n${body.trim()}\n<!-- ${name}:end -->`;
  const old = read(file);
  const re = new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->`);
  writeFileSync(file, re.test(old) ? old.replace(re, () => section) : `${old.trimEnd()}\n\n${section}\n`);
}

/** Rewrites the file with `top` (bench:peers' report), keeping every section other benches wrote. */
export function writeResultsTop(top: string, file: URL | string = FILE): void {
  const kept = read(file).match(SECTION) ?? [];
  writeFileSync(file, [top.trimEnd(), ...kept].join('\n\n') + '\n');
}
