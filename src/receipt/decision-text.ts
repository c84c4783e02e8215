// The canonical text of a decision, as signed (decision_hash) and as logged (with its receipt).
// Every receipt needs it, and the generic RFC 8785 writer was the largest part of signing
// (~4 µs of ~9 here): it sorts keys, escapes each key and builds a member list. A decision's
// members are known, so they are written here in their canonical order directly (~1.3 µs).
// Anything off that shape (another member, another type, a non-plain object) goes through the
// generic writer instead, so the text is always exactly canonicalize's
// (test/receipt/decision-text.property.test.ts).

import type { Json } from '../ir/types.js';
import { canonicalMembers, canonicalStringBody as body, canonicalStringCached as cached } from './jcs.js';

/**
 * A decision's canonical members without `receipt` and `explanation`, split where `receipt`
 * sorts in: `before` and `after` are comma-joined `"key":value` texts (either may be empty).
 */
export interface DecisionText {
  before: string;
  after: string;
}

/** Members a decision may have; UNSIGNED are the two that decision_hash does not cover. */
const DECISION_KEYS = new Set([
  'action_hash', 'approved', 'audience', 'decision_id', 'explanation', 'policy_version', 'reasoning',
  'receipt', 'rule_ids', 'tenant', 'timestamp', 'violations', 'warnings',
]);
const UNSIGNED: readonly string[] = ['receipt', 'explanation'];
const VIOLATION_KEYS = new Set(['clause', 'code', 'effect', 'message', 'rule_id', 'severity']);

export function decisionText(decision: object): DecisionText {
  return hasKnownShape(decision) ? written(decision as KnownDecision) : generic(decision);
}

/**
 * C(decision without receipt and explanation), or with `receiptText` (C(receipt)) as its
 * receipt, after `prefix` (the signer writes the audit leaf's "\0" in the same expression).
 */
export function joinDecisionText(t: DecisionText, receiptText?: string, prefix = ''): string {
  if (receiptText !== undefined && t.before !== '' && t.after !== '') {
    // The usual case, a signed decision: one expression, no separators to work out.
    return prefix + '{' + t.before + ',"receipt":' + receiptText + ',' + t.after + '}';
  }
  let out = prefix + '{' + t.before;
  let empty = t.before === '';
  if (receiptText !== undefined) {
    out += (empty ? '' : ',') + '"receipt":' + receiptText;
    empty = false;
  }
  if (t.after !== '') out += (empty ? '' : ',') + t.after;
  return out + '}';
}

interface KnownViolation { clause: string; code: string; effect: string; message: string; rule_id: string; severity: string }
interface KnownDecision {
  action_hash: string; approved: boolean; audience?: string; decision_id: string; policy_version: string;
  reasoning: string; rule_ids: string[]; tenant: string; timestamp: string; violations: KnownViolation[]; warnings: KnownViolation[];
}

const isPlain = (o: object) => {
  const p = Object.getPrototypeOf(o) as unknown;
  return p === Object.prototype || p === null;
};

/** Whether `d` is a decision the direct writer handles (exported for the tests). */
export function hasKnownShape(d: object): boolean {
  if (!isPlain(d) || !allKnown(Object.keys(d), ENGINE_DECISION_ORDER, DECISION_KEYS)) return false;
  const x = d as Record<string, unknown>;
  return typeof x.action_hash === 'string' && typeof x.approved === 'boolean' && (x.audience === undefined || typeof x.audience === 'string')
    && typeof x.decision_id === 'string' && typeof x.policy_version === 'string' && typeof x.reasoning === 'string'
    && typeof x.tenant === 'string' && typeof x.timestamp === 'string'
    && allStrings(x.rule_ids)
    && knownViolations(x.violations) && knownViolations(x.warnings);
}

