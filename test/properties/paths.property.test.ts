// Differential property over file paths (SPEC §3.7, docs/semantics.md "Path normalization",
// "Typed conditions"): random paths built from awkward segments — `..`, `.`, empty, backslashes,
// control characters, astral letters, trailing dots and spaces, upper-case extensions — meet path
// globs in scope, glob() and file_access_control; the oracle and the VM decide identically, and
// file_access_control's code is the one a model written from docs/semantics.md predicts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideFiles, RUNS, TIMEOUT, withoutId } from './helpers.js';
import { modelNormalize } from './models.js';
import { stringify } from './policy-gen.js';

const SEGMENTS = ['src', 'a', '..', '.', '', 'run.EXE', 'run.exe.', 'x.sh ', 'b.Sh. .', 'é', '😀', 'a\u0000', 'x.ſh', 'y.ẞ', 'z.Σ', 'z.ς', 'tab\t', 'del\u007f', 'c1\u0085', 'docs', 'x.md', '*', '[a]', 'C:', 'c:'];
const path = fc.tuple(fc.boolean(), fc.array(fc.tuple(fc.constantFrom(...SEGMENTS), fc.constantFrom('/', '\\', '//')), { maxLength: 5 }))
  .map(([rooted, parts]) => (rooted ? '/' : '') + parts.map(([s, sep], i) => (i === 0 ? s : sep + s)).join(''));
const GLOBS = ['**', 'src/**', '*', '*/*', 'src/*.exe', '**/*.md', 'a/**/b', '/src/**', '?', '[!s]*', 'é/**', '😀'];

const rule = fc.record({
  globs: fc.option(fc.subarray(GLOBS, { minLength: 1 }), { nil: undefined }),
  allowed_paths: fc.option(fc.subarray(GLOBS, { minLength: 1 }), { nil: undefined }),
  blocked_extensions: fc.subarray(['.exe', '.sh', '.md', '.EXE', '.ss', '.σ'], { minLength: 1 }),
  pattern: fc.constantFrom(...GLOBS),
}).map(({ globs, allowed_paths, blocked_extensions, pattern }) => ({
  rule_id: 'paths',
  ...(globs ? { globs } : {}),
  conditions: [
    { type: 'file_access_control', parameters: { ...(allowed_paths ? { allowed_paths } : {}), blocked_extensions } },
    { type: 'file_access_control', parameters: { blocked_extensions, field: 'context.target' } },
  ],
  prohibited: [{ message: 'glob', when: `glob(action.path, ${JSON.stringify(pattern)})` }],
}));

describe('generated paths', () => {
  it('meet scopes, glob() and file_access_control identically on the oracle and the VM', async () => {
    await fc.assert(
      fc.asyncProperty(rule, path, fc.option(path, { nil: undefined }), async (r, p, target) => {
        const files = [{ path: 'paths.yaml', text: stringify(r) }];
        const req = { action: { type: 'file.write', path: p }, context: target === undefined ? {} : { target } };
        const [oracle, vm] = await Promise.all([decideFiles(files, 'oracle', req, 'default'), decideFiles(files, 'vm', req, 'default')]);
        expect(withoutId(vm)).toEqual(withoutId(oracle));
      }),
      RUNS,
    );
  }, TIMEOUT);
});

/** The code file_access_control (blocked_extensions only) must report for `p`, or undefined. */
function modelCode(p: string | undefined, blocked: string[]): string | undefined {
  if (p === undefined) return 'path_invalid';
  const norm = modelNormalize(p);
  if (norm === null) return 'path_invalid';
  // Compared lower-cased and case folded (lower, upper, lower: `ſ` is `s`, `ẞ` is `ss`, `ς` is `σ`).
  const fold = (s: string) => s.toLowerCase().toUpperCase().toLowerCase().replaceAll('ς', 'σ');
  const last = norm.slice(norm.lastIndexOf('/') + 1).replace(/[. ]+$/, '');
  return blocked.some((ext) => last.toLowerCase().endsWith(ext.toLowerCase()) || fold(last).endsWith(fold(ext))) ? 'extension_blocked' : undefined;
}

describe('file_access_control on generated paths', () => {
  it('reports the code the semantics predict', async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(['.exe', '.sh', '.md', '.EXE', '.ss', '.σ'], { minLength: 1 }), fc.option(path, { nil: undefined }), async (blocked, target) => {
        const rule = { rule_id: 'fac', conditions: [{ type: 'file_access_control', parameters: { blocked_extensions: blocked, field: 'context.target' } }] };
        const req = { action: 't', context: target === undefined ? {} : { target } };
        const d = await decideFiles([{ path: 'fac.yaml', text: stringify(rule) }], 'vm', req, 'default');
        expect(d.violations.map((v) => v.code)).toEqual(modelCode(target, blocked) ? [modelCode(target, blocked)] : []);
      }),
      RUNS,
    );
  }, TIMEOUT);
});
