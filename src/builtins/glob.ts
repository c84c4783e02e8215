// Linear-time glob matching (SPEC §3.7, docs/semantics.md "Globs").
//
// A pattern compiles to a list of tokens; token i is NFA state i, state n accepts. Matching
// keeps the SET of active states while it reads the input's code points once, so the cost is
// O(pattern × input) whatever the pattern — no backtracking, no blow-up on `*a*a*a*…b`.
// Every transition goes forward (i → i+1) or stays (star loops), so the ε-closure is one
// forward pass.
//
// Choices where the semantics leave room (the VM in assembly/glob.ts must make the same):
// - There is no escape character. The first `]` after `[` closes the class; an empty class
//   (`[]`, `[!]`, `[^]`), a `[` without `]` and a reversed range (`[z-a]`) are invalid.
// - In a class, `-` between two members is a range; first or last it is literal.
// - Path mode: one `*` is any run without `/`; two or more are `**`, any run; a `**` that
//   starts the pattern or follows a `/` and is followed by `/` (`**/`) matches nothing or any
//   run ending in `/`, so `a/**/b` matches `a/b`.
// - Path mode: a pattern ending in `/**` (one or more such groups) also matches what the part
//   before them matches: `secrets/**` matches `secrets` itself ("also none", SPEC §3.7).
//   Else a deny rule scoped to `secrets/**` lets `file.delete secrets` pass.
// - Action mode: every run of `*` is any run; `.` and `/` are ordinary characters.

import { normalizePath } from './path.js';

export type GlobMode = 'path' | 'action';

const SLASH = 0x2f;

type Token =
  | { t: 'lit'; cp: number }
  | { t: 'any' } //                       `?`
  | { t: 'class'; negated: boolean; ranges: number[] } // [lo0, hi0, lo1, hi1, …]
  | { t: 'star' } //                      a run without `/` (path) or any run (action)
  | { t: 'globstar' } //                  any run
  // `**/` is `(**/)?`: this token consumes nothing and lets the match skip the globstar and
  // `/` tokens that follow it.
  | { t: 'optional2' };

export interface CompiledGlob {
  readonly pattern: string;
  readonly mode: GlobMode;
  readonly tokens: readonly Token[];
  /** Path mode, a pattern ending in `/**`: the part before those groups, also tried (the directory itself). */
  readonly directory?: CompiledGlob;
}

/**
 * `pattern` without its trailing `/**` groups (`dir/**` → `dir`, several groups alike), or undefined
 * when it has none or nothing is before them (`/**`). A scan from the end, linear (a regex
 * here was quadratic in the pattern's length), the same as assembly/glob.ts.
 */
export function directoryForm(pattern: string): string | undefined {
  let end = pattern.length;
  for (;;) {
    let start = end;
    while (start > 0 && pattern.charCodeAt(start - 1) === 0x2a /* * */) start--;
    if (end - start < 2 || start < 2 || pattern.charCodeAt(start - 1) !== SLASH) break;
    end = start - 1;
  }
  return end === pattern.length ? undefined : pattern.slice(0, end);
}

/**
 * Compile a glob pattern; `null` when it is invalid (an unclosed or empty class, a reversed range).
 *
 * @example matchGlob(compileGlob('src/**\/*.ts', 'path')!, 'src/a/b.ts') // true
 */
export function compileGlob(pattern: string, mode: GlobMode): CompiledGlob | null {
  const cps = Array.from(pattern, (c) => c.codePointAt(0)!);
  const tokens: Token[] = [];
  let segmentsEnd = -1; // tokens.length right after the last `**/`, to merge repeats
  let i = 0;
  while (i < cps.length) {
    const c = cps[i];
    if (c === 0x2a /* * */) {
      let j = i;
      while (j < cps.length && cps[j] === 0x2a) j++;
      const run = j - i;
      if (mode === 'action' || run === 1) {
        tokens.push({ t: 'star' });
      } else {
        const atSegmentStart = i === 0 || cps[i - 1] === SLASH;
        const afterSegments = segmentsEnd === tokens.length;
        if (atSegmentStart && cps[j] === SLASH) {
          j++; // the `/` belongs to the group
          // `**/**/` matches what one `**/` does; merging keeps the state count small.
          if (!afterSegments) {
            tokens.push({ t: 'optional2' }, { t: 'globstar' }, { t: 'lit', cp: SLASH });
            segmentsEnd = tokens.length;
          }
        } else if (afterSegments) {
          // `**/**` is one `**`. The merged group is gone, so forget where it ended: a later
          // `**` at that same token count must not merge with it again.
          tokens.splice(tokens.length - 3, 3, { t: 'globstar' });
          segmentsEnd = -1;
        } else {
          tokens.push({ t: 'globstar' });
        }
      }
      i = j;
    } else if (c === 0x3f /* ? */) {
      tokens.push({ t: 'any' });
      i++;
    } else if (c === 0x5b /* [ */) {
      const parsed = parseClass(cps, i + 1);
      if (!parsed) return null;
      tokens.push(parsed.token);
      i = parsed.next;
    } else {
      tokens.push({ t: 'lit', cp: c });
      i++;
    }
  }
  const dir = mode === 'path' ? directoryForm(pattern) : undefined;
  const directory = dir === undefined ? undefined : compileGlob(dir, mode) ?? undefined;
  return directory === undefined ? { pattern, mode, tokens } : { pattern, mode, tokens, directory };
}

