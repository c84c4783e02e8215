// Small reference models written from docs/semantics.md, independent of src/builtins and
// assembly/: regular expressions for globs, a list walk for path normalization. Properties check
// the engine against them.

/** "Path normalization": the normalized path, or null when invalid (control character, escape). */
export function modelNormalize(p: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(p)) return null;
  const slashed = p.replaceAll('\\', '/');
  const out: string[] = [];
  const segments = slashed.split('/');
  // A UNC `//server/share` or a drive `C:` first: a root `..` cannot climb out of.
  const root = slashed.startsWith('//') ? 2 : /^[a-z]:$/i.test(segments[0]) ? 1 : 0;
  for (const seg of segments) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length <= root) return null;
      out.pop();
    } else out.push(seg);
  }
  return (slashed.startsWith('/') ? '/' : '') + out.join('/');
}

const escape = (c: string): string => c.replace(/[.\\+^$(){}|/]/g, '\\$&');

/** A `[...]` class at `i` (no escapes, first `]` closes); returns its regex and the index of `]`. */
function classAt(cps: string[], i: number, path: boolean): [string, number] {
  const close = cps.indexOf(']', i + 1);
  let body = cps.slice(i + 1, close).join('');
  const negated = body.startsWith('!') || body.startsWith('^');
  if (negated) body = body.slice(1);
  const cls = `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
  return [path ? `(?!/)${cls}` : cls, close];
}

/**
 * "Globs". Path mode: `*` no `/`, `**` anything, `**` + `/` at a segment start also nothing, `?`
 * and classes never `/`, a trailing `/**` also the directory itself. Action mode: `.` and `/` ordinary, every `*` run any run.
 */
export function modelGlob(pattern: string, mode: 'path' | 'action'): RegExp {
  const path = mode === 'path';
  const cps = Array.from(pattern);
  let re = '';
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    if (c === '*') {
      let j = i;
      while (cps[j] === '*') j++;
      if (!path) re += '.*';
      else if (j - i === 1) re += '[^/]*';
      else if ((i === 0 || cps[i - 1] === '/') && cps[j] === '/') {
        re += '(?:.*/)?';
        j++;
      } else re += '.*';
      i = j - 1;
    } else if (c === '?') re += path ? '[^/]' : '.';
    else if (c === '[') {
      const [cls, close] = classAt(cps, i, path);
      re += cls;
      i = close;
    } else re += escape(c);
  }
  // A trailing `/**` (one or more such groups) also matches the directory itself: `a/**` ~ `a`.
  const directory = path ? withoutTrailingGlobstars(pattern) : undefined;
  return new RegExp(directory === undefined ? `^${re}$` : `^(?:${re})$|${modelGlob(directory, mode).source}`, 'su');
}

/** `pattern` with its trailing `/**` groups cut (`a/**` → `a`); undefined without any, or with nothing before them. */
export function withoutTrailingGlobstars(pattern: string): string | undefined {
  let q = pattern;
  for (let m = /\/\*{2,}$/.exec(q); m !== null && m.index > 0; m = /\/\*{2,}$/.exec(q)) q = q.slice(0, m.index);
  return q === pattern ? undefined : q;
}
