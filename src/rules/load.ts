// Rule files → normalized rules, and a whole rules directory → the global baseline plus each
// tenant's own rules (SPEC §7). Web-standard only: the caller supplies the texts (from disk via
// src/adapters/node/files.ts, from an HTTP body, from a bundle).

import { TENANT_PATTERN } from '../ir/tenant-name.js';
import { normalizeRule, RULE_ID_HELP, RULE_ID_PATTERN } from '../ir/normalize.js';
import type { Diagnostic, Rule, Span } from '../ir/types.js';
import { readJson } from './json.js';
import { readMdc } from './mdc.js';
import { rawGet, type RawValue, type ReadResult } from './raw.js';
import { readYaml } from './yaml.js';

/** One rule file; `path` is relative to the rules root, with `/` separators. */
export interface RuleSource {
  path: string;
  text: string;
}

export type RuleFormat = 'json' | 'yaml' | 'mdc';
/** Every rule format, as a list (an API rule's file is `<rule_id>.<format>`). */
export const RULE_FORMATS: readonly RuleFormat[] = ['json', 'yaml', 'mdc'];

export interface ParsedRules {
  rules: Rule[];
  diagnostics: Diagnostic[];
}

export interface LoadedRules {
  /** The baseline every tenant sees. */
  global: Rule[];
  /** Each tenant's own rules (its effective set is `global` plus these). */
  tenants: Map<string, Rule[]>;
  diagnostics: Diagnostic[];
}

const EXTENSIONS: Record<string, RuleFormat> = { json: 'json', yaml: 'yaml', yml: 'yaml', mdc: 'mdc', md: 'mdc' };
const READERS: Record<RuleFormat, (text: string, file: string) => ReadResult> = { json: readJson, yaml: readYaml, mdc: readMdc };

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

/** The rule format a file name implies, if any. */
export function formatOf(path: string): RuleFormat | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? EXTENSIONS[name.slice(dot + 1).toLowerCase()] : undefined;
}

/**
 * Parse one rule file, choosing the format by extension.
 *
 * @example parseRuleFile({ path: 'db.yaml', text: 'rule_id: db\nprohibited: [{when: "true"}]' }).rules[0].rule_id // 'db'
 */
