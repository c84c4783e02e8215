// An obviously-correct (and exponential) glob matcher, written straight from docs/semantics.md
// by recursion over the pattern, to check the linear state-set matcher against on small inputs.

export type RefResult = boolean | 'invalid';

export function referenceGlob(pattern: string, input: string, mode: 'path' | 'action'): RefResult {
  const p = Array.from(pattern);
  const s = Array.from(input);
  const path = mode === 'path';
  if (!classesValid(p)) return 'invalid';

  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === s.length;
    const c = p[i];
    if (c === '*') {
      let k = i;
      while (p[k] === '*') k++;
      const run = k - i;
      if (path && run >= 2 && (i === 0 || p[i - 1] === '/') && p[k] === '/') {
        // `**/`: no segment, or any run that ends with `/`.
        if (match(k + 1, j)) return true;
        for (let t = j; t < s.length; t++) if (s[t] === '/' && match(k + 1, t + 1)) return true;
        return false;
      }
      const crossesSlash = !path || run >= 2;
      for (let t = j; t <= s.length; t++) {
        if (match(k, t)) return true;
        if (t < s.length && !crossesSlash && s[t] === '/') return false;
      }
      return false;
    }
    if (j >= s.length) return false;
    if (c === '?') return (!path || s[j] !== '/') && match(i + 1, j + 1);
    if (c === '[') {
      const { negated, members, end } = readClass(p, i)!;
      if (path && s[j] === '/') return false;
      return inMembers(members, s[j]) !== negated && match(end + 1, j + 1);
    }
    return c === s[j] && match(i + 1, j + 1);
  };
  if (match(0, 0)) return true;
  // A trailing `/**`, or several, also matches what comes before it: `a/**` matches `a`.
  const m = path ? /^(.+?)(?:\/\*\*+)+$/s.exec(pattern) : null;
  return m !== null && referenceGlob(m[1], input, mode) === true;
}

function readClass(p: string[], i: number): { negated: boolean; members: string[]; end: number } | null {
  let k = i + 1;
  const negated = p[k] === '!' || p[k] === '^';
  if (negated) k++;
  const close = p.indexOf(']', k);
  if (close < 0 || close === k) return null;
  return { negated, members: p.slice(k, close), end: close };
}

function classesValid(p: string[]): boolean {
  for (let i = 0; i < p.length; i++) {
    if (p[i] !== '[') continue;
    const cls = readClass(p, i);
    if (!cls) return false;
    const m = cls.members;
    for (let k = 0; k < m.length; k++) {
      if (m[k + 1] === '-' && k + 2 < m.length) {
        if (m[k + 2].codePointAt(0)! < m[k].codePointAt(0)!) return false;
        k += 2;
      }
    }
    i = cls.end;
  }
  return true;
}

function inMembers(m: string[], ch: string): boolean {
  const x = ch.codePointAt(0)!;
  for (let k = 0; k < m.length; k++) {
    if (m[k + 1] === '-' && k + 2 < m.length) {
      if (x >= m[k].codePointAt(0)! && x <= m[k + 2].codePointAt(0)!) return true;
      k += 2;
    } else if (m[k] === ch) {
      return true;
    }
  }
  return false;
}
