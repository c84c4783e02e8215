// Typed conditions (SPEC §3.4): raw `{type, parameters}` maps → `Condition`s, every parameter
// typed and range-checked at load, so nothing ill-formed reaches the compiler or the VM.
// Part of normalization (src/ir/normalize.ts), split out because each type has its own table.

import { compileGlob, edgeSpacedGlob, unmatchableGlob, type GlobMode } from '../builtins/glob.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import { lowerCase } from '../builtins/case-map.js';
import { parseExpression } from '../expr/parser.js';
import type { Condition, ConditionType, PathRef, SourceExpr, Span } from './types.js';
import { CONDITION_TYPES } from './types.js';
import { FieldReader, listWords, present, type RawMap } from './normalize-reads.js';
import type { RawEntry, RawValue } from '../rules/raw.js';

/** Parameters each condition type accepts; the first ones listed are required. */
const PARAMETERS: Record<ConditionType, { required: string[]; optional: string[] }> = {
  expression: { required: ['expr'], optional: ['message'] },
  encryption_required: { required: ['algorithms'], optional: ['key_rotation_days', 'field'] },
  file_access_control: { required: [], optional: ['allowed_paths', 'blocked_extensions', 'field'] },
  rate_limit_check: { required: ['requests_per_minute'], optional: ['burst_limit', 'key'] },
};

export const GLOB_HELP = 'a `[` needs its closing `]`; a class must not be empty or a reversed range like `[z-a]`';

/** Validates glob patterns in place; true when all are valid and each can match something. */
export function checkGlobs(r: FieldReader, globs: { value: string; span: Span }[], mode: GlobMode): boolean {
  let ok = true;
  for (const g of globs) {
    if (compileGlob(g.value, mode) === null) {
      r.error(g.span, 'invalid-glob', `invalid glob pattern \`${g.value}\``, GLOB_HELP);
      ok = false;
      continue;
    }
    const never = unmatchableGlob(g.value, mode);
    if (never !== undefined) {
      r.error(g.span, 'unmatchable-glob', never.message, never.help);
      ok = false;
      continue;
    }
    const spaced = mode === 'path' ? edgeSpacedGlob(g.value) : undefined;
    if (spaced !== undefined) r.warn(g.span, 'glob-edge-space', spaced.message, spaced.help);
  }
  return ok;
}

export function normalizeCondition(r: FieldReader, raw: RawValue, label: string): Condition | undefined {
  const map = r.map(raw, label);
  if (!map) return undefined;
  const before = r.errorCount();
  r.unknownKeys(map, ['type', 'parameters'], (k) => `unknown field \`${k}\` in \`${label}\``);
  const fields = present(map);
  const typeEntry = fields.get('type');
  if (!typeEntry) {
    r.error(map.span, 'missing-field', `missing field \`type\` in \`${label}\``, `expected ${listWords(CONDITION_TYPES)}`);
    return undefined;
  }
  const type = r.string(typeEntry.value, `${label}.type`);
  if (type === undefined) return undefined;
  if (!(CONDITION_TYPES as string[]).includes(type)) {
    const near = didYouMean(type, CONDITION_TYPES);
    r.error(typeEntry.value.span, 'unknown-condition-type', `unknown condition type \`${type}\``,
      near ? `did you mean \`${near}\`?` : `expected ${listWords(CONDITION_TYPES)}`);
    return undefined;
  }
  const ctype = type as ConditionType;
  const paramsEntry = fields.get('parameters');
  const params = paramsEntry ? r.map(paramsEntry.value, `${label}.parameters`, 'invalid-parameter') : emptyMap(map.span);
  if (!params) return undefined;
  const spec = PARAMETERS[ctype];
  r.unknownKeys(params, [...spec.required, ...spec.optional],
    (k) => `unknown parameter \`${k}\` for condition type \`${ctype}\``, 'unknown-parameter');
  // Every parameter as written, `null` included: an empty `key_rotation_days:` or
  // `allowed_paths:` would otherwise read as left out and switch its check off (SPEC §3.4: an
  // ill-typed parameter is a load error); a rule's own fields still take `null` as absent.
  const p = new Params(r, new Map(params.entries.map((e) => [e.key, e])), ctype, paramsEntry?.keySpan ?? typeEntry.keySpan);
  for (const name of spec.required) p.require(name);
  const cond = build(p, ctype, map.span);
  return r.errorCount() === before ? cond : undefined;
}

function build(p: Params, type: ConditionType, span: Span): Condition | undefined {
  switch (type) {
    case 'expression': {
      const expr = p.test('expr');
      const message = p.message('message');
      return expr && { type, expr, ...(message !== undefined ? { message } : {}), span };
    }
    case 'encryption_required': {
      const algorithms = p.strings('algorithms');
      if (algorithms?.length === 0) p.invalid('algorithms', 'must list at least one algorithm');
      const days = p.number('key_rotation_days', (n) => n >= 0, 'must be 0 or more');
      const field = p.path('field', 'context.encryption', span);
      return algorithms && field && { type, algorithms, ...(days !== undefined ? { key_rotation_days: days } : {}), field, span };
    }
    case 'file_access_control': {
      const allowed = p.globs('allowed_paths');
      const blocked = p.extensions('blocked_extensions');
      const field = p.path('field', 'action.path', span);
      return field && {
        type,
        ...(allowed !== undefined ? { allowed_paths: allowed } : {}),
        ...(blocked !== undefined ? { blocked_extensions: blocked } : {}),
        field,
        span,
      };
    }
    case 'rate_limit_check': {
      const rpm = p.number('requests_per_minute', (n) => n > 0, 'must be greater than 0');
      const burst = p.number('burst_limit', (n) => n >= 1, 'must be 1 or more');
      if (rpm !== undefined && burst === undefined && rpm < 1 && !p.has('burst_limit')) {
        p.invalid('requests_per_minute', 'is below 1, so the default `burst_limit` (equal to it) could never hold a token',
          'set `burst_limit` to 1 or more');
      }
      const key = p.has('key') ? p.expr('key') : defaultExpr('context.agent_id', span);
      return rpm !== undefined && key ? { type, requests_per_minute: rpm, burst_limit: burst ?? rpm, key, span } : undefined;
    }
  }
}

