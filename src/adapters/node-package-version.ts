// MGE's own version, from its package.json, for /openapi.json's `info.version`. Read from the
// file next to the code (src/ under tsx, dist/src/ when built), not from `npm_package_version`,
// which only `npm start` / `npm run` set: `npx mge serve` and `node bin/mge.js serve` said 0.0.0.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The version of the `mge` package this module belongs to, or undefined if none is found above it. */
export function mgePackageVersion(from: string = import.meta.url): string | undefined {
  for (let dir = dirname(fileURLToPath(from)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'mge' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here (or not ours): look further up
    }
    if (dirname(dir) === dir) return undefined;
  }
}