export function parseRuleFile(source: RuleSource): ParsedRules {
  const format = formatOf(source.path);
  if (format) return parseRuleText(source.text, format, source.path);
  const name = source.path.slice(source.path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return {
    rules: [],
    diagnostics: [{
      severity: 'error',
      code: 'unknown-extension',
      message: dot > 0 ? `unsupported rule file extension \`${name.slice(dot)}\`` : `rule file \`${name}\` has no extension`,
      help: 'rule files end in `.json`, `.yaml`, `.yml`, `.mdc` or `.md`',
      span: { file: source.path, line: 1, col: 1 },
    }],
  };
}

/** Parse rule text of a known format (the HTTP PUT knows it from the Content-Type). */
export function parseRuleText(text: string, format: RuleFormat, path: string): ParsedRules {
  // A byte order mark is no part of the rule: read past it, columns count from after it.
  const read = safeRead(READERS[format], text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, path);
  const diagnostics = [...read.diagnostics, ...loneSurrogates(read.values)];
  const rules: Rule[] = [];
  const raws = read.values.flatMap((v) => unpack(v, diagnostics));
  // After a reader error (a duplicate key, say) what the file means is in doubt: its rules are
  // still checked, for the diagnostics, but none of them loads.
  const readerFailed = hasErrors(diagnostics);
  // Ids repeat within one file are refused here, so `mge lint file` says so as a rules tree does.
  const ids = new Map<string, Rule>();
  for (const raw of raws) {
    const { rule, diagnostics: found } = normalizeRule(raw, path);
    for (const d of found) diagnostics.push(d);
    if (!rule || duplicate(rule, ids.get(rule.rule_id), diagnostics, 'defined')) continue;
    ids.set(rule.rule_id, rule);
    if (!readerFailed) rules.push(rule);
  }
  if (read.values.length === 0 && !hasErrors(diagnostics)) {
    // Nothing at all (empty, blank, comments, `null`): most likely a file caught while being
    // written (truncate, then write). Loaded, it would drop every rule the file held.
    diagnostics.push({
      severity: 'error', code: 'empty-file', message: 'file is empty: it holds no rule (only blanks, comments or `null`)',
      help: 'to remove the rules of a file, delete the file; a file meant to hold none says so with `rules: []`',
      span: { file: path, line: 1, col: 1 },
    });
  } else if (raws.length === 0 && !hasErrors(diagnostics)) {
    diagnostics.push({ severity: 'warning', code: 'no-rules', message: 'file holds no rules', span: { file: path, line: 1, col: 1 } });
  }
  return { rules, diagnostics: sortByPlace(diagnostics) };
}

/**
 * Strings holding a lone UTF-16 surrogate (`"\ud800"` escaped in JSON or YAML): a message or
 * name with one would go into signed decisions that other parties cannot read as the same
 * text, so rules are held to what SPEC §2 asks of requests.
 */
function loneSurrogates(values: readonly RawValue[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const walk = (v: RawValue, keySpan?: Span, key?: string): void => {
    if (key !== undefined && !key.isWellFormed()) out.push(lone(keySpan ?? v.span));
    if (v.kind === 'string' && !v.value.isWellFormed()) out.push(lone(v.span));
    else if (v.kind === 'list') for (const item of v.items) walk(item);
    else if (v.kind === 'map') for (const e of v.entries) walk(e.value, e.keySpan, e.key);
  };
  for (const v of values) walk(v);
  return out;
}

function lone(span: Span): Diagnostic {
  return { severity: 'error', code: 'lone-surrogate', message: 'a string holds a lone UTF-16 surrogate, which has no UTF-8 form', help: 'write the character itself, or a surrogate pair (`\\ud83d\\ude00`)', span };
}

/** In file order, as a reader of the file expects them (the sort is stable for equal places). */
function sortByPlace(ds: Diagnostic[]): Diagnostic[] {
  return ds.sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col);
}

/** A reader bug must not take the caller down: it becomes an error, so the file does not load. */
function safeRead(reader: (text: string, file: string) => ReadResult, text: string, file: string): ReadResult {
  try {
    return reader(text, file);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    // Deno refuses the YAML parser (its Node build) the environment variables it reads for its
    // own debugging, unless allowed: not a bug in MGE nor in the file.
    const refused = e instanceof Error && (e.name === 'NotCapable' || e.name === 'PermissionDenied');
    return {
      values: [],
      diagnostics: [{
        severity: 'error',
        code: refused ? 'runtime-permission' : 'reader-failure',
        message: refused ? `the runtime refused the rule reader: ${why}` : `could not read the file: ${why}`,
        help: refused
          ? 'on Deno, allow what it names: the YAML parser reads LOG_TOKENS and LOG_STREAM (`deno run --allow-env=LOG_TOKENS,LOG_STREAM …`)'
          : 'this is a bug in MGE; please report it with the file',
        span: { file, line: 1, col: 1 },
      }],
    };
  }
}

/** A file holds one rule, a list of rules, or `{rules: [...]}` (SPEC §3.2). */
function unpack(v: RawValue, diagnostics: Diagnostic[]): RawValue[] {
  if (v.kind === 'list') return v.items;
  if (v.kind === 'map') {
    const rules = rawGet(v, 'rules');
    if (!rules) return [v];
    for (const e of v.entries) {
      if (e.key === 'rules') continue;
      diagnostics.push({
        severity: 'error',
        code: 'unknown-field',
        message: `unknown field \`${e.key}\` next to \`rules\``,
        help: 'a file with `rules:` holds only that list; put the field inside a rule',
        span: e.keySpan,
      });
    }
    if (rules.value.kind === 'list') return rules.value.items;
    diagnostics.push(shapeError(rules.value, '`rules` must be a list of rules'));
    return [];
  }
  diagnostics.push(shapeError(v, 'expected a rule, a list of rules or `{rules: [...]}`'));
  return [];
}

function shapeError(v: RawValue, what: string): Diagnostic {
  return { severity: 'error', code: 'invalid-shape', message: `${what}, got ${v.kind}`, span: v.span };
}

/**
 * Load a rules tree (SPEC §7): `tenants/<tenant>/…` belong to that tenant, everything else is
 * the global baseline. rule_ids are unique in the baseline and in each tenant's effective set.
 * `options.root`, when given, is prefixed to file names in spans and messages (so `mge lint
 * rules` says `rules/a.yaml:3:1`); tenancy is still read from the paths relative to the root.
 */
export function loadRuleSources(sources: readonly RuleSource[], options: { root?: string } = {}): LoadedRules {
  const shown = (path: string): string => rootedPath(options.root, path);
  const diagnostics: Diagnostic[] = [];
  const global: Rule[] = [];
  const tenants = new Map<string, Rule[]>();
  const globalIds = new Map<string, Rule>();
  const tenantIds = new Map<string, Map<string, Rule>>();
  const sorted = [...sources].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const source of sorted) {
    const tenant = tenantOf(source.path, shown(source.path), diagnostics);
    if (tenant === null) continue;
    const parsed = parseRuleFile({ path: shown(source.path), text: source.text });
    for (const d of parsed.diagnostics) diagnostics.push(d);
    for (const rule of parsed.rules) {
      if (tenant === undefined) {
        if (duplicate(rule, globalIds.get(rule.rule_id), diagnostics, 'defined')) continue;
        globalIds.set(rule.rule_id, rule);
        global.push(rule);
        continue;
      }
      rule.source.tenant = tenant;
      const own = tenantIds.get(tenant) ?? new Map<string, Rule>();
      tenantIds.set(tenant, own);
      if (duplicate(rule, own.get(rule.rule_id), diagnostics, 'defined')) continue;
      own.set(rule.rule_id, rule);
      const list = tenants.get(tenant) ?? [];
      tenants.set(tenant, list);
      list.push(rule);
    }
  }
  // A tenant may add rules, never replace a global one: the baseline must hold for every tenant.
  for (const [tenant, rules] of tenants) {
    const kept = rules.filter((rule) => !duplicate(rule, globalIds.get(rule.rule_id), diagnostics, 'a global rule'));
    tenants.set(tenant, kept);
  }
  return { global, tenants, diagnostics };
}