function parseClass(cps: number[], start: number): { token: Token; next: number } | null {
  let i = start;
  let negated = false;
  if (cps[i] === 0x21 /* ! */ || cps[i] === 0x5e /* ^ */) {
    negated = true;
    i++;
  }
  const members: number[] = [];
  while (i < cps.length && cps[i] !== 0x5d /* ] */) {
    members.push(cps[i]);
    i++;
  }
  if (i >= cps.length || members.length === 0) return null;
  const ranges: number[] = [];
  for (let k = 0; k < members.length; k++) {
    const lo = members[k];
    if (members[k + 1] === 0x2d /* - */ && k + 2 < members.length) {
      const hi = members[k + 2];
      if (hi < lo) return null;
      ranges.push(lo, hi);
      k += 2;
    } else {
      ranges.push(lo, lo);
    }
  }
  return { token: { t: 'class', negated, ranges }, next: i + 1 };
}

function inClass(tok: { negated: boolean; ranges: number[] }, cp: number): boolean {
  let hit = false;
  for (let k = 0; k < tok.ranges.length; k += 2) {
    if (cp >= tok.ranges[k] && cp <= tok.ranges[k + 1]) {
      hit = true;
      break;
    }
  }
  return hit !== tok.negated;
}

/**
 * Does `input` match? Reads each code point once against the set of active states.
 * `counter.steps` (when given) grows by one per active state per code point, so tests can
 * prove the matcher linear in the input without timing it.
 */
export function matchGlob(g: CompiledGlob, input: string, counter?: { steps: number }): boolean {
  const toks = g.tokens;
  const n = toks.length;
  const path = g.mode === 'path';
  let active = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  active[0] = 1;
  closure(toks, active);
  let steps = 0;
  for (let i = 0; i < input.length; ) {
    const cp = input.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    next.fill(0);
    let any = false;
    for (let s = 0; s < n; s++) {
      if (active[s] === 0) continue;
      steps++;
      const tok = toks[s];
      switch (tok.t) {
        case 'lit':
          if (tok.cp === cp) next[s + 1] = 1;
          break;
        case 'any':
          if (!path || cp !== SLASH) next[s + 1] = 1;
          break;
        case 'class':
          if ((!path || cp !== SLASH) && inClass(tok, cp)) next[s + 1] = 1;
          break;
        case 'star':
          if (!path || cp !== SLASH) next[s] = 1;
          break;
        case 'globstar':
          next[s] = 1;
          break;
        case 'optional2':
          break;
      }
    }
    closure(toks, next);
    for (let s = 0; s <= n; s++) if (next[s] !== 0) any = true;
    [active, next] = [next, active];
    if (!any) break;
  }
  if (counter) counter.steps += steps;
  return active[n] === 1 || (g.directory !== undefined && matchGlob(g.directory, input, counter));
}

/** Stars may match nothing, `optional2` may skip its group: ε-moves, all forward. */
function closure(toks: readonly Token[], set: Uint8Array): void {
  for (let s = 0; s < toks.length; s++) {
    if (set[s] === 0) continue;
    const t = toks[s].t;
    if (t === 'star' || t === 'globstar' || t === 'optional2') set[s + 1] = 1;
    if (t === 'optional2') set[s + 3] = 1;
  }
}

/** Why a pattern written in a rule can never match anything it is matched against. */
export interface UnmatchableGlob {
  message: string;
  help: string;
}

/**
 * White space, format characters and blank fillers (U+3164, U+115F, U+2800…) at either end of
 * a pattern. Not every default-ignorable code point: U+FE0F ends emoji (`react.❤️`).
 */
// The trailing run starts where no such character precedes it: tried from every position of a
// long inner run, it was quadratic (1.3 s for `a<60 000 spaces>a` in a rule).
const EDGE_INVISIBLE = /^[\s\p{Cf}\u115F\u1160\u2800\u3164\uFFA0]+|(?<![\s\p{Cf}\u115F\u1160\u2800\u3164\uFFA0])[\s\p{Cf}\u115F\u1160\u2800\u3164\uFFA0]+$/gu;

/** `pattern` without white space or invisible characters at its ends (EDGE_INVISIBLE). */
function withoutEdgeInvisibles(pattern: string): string {
  return pattern.replace(EDGE_INVISIBLE, '');
}

