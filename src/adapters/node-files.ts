// Reads a rules directory into `RuleSource`s for the web-standard loader (src/rules/load.ts).
// Choices: dotfiles and dot-directories are skipped (editor swap files, .git); `README.md` in
// any folder is documentation, not a rule; symlinked files are followed, symlinked directories
// are not (a link cycle must not hang the server at start-up).

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatOf, type RuleSource } from '../rules/load.js';

/**
 * All rule files under `dir`, recursively, sorted by path; `path` is relative to `dir` with `/`.
 *
 * @example await readRulesDir('./rules') // [{ path: 'db.mdc', text: '…' }, { path: 'tenants/acme/x.yaml', … }]
 */
export async function readRulesDir(dir: string): Promise<RuleSource[]> {
  const out: RuleSource[] = [];
  await walk(dir, '', out);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function walk(root: string, rel: string, out: RuleSource[]): Promise<void> {
  const entries = await readdir(join(root, rel), { withFileTypes: true });
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = rel === '' ? e.name : `${rel}/${e.name}`;
    const full = join(root, path);
    const isFile = e.isFile() || (e.isSymbolicLink() && (await stat(full).catch(() => null))?.isFile() === true);
    if (e.isDirectory()) await walk(root, path, out);
    else if (isFile && isRuleFile(e.name)) out.push({ path, text: await readFile(full, 'utf8') });
  }
}

/** A rule file by its name: a rule extension, and not a folder's README. */
export function isRuleFile(name: string): boolean {
  return formatOf(name) !== undefined && name.toLowerCase() !== 'readme.md';
}