/** Reads the parameters of one condition; every complaint names the parameter and the type. */
class Params {
  constructor(
    private readonly r: FieldReader,
    private readonly fields: Map<string, RawEntry>,
    private readonly type: ConditionType,
    private readonly where: Span,
  ) {}

  has(name: string): boolean {
    return this.fields.has(name);
  }

  require(name: string): void {
    if (!this.has(name)) {
      this.r.error(this.where, 'missing-parameter', `condition type \`${this.type}\` needs parameter \`${name}\``);
    }
  }

  invalid(name: string, what: string, help?: string): void {
    const e = this.fields.get(name);
    this.r.error(e ? e.value.span : this.where, 'invalid-parameter', `parameter \`${name}\` ${what}`, help);
  }

  private value(name: string): RawValue | undefined {
    return this.fields.get(name)?.value;
  }

  string(name: string): string | undefined {
    const v = this.value(name);
    return v && this.r.string(v, `parameters.${name}`, 'invalid-parameter');
  }

  message(name: string): string | undefined {
    const v = this.value(name);
    return v && this.r.message(v, `parameters.${name}`, 'invalid-parameter');
  }

  strings(name: string): string[] | undefined {
    const v = this.value(name);
    const list = v && this.r.stringList(v, `parameters.${name}`, 'invalid-parameter');
    return list && unique(list.map((s) => s.value));
  }

  number(name: string, ok: (n: number) => boolean, rule: string): number | undefined {
    const v = this.value(name);
    const n = v && this.r.number(v, `parameters.${name}`, 'invalid-parameter');
    if (n === undefined) return undefined;
    // `-0` is `0`: a rule is kept and shown as JSON, which writes `-0` as `0`, and the same
    // rule must compile to the same policy either way (a set PUT with
    // `key_rotation_days: -0` served another policy version after a restart).
    if (ok(n)) return n === 0 ? 0 : n;
    this.invalid(name, `${rule}, got \`${n}\``);
    return undefined;
  }

  expr(name: string): SourceExpr | undefined {
    const v = this.value(name);
    return v && this.r.expr(v, `parameters.${name}`, 'invalid-parameter');
  }

  /** An expression that must be true or false (FieldReader.test). */
  test(name: string): SourceExpr | undefined {
    const v = this.value(name);
    return v && this.r.test(v, `parameters.${name}`, 'invalid-parameter');
  }

  globs(name: string): string[] | undefined {
    const v = this.value(name);
    const list = v && this.r.stringList(v, `parameters.${name}`, 'invalid-parameter');
    return list && checkGlobs(this.r, list, 'path') ? unique(list.map((g) => g.value)) : undefined;
  }

  /**
   * Blocked extensions, lower-cased, each with its leading `.` (`EXE` and `.exe` both mean
   * `.exe`). An extension the path check could never see is refused: empty, containing a path
   * separator, or ending in a dot or space (those are stripped from the file name first). So
   * is one written as a pattern (`*.exe`, `.e?e`: extensions compare literally, so `*.exe`
   * blocked nothing), or holding white space or a `:` (a stream name is checked apart).
   */
  extensions(name: string): string[] | undefined {
    const v = this.value(name);
    const list = v && this.r.stringList(v, `parameters.${name}`, 'invalid-parameter');
    if (!list) return undefined;
    let ok = true;
    const out = list.map(({ value, span }) => {
      const ext = lowerCase(value.startsWith('.') ? value : '.' + value);
      if (ext === '.' || /[/\\\u0000-\u001f*?[\]{}:\s]/.test(ext) || /\.$/.test(ext)) {
        this.r.error(span, 'invalid-parameter', `invalid extension \`${value}\` in \`blocked_extensions\``,
          'write an extension like `.exe`, compared literally: not empty, no pattern characters (`*?[]{}`), no `/`, `\\`, `:` or white space, not ending in a dot');
        ok = false;
      }
      return ext;
    });
    return ok ? unique(out) : undefined;
  }

  /** A path parameter (`field`): written as an expression, but it must be a plain path. */
  path(name: string, fallback: string, span: Span): PathRef | undefined {
    const source = this.has(name) ? this.expr(name) : defaultExpr(fallback, span);
    if (!source) return undefined;
    if (source.expr.kind === 'path') return source.expr.path;
    this.invalid(name, `must be a path like \`${fallback}\`, got \`${source.source}\``);
    return undefined;
  }
}

/** Repeating a list entry changes nothing a rule means, so it must change nothing it says either. */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** A default expression, positioned at the condition that relies on it. */
function defaultExpr(text: string, span: Span): SourceExpr | undefined {
  const parsed = parseExpression(text, span);
  return parsed.expr && { source: text, expr: parsed.expr };
}

function emptyMap(span: Span): RawMap {
  return { kind: 'map', entries: [], span };
}
