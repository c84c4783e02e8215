// Violation codes and messages of the typed conditions (SPEC §3.4, docs/semantics.md).
// The oracle and the VM host both report (code, condition, subject value) and call these, so
// the two paths give the same text.

import type { Condition, Json, PathRef } from './types.js';
import { isObject } from '../json/is-object.js';
import { lowerCase, upperCase } from '../builtins/case-map.js';
import { firstCodePoints } from '../builtins/text.js';

export type ConditionCode =
  | 'expression'
  | 'encryption_algorithm'
  | 'encryption_key_age'
  | 'path_invalid'
  | 'path_not_allowed'
  | 'extension_blocked'
  | 'rate_limited'
  | 'state_unavailable';

/** Numeric ids for condition codes, shared with the VM. */
export const CONDITION_CODE_IDS: readonly ConditionCode[] = [
  'expression', 'encryption_algorithm', 'encryption_key_age', 'path_invalid',
  'path_not_allowed', 'extension_blocked', 'rate_limited', 'state_unavailable',
];

/** `action.a["b c"][0]` — the canonical text of a path. */
export function pathText(p: PathRef): string {
  let out: string = p.root;
  for (const seg of p.segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function quoted(values: readonly string[]): string {
  return values.map((v) => '`' + v + '`').join(', ');
}

/**
 * Long request values are cut in messages, at 200 code points (cut at 200 UTF-16 units, a
 * message could end in half an emoji, which no decision can be signed with); the explanation
 * carries them whole.
 */
function shown(v: string): string {
  const head = firstCodePoints(v, 200);
  return head.length < v.length ? head + '…' : v;
}

/**
 * The message of a violated typed condition. `subject` is the value the condition read: the
 * `<field>` object for encryption_required, the path for file_access_control, the key for
 * rate_limit_check.
 */
export function conditionMessage(code: ConditionCode, cond: Condition, subject: Json | undefined): string {
  switch (code) {
    case 'expression':
      return cond.type === 'expression'
        ? cond.message ?? `expression \`${cond.expr.source}\` is not true`
        : 'expression is not true';
    case 'encryption_algorithm': {
      const allowed = cond.type === 'encryption_required' ? quoted(cond.algorithms) : '';
      const where = cond.type === 'encryption_required' ? pathText(cond.field) : 'encryption';
      const alg = isObject(subject) ? subject['algorithm'] : undefined;
      return typeof alg === 'string'
        ? `encryption algorithm \`${shown(alg)}\` is not one of ${allowed}`
        : `encryption algorithm \`${where}.algorithm\` is missing or not a string (expected one of ${allowed})`;
    }
    case 'encryption_key_age': {
      const days = cond.type === 'encryption_required' ? cond.key_rotation_days : undefined;
      const where = cond.type === 'encryption_required' ? pathText(cond.field) : 'encryption';
      const age = isObject(subject) ? subject['key_age_days'] : undefined;
      return typeof age === 'number'
        ? `encryption key is ${age} days old; keys must rotate within ${days} days`
        : `encryption key age \`${where}.key_age_days\` is missing or not a number (keys must rotate within ${days} days)`;
    }
    case 'path_invalid': {
      const where = cond.type === 'file_access_control' ? pathText(cond.field) : 'action.path';
      if (typeof subject !== 'string') return `path \`${where}\` is missing or not a string`;
      return hasControl(subject)
        ? `path \`${where}\` contains a control character`
        : `path \`${shown(subject)}\` escapes its root`;
    }
    case 'path_not_allowed': {
      const allowed = cond.type === 'file_access_control' ? cond.allowed_paths ?? [] : [];
      // `allowed_paths: []` allows no path at all: said so, not as an empty list `()`.
      if (allowed.length === 0) return `path \`${shown(String(subject))}\` is not allowed: \`allowed_paths\` is empty, so no path is`;
      return `path \`${shown(String(subject))}\` matches no allowed path (${quoted(allowed)})`;
    }
    case 'extension_blocked': {
      const ext = cond.type === 'file_access_control' && typeof subject === 'string'
        ? blockedExtension(subject, cond.blocked_extensions ?? [])
        : undefined;
      return `extension \`${ext ?? '?'}\` of \`${shown(String(subject))}\` is blocked`;
    }
    case 'rate_limited': {
      if (cond.type !== 'rate_limit_check') return 'rate limit exceeded';
      return `rate limit exceeded: ${cond.requests_per_minute} requests per minute, burst ${cond.burst_limit}`;
    }
    case 'state_unavailable':
      return 'rate limit store unavailable: denied (fail closed)';
  }
}

function hasControl(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(s);
}

/**
 * The first blocked extension the path's last segment ends with, or undefined.
 * The segment loses trailing dots and spaces first (Windows drops them, so `run.EXE. ` would
 * still run as `run.exe`), and is compared lower-cased and, if not ASCII, case folded too.
 */
export function blockedExtension(path: string, blocked: readonly string[]): string | undefined {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const segment = path.slice(cut + 1);
  // On NTFS `evil.exe::$DATA`, `evil.exe:stream` and `C:evil.exe::$DATA` write to `evil.exe`:
  // every part between colons is checked too (elsewhere such a name is merely blocked as
  // well: the stricter side).
  const names = segment.includes(':') ? [segment, ...segment.split(':')] : [segment];
  // The run starts after the last other character: unanchored, `[. ]+$` was tried from every
  // dot of `a....a.exe` (quadratic; 36 ms a check at 8 000 dots).
  const cleaned = names.map((n) => n.replace(/(?<![. ])[. ]+$/, ''));
  const forms = [...cleaned.map(lowerCase), ...cleaned.filter(notAscii).map(foldCase)];
  return blocked.find((ext) => {
    const folded = foldCase(ext);
    return forms.some((n) => n.endsWith(ext) || n.endsWith(folded));
  });
}

/**
 * Case folded the way a file system's upcase table sees names: lower, upper, lower again.
 * Lower-casing alone left `ſ` (U+017F, whose upper case is `S`) and so `run.pſ1`, the same file
 * as `run.PS1` on NTFS, got past a blocked `.ps1`; `ẞ` and `ß` fold to `ss`,
 * which blocks more, the stricter side; a final `ς` is `σ`. The VM's extBlocked folds the same way.
 */
export function foldCase(s: string): string {
  // `ς` too: lower-casing gives it after a cased letter (`a.Σ` → `a.ς`, `.Σ` alone → `.σ`), and
  // the round trip keeps it; NTFS upper-cases both to `Σ`.
  return lowerCase(upperCase(lowerCase(s))).replaceAll('ς', 'σ');
}

function notAscii(s: string): boolean {
  return /[^\u0000-\u007f]/.test(s);
}