// The order the engine makes its decisions and violations in (src/engine/engine.ts,
// src/engine/decision.ts). Keys in exactly that order are known at one comparison each; any
// other order is looked up key by key. Only a speed hint: both answer the same.
const ENGINE_DECISION_ORDER = ['decision_id', 'approved', 'reasoning', 'rule_ids', 'violations', 'warnings', 'tenant', 'policy_version', 'timestamp', 'action_hash', 'audience'];
const ENGINE_VIOLATION_ORDER = ['rule_id', 'clause', 'code', 'message', 'effect', 'severity'];

function allKnown(keys: readonly string[], usual: readonly string[], known: ReadonlySet<string>): boolean {
  let i = 0;
  while (i < keys.length && i < usual.length && keys[i] === usual[i]) i++;
  for (; i < keys.length; i++) if (!known.has(keys[i])) return false;
  return true;
}

// A loop, not `every`: `every` skips the holes of a sparse array, which the generic writer refuses.
function allStrings(a: unknown): boolean {
  if (!Array.isArray(a)) return false;
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'string') return false;
  return true;
}

function knownViolations(vs: unknown): boolean {
  if (!Array.isArray(vs)) return false;
  for (const v of vs as unknown[]) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !isPlain(v)) return false;
    const keys = Object.keys(v);
    if (keys.length !== VIOLATION_KEYS.size || !allKnown(keys, ENGINE_VIOLATION_ORDER, VIOLATION_KEYS)) return false;
    for (const k of keys) if (typeof (v as Record<string, unknown>)[k] !== 'string') return false;
  }
  return true;
}

// Keys in RFC 8785 order (UTF-16 code units): action_hash < approved < audience < decision_id
// < policy_version < reasoning < [receipt] < rule_ids < tenant < timestamp < violations < warnings.
// Texts that repeat from check to check (rule ids, clauses, codes, the tenant, the policy
// version) are quoted through the cache. The id, the hash and the time are new every time, and
// the reasoning and messages often name what the request asked for: those are quoted anew.
// Each `+` makes a new string (a node of a tree V8 flattens later), so the quotes of strings
// that are new every time go into the literal text around them (`body`), and members that are
// usually empty come as one literal.
function written(d: KnownDecision): DecisionText {
  let before = '"action_hash":"' + body(d.action_hash) + (d.approved ? '","approved":true' : '","approved":false');
  if (d.audience !== undefined) before += ',"audience":"' + body(d.audience) + '"';
  before += ',"decision_id":"' + body(d.decision_id) + '","policy_version":' + cached(d.policy_version)
    + ',"reasoning":"' + body(d.reasoning) + '"';
  let after = '"rule_ids":' + strings(d.rule_ids) + ',"tenant":' + cached(d.tenant) + ',"timestamp":"' + body(d.timestamp);
  after += d.violations.length === 0 && d.warnings.length === 0
    ? '","violations":[],"warnings":[]'
    : '","violations":' + violations(d.violations) + ',"warnings":' + violations(d.warnings);
  return { before: flat(before), after: flat(after) };
}

/**
 * `s`, stored by V8 as one flat string. Built by `+` from dozens of small pieces, the text is a
 * tree of them, and every later use (the decision hash, the audit line's newline check and
 * leaf hash) walked the whole tree again. Reading one character flattens it in place, once:
 * about 1 µs less per check. Only a speed hint; the text is the same either way.
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

function strings(a: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < a.length; i++) out += (i === 0 ? '' : ',') + cached(a[i]);
  return out + ']';
}

function violations(vs: readonly KnownViolation[]): string {
  let out = '[';
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i];
    out += (i === 0 ? '{"clause":' : ',{"clause":') + cached(v.clause) + ',"code":' + cached(v.code)
      + ',"effect":' + cached(v.effect) + ',"message":"' + body(v.message)
      + '","rule_id":' + cached(v.rule_id) + ',"severity":' + cached(v.severity) + '}';
  }
  return out + ']';
}

function generic(decision: object): DecisionText {
  const before: string[] = [];
  const after: string[] = [];
  for (const [key, text] of canonicalMembers(decision as { [k: string]: Json }, UNSIGNED)) (key < 'receipt' ? before : after).push(text);
  return { before: before.join(','), after: after.join(',') };
}
