// File-path normalization (SPEC §3.7, docs/semantics.md "Path normalization"), applied to the
// subject of every path glob and to file_access_control's field, so `a/./b`, `a//b`, `a\b` and
// `a/x/../b` are all judged as `a/b`.

export type NormalizedPath =
  | { ok: true; path: string }
  | { ok: false; detail: 'path escapes its root' | 'path contains a control character' };

// C0 controls (including NUL), DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A Windows drive (`C:`) as a path's first segment: a root, as a leading `/` is. */
const DRIVE = /^[A-Za-z]:$/;

/**
 * Normalize a file path: `\` → `/`, empty and `.` segments dropped, `..` resolved; a leading
 * `/` is kept, a trailing one dropped. A leading drive (`C:\`) is a root too: `..` past it
 * escapes (`C:\..\Windows` was `Windows`, out of a `C:/Windows/**` scope: a review, 11-28).
 *
 * @example normalizePath('a\\.\\b//c/../d') // { ok: true, path: 'a/b/d' }
 */
export function normalizePath(p: string): NormalizedPath {
  if (CONTROL.test(p)) return { ok: false, detail: 'path contains a control character' };
  const slashed = p.replaceAll('\\', '/');
  const out: string[] = [];
  const segments = slashed.split('/');
  const drive = DRIVE.test(segments[0]) ? 1 : 0;
  for (const seg of segments) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === drive) return { ok: false, detail: 'path escapes its root' };
      out.pop();
      continue;
    }
    out.push(seg);
  }
  const body = out.join('/');
  return { ok: true, path: slashed.startsWith('/') ? '/' + body : body };
}
