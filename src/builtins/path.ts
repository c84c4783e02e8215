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
 * The Win32 file and device namespaces, `\\?\` and `\\.\`, and the NT one, `\??\` (slashes already
 * turned): before a drive and a separator they name the drive's path (`\\?\C:\Windows\x.dll` is
 * `C:\Windows\x.dll`), and `\\?\UNC\` names a share (`\\?\UNC\srv\share\x` is `\\srv\share\x`).
 * Until 11-29 the prefix was kept as segments (`/?/C:/Windows/x.dll`), outside a `C:/Windows/**`
 * deny scope (a review). A drive with nothing after it (`\\.\C:`) is the volume device, not
 * its root folder: matched as written, as other device names are.
 */
const WIN32_NAMESPACE = /^(?:\/\/[?.]\/|\/\?\?\/)(?:[A-Za-z]:(?=\/)|(UNC\/))/i;

function withoutWin32Namespace(slashed: string): string {
  const m = WIN32_NAMESPACE.exec(slashed);
  if (m === null) return slashed;
  return m[1] === undefined ? slashed.slice(4) : '//' + slashed.slice(8);
}

/**
 * How many leading segments are the path's root, which `..` cannot remove: a UNC path's
 * server and share (`\\server\share`, also `//`), a drive (`C:`), else none.
 */
function rootSegments(slashed: string, first: string): number {
  if (slashed.startsWith('//')) return 2;
  return DRIVE.test(first) ? 1 : 0;
}

/**
 * Normalize a file path: `\` → `/`, empty and `.` segments dropped, `..` resolved; a leading
 * `/` is kept, a trailing one dropped; a `\\?\`, `\\.\` or `\??\` prefix before a drive's path or
 * `UNC\` is dropped (withoutWin32Namespace). A leading drive (`C:\`) and a UNC share
 * (`\\server\share`) are roots too: `..` past them escapes (`C:\..\Windows` was `Windows`,
 * out of a `C:/Windows/**` scope, and `\\srv\share\..\x` was `/srv/x`).
 *
 * @example normalizePath('a\\.\\b//c/../d') // { ok: true, path: 'a/b/d' }
 */
export function normalizePath(p: string): NormalizedPath {
  if (CONTROL.test(p)) return { ok: false, detail: 'path contains a control character' };
  const slashed = withoutWin32Namespace(p.replaceAll('\\', '/'));
  const out: string[] = [];
  const segments = slashed.split('/');
  const root = rootSegments(slashed, segments[0]);
  for (const seg of segments) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length <= root) return { ok: false, detail: 'path escapes its root' };
      out.pop();
      continue;
    }
    out.push(seg);
  }
  const body = out.join('/');
  return { ok: true, path: slashed.startsWith('/') ? '/' + body : body };
}