/**
 * A path pattern with white space or an invisible character at an end: a path may hold one,
 * so it is a warning, not an error; but `" secrets/**"` in a deny scope, pasted with its
 * space, silently governs nothing (lint quiet).
 */
export function edgeSpacedGlob(pattern: string): { message: string; help: string } | undefined {
  const bare = withoutEdgeInvisibles(pattern);
  if (bare === pattern || bare === '') return undefined;
  return { message: `\`${pattern}\` begins or ends with white space or an invisible character: it matches only paths that do too`, help: `write \`${bare}\` unless that is meant` };
}

/**
 * For load-time checks of rule-written patterns (scope globs, `allowed_paths`, literal
 * `glob()` patterns): a valid pattern that still cannot match. Paths are normalized before
 * matching (SPEC §3.7), so `./src/**` or `src//**` would never match `src/a.ts`, and braces
 * are no glob syntax here (Cursor's `*.{ts,tsx}` is two patterns). Such a scope never applies
 * and such an allow list never allows: a typo that silently disables a rule is an error.
 */
export function unmatchableGlob(pattern: string, mode: GlobMode): UnmatchableGlob | undefined {
  // A class matches one character (`[!\\]`, `[{]`): it stands in as one placeholder while the
  // text outside classes is judged. In path mode a class never matches `/`, and a normalized
  // path holds no `\`: a class of only those never matches; one of only `.` is a `.`.
  const classes: string[] = [];
  let never: string | undefined;
  let dots = false;
  const masked = pattern.replace(/\[([!^]?)([^\]]*)\]/g, (c, negated: string, members: string) => {
    const plain = negated === '' && !/.-./.test(members); // listed characters, no range
    if (mode === 'path' && plain && /^[/\\]+$/.test(members)) never = c;
    if (mode === 'path' && plain && /^\.+$/.test(members)) return (dots = true, '.');
    classes.push(c);
    return CLASS;
  });
  if (never !== undefined) {
    return { message: `\`${pattern}\` can never match: the class \`${never}\` holds only \`/\` or \`\\\`, and a class never matches \`/\` (paths hold no \`\\\` once normalized)`, help: 'write the separator as `/` outside a class, e.g. `config/secrets.json`' };
  }
  if (/[{}]/.test(masked)) {
    return {
      message: `braces are not glob syntax here: \`${pattern}\` would match them as characters`,
      help: 'list each alternative as a pattern of its own, e.g. `src/**/*.ts` and `src/**/*.tsx`; a brace meant as a character is written as a class, `[{]`',
    };
  }
  if (mode === 'action') {
    // Only `"type": ""` would match: a scope that reads as "every action" and is almost none.
    if (pattern === '') return { message: 'an empty pattern matches only an empty action type', help: 'write an action type glob such as `db.*` (`*` for every action), or remove it' };
    // `"db.* "` or a zero-width space pasted in: a typo that makes a deny rule apply to nothing
    // (action types hold no such characters at their ends).
    const bare = withoutEdgeInvisibles(pattern);
    if (bare !== pattern) return { message: `\`${pattern}\` begins or ends with white space or an invisible character, which no action type does`, help: `write \`${bare}\`` };
    return undefined;
  }
  if (pattern === '') return { message: 'an empty pattern matches no path', help: 'write a pattern such as `src/**`, or remove it' };
  if (withoutEdgeInvisibles(pattern) === '') return { message: 'a pattern of only white space or invisible characters matches no path anyone means', help: 'write a pattern such as `src/**`, or remove it' };
  const normal = normalizePath(masked);
  if (!normal.ok) {
    return {
      message: `\`${pattern}\` can never match: a ${normal.detail === 'path escapes its root' ? 'path that escapes its root' : 'path with a control character'} is refused before matching`,
      help: 'write the pattern relative to the root, without `..` above it or control characters',
    };
  }
  if (normal.path !== masked) {
    // `//**` still matches `/` (its directory form, which is normal): said as it is.
    const dir = directoryForm(masked);
    const dirNormal = dir === undefined ? undefined : normalizePath(dir);
    if (dir !== undefined && dirNormal?.ok === true && dirNormal.path === dir) {
      return { message: `\`${pattern}\` can match only \`${dir}\` itself: paths are normalized before matching (no empty segments), so nothing below it`, help: `write \`${normal.path}\`` };
    }
    let k = 0;
    const suggested = normal.path.replaceAll(CLASS, () => classes[k++]);
    return {
      message: `\`${pattern}\` can never match: paths are normalized before matching (\`\\\` → \`/\`, no \`.\`, \`..\` or empty segments, no trailing \`/\`)`,
      help: normal.path === '' ? 'write a pattern such as `**`'
        : k === classes.length && !dots ? `write \`${suggested}\`` : 'write it in that normal form',
    };
  }
  return undefined;
}

/** Stands for a `[…]` class while a pattern's form is checked (a private-use character). */
const CLASS = '\uE000';
