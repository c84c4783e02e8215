// The data directory `mge serve` is given, checked before it serves: its own (no link out of
// it) and out of the rules reader's way; and the directories a refused start made, removed.

import { realpath, rmdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { linkedState } from './data-dir-links.js';
import { API_RULES_DIR } from './rule-store.js';
import { walkTree } from './rules-tree.js';
import { SidecarConfigError } from './sidecar-config-error.js';

/**
 * Refuses a data directory where what the server writes is reached through a link (a symbolic
 * one, or a hard link's other name outside its folder): only the directory's own files are
 * guarded by its lock.
 */
export async function refuseLinkedDataDir(dataDir: string): Promise<void> {
  const linked = await linkedState(dataDir);
  if (linked !== undefined) {
    const what = linked.kind === 'symbolic' ? 'is a symbolic link' : 'has another name outside its folder (a hard link, or a data directory copied with `cp -al`?)';
    // A hard link is mostly a copy made with links: the file needs a copy of its own, not a move.
    const fix = linked.kind === 'symbolic'
      ? 'to keep them elsewhere, give that place as the data directory (--data)'
      : `give it a copy of its own (\`cp -p F F.own && mv F.own F\` for F = \`${linked.path}\`), or remove the other name; a data directory copied with \`cp -al\` has every file so: copy it again with \`cp -a\``;
    throw new SidecarConfigError(`\`${linked.path}\` ${what}: the audit logs, used nonces, API rules and record of the rules in force must be the data directory's own, which its lock guards (through a link, two servers could write one log); ${fix}`);
  }
}

/**
 * A data directory the rules reader would walk into is refused: the API rules it stores would
 * load again as file rules (`--rules . --data .` then refused every reload and its
 * own restart), and each audit write would wake the rules watcher. "Walk into" is as the reader
 * walks: through links (`rules/data -> ../elsewhere`), not into dot-directories (`rules/.data`
 * is never read as rules).
 */
export async function refuseDataInRules(dataDir: string, rulesDir: string): Promise<void> {
  const data = await realpath(dataDir);
  const root = await realpath(rulesDir);
  const within = (dir: string): boolean => {
    const below = relative(dir, data);
    return below === '' || (!below.startsWith('..') && !isAbsolute(below) && below.split(sep).every((part) => !part.startsWith('.')));
  };
  // Under the root itself is known at once; elsewhere only a walk through the links can tell,
  // which also finds a link that leads into the kept API rules (`rules/a -> ../data/api-rules`).
  const apiRules = join(data, API_RULES_DIR);
  const intoApiRules = (dir: string): boolean => dir === apiRules || dir.startsWith(apiRules + sep);
  const walked = within(root) ? root : [...walkTree(rulesDir).realDirs].find((d) => within(d) || intoApiRules(d));
  if (walked !== undefined && !within(walked)) {
    throw new SidecarConfigError(`the rules directory \`${rulesDir}\` reaches into the data directory's API rules (through a link, at \`${walked}\`): they would load again as file rules; remove that link`);
  }
  if (walked !== undefined) {
    throw new SidecarConfigError(`data directory \`${dataDir}\` is inside the rules directory \`${rulesDir}\`${walked === root ? '' : ` (through a link, at \`${walked}\`)`}: the API rules and audit log kept there would be read as rules; put it elsewhere (\`--data ./data\` beside the rules), or in a dot-directory, which the rules reader skips`);
  }
}

/** Removes the empty directories `mkdir -p` made, from `dir` up to `first` (the first it made); never above it. */
export async function removeMadeDirs(dir: string, first: string): Promise<void> {
  if (dir !== first && !dir.startsWith(first + sep)) return;
  for (let d = dir; ; d = dirname(d)) {
    await rmdir(d).catch(() => undefined);
    if (d === first || dirname(d) === d) return;
  }
}