/** `path` as seen from outside the rules root (`rules` + `a.yaml` → `rules/a.yaml`; `.` adds nothing). */
export function rootedPath(root: string | undefined, path: string): string {
  let r = root ?? '';
  while (r.endsWith('/')) r = r.slice(0, -1);
  return r === '' || r === '.' ? path : `${r}/${path}`;
}

/** Reports `rule` as a duplicate of `first` if there is one; true when it was. */
function duplicate(rule: Rule, first: Rule | undefined, diagnostics: Diagnostic[], what: 'defined' | 'a global rule'): boolean {
  if (!first) return false;
  diagnostics.push({
    severity: 'error',
    code: 'duplicate-rule-id',
    message: what === 'defined'
      ? `duplicate rule id \`${rule.rule_id}\``
      : `rule id \`${rule.rule_id}\` of tenant \`${rule.source.tenant}\` is already a global rule`,
    help: what === 'defined'
      ? `first defined at ${where(idSpanOf(first))}; rule ids must be unique`
      : `the global rule is at ${where(idSpanOf(first))}; a tenant can add rules but not replace global ones, so rename it`,
    span: idSpanOf(rule),
    related: idSpanOf(first),
  });
  return true;
}

/** Where a rule's id is written (not the rule's `{` or `---`, for a duplicate). */
export function idSpanOf(rule: Rule): Span {
  return rule.source.idSpan ?? rule.source.span;
}

function where(s: Span): string {
  return `${s.file}:${s.line}:${s.col}`;
}

/** Whether a rule source (its path in the rules directory) is one tenant's, not the global baseline. */
function isTenantSource(path: string): boolean {
  return path.split('/')[0] === 'tenants';
}

/** Whether any of `sources` gives every tenant rules (a file outside `tenants/`). */
export function hasGlobalSource(sources: readonly RuleSource[]): boolean {
  return sources.some((s) => !isTenantSource(s.path));
}

/** The tenant a file belongs to: undefined for the baseline, null (with a diagnostic) when misplaced. */
function tenantOf(path: string, file: string, diagnostics: Diagnostic[]): string | undefined | null {
  const parts = path.split('/');
  const span: Span = { file, line: 1, col: 1 };
  if (!isTenantSource(path)) {
    // `Tenants/acme/x.yaml` or `team/tenants/acme/x.yaml` reads as tenant rules to a person
    // and is loaded as global ones: every tenant gets them. Loaded so, but said.
    const folder = parts.slice(0, -1).find((p) => p.toLowerCase() === 'tenants');
    if (folder !== undefined) {
      diagnostics.push({
        severity: 'warning',
        code: 'not-a-tenant-folder',
        message: `\`${file}\` is a global rule file for every tenant: only a folder named \`tenants\` at the top of the rules directory holds tenant rules`,
        help: `move it to \`tenants/<tenant>/\` to make it one tenant's, or rename \`${folder}\` to say it is global`,
        span,
      });
    }
    return undefined;
  }
  if (parts.length < 3) {
    diagnostics.push({
      severity: 'error',
      code: 'misplaced-file',
      message: `rule file \`${file}\` is not in a tenant folder`,
      help: 'put tenant rules in `tenants/<tenant>/`, and global rules outside `tenants/`',
      span,
    });
    return null;
  }
  // Also a name a tenant can have (API keys, `mge check --tenant`: at most 64 characters): a
  // folder no key can reach holds rules nobody is checked against (a 70-letter one passed lint).
  if (RULE_ID_PATTERN.test(parts[1]) && TENANT_PATTERN.test(parts[1])) return parts[1];
  // A key's tenant may have upper-case letters; its folder may not (a case-insensitive file
  // system would mix `Acme` and `acme` up), so say how such a tenant gets rules.
  const upper = TENANT_PATTERN.test(parts[1]) && RULE_ID_PATTERN.test(parts[1].toLowerCase());
  diagnostics.push({
    severity: 'error',
    code: 'invalid-tenant',
    message: `invalid tenant name \`${parts[1]}\``,
    help: upper
      ? 'tenant folders are lower case, so that a case-insensitive file system cannot mix two tenants up; a tenant with upper-case letters can have rules through the API (PUT /api/v1/rules/:id), not in a folder'
      : `${RULE_ID_HELP.replace('a rule id', 'a tenant name')}, at most 64 characters, not ending in \`.\``,
    span,
  });
  return null;
}
