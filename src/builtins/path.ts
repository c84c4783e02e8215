// File-path normalization (SPEC §3.7, docs/semantics.md "Path normalization"), applied to the
// subject of every path glob and to file_access_control's field, so `a/./b`, `a//b`, `a\b` and
// `a/x/../b` are all judged as `a/b`.

export type NormalizedPath =
  | { ok: true; path: string }
  | { ok: false; detail: 'path escapes its root' | 'path contains a control character' };

// C0 controls (including NUL), DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Normalize a file path: `\` → `/`, empty and `.` segments dropped, `..` resolved; a leading
 * `/` is kept, a trailing one dropped.
 *
 * @example normalizePath('a\\.\\b//c/../d') // { ok: true, path: 'a/b/d' }
 */
export function normalizePath(p: string): NormalizedPath {
  if (CONTROL.test(p)) return { ok: false, detail: 'path contains a control character' };
  const slashed = p.replaceAll('\\', '/');
  const out: string[] = [];
  for (const seg of slashed.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return { ok: false, detail: 'path escapes its root' };
      out.pop();
      continue;
    }
    out.push(seg);
  }
  const body = out.join('/');
  return { ok: true, path: slashed.startsWith('/') ? '/' + body : body };
}
