// compileBundle: rules → the bytes the VM loads (layout: assembly/format.ts). Rules are sorted
// by rule_id and no file name or source position enters the bytes, so the same policy written
// as MDC, YAML or JSON, in any order, compiles to identical bytes (and policy version).

import {
  ABI_VERSION, BUNDLE_MAGIC, CHECKSUM_FROM, FORMAT_VERSION, HEADER_SIZE, H_ABI, H_CHECKSUM,
  H_CODE, H_CODE_LEN, H_FIELDS, H_FIELD_TAB, H_FIELD_TAB_LEN, H_FORMAT, H_LENGTH, H_MAGIC,
  H_MAX_VIOLATIONS, H_META, H_META_LEN, H_RULES, H_RULE_TAB, H_STRINGS, H_STR_TAB, H_VALUES,
  H_VALUES_LEN, RULE_FLAG_ENABLED,
} from '../../assembly/format.js';
import type { PathRef, Rule } from '../ir/types.js';
import { Emitter, type SpanEntry } from './emitter.js';
import { FieldTable } from './fields.js';
import { RuleLowering } from './lower.js';
// The rule's canonical JSON form (the GET /rules view): names, messages, effects, parameters and
// expression texts, so two rule sets that would report differently never share a policy version.
import { ruleJson } from '../ir/rule-json.js';
import { ByteWriter, utf8Bytes } from './writer.js';

export interface CompiledBundle {
  /** Deterministic bundle bytes (hash these for the policy version). */
  bytes: Uint8Array;
  /** The rules sorted by rule_id: rule index i in the VM's results is rules[i]. */
  rules: Rule[];
  /** Side table: code offsets → source spans (sorted by offset), for traces and errors. */
  spans: SpanEntry[];
  /** Field table: field i is the request path fields[i] (field 0 is `action.type`). */
  fields: PathRef[];
  /** Interned strings by id: the host sends a request string equal to one as its id. */
  strings: string[];
}

/** FNV-1a 32 over bytes[from..]; the VM checks the same at load. */
export function checksum(bytes: Uint8Array, from: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Orders rules by id, as a bundle holds them. */
export function byRuleId(a: Rule, b: Rule): number {
  return a.rule_id < b.rule_id ? -1 : a.rule_id > b.rule_id ? 1 : 0;
}

function fieldTable(fields: readonly PathRef[], em: Emitter): Uint8Array {
  const w = new ByteWriter();
  for (const f of fields) {
    w.u8(['action', 'context', 'request'].indexOf(f.root));
    w.u8(Math.min(f.segments.length, 255));
    for (const s of f.segments) {
      w.u8(typeof s === 'number' ? 1 : 0);
      w.u32(typeof s === 'number' ? s : em.str(s));
    }
  }
  return w.bytes.slice(0, w.pos);
}

/**
 * Compile validated rules into a VM bundle. Throws CompileError when a limit is exceeded.
 *
 * @example const b = compileBundle(rules); disassemble(b.bytes)
 */
export function compileBundle(input: readonly Rule[]): CompiledBundle {
  const rules = [...input].sort(byRuleId);
  const em = new Emitter();
  const fields = new FieldTable();
  const entries: number[] = [];
  let maxViolations = 0;
  rules.forEach((r, i) => {
    em.rule = i;
    entries.push(new RuleLowering(em, fields, r).lower());
    maxViolations += 1 + r.conditions.length + r.prohibited.length + r.required.length;
  });
  const code = em.finish();
  const fieldBytes = fieldTable(fields.paths, em);
  const meta = utf8Bytes(JSON.stringify(rules.map(ruleJson)));
  const strings = em.strings.map(utf8Bytes);
  const values = em.values.bytes.slice(0, em.values.pos);

  // Layout: header · string table · string bytes · values · rule table · code · fields · meta
  const w = new ByteWriter(new Uint8Array(HEADER_SIZE + code.length + values.length + meta.length + 1024));
  w.pos = HEADER_SIZE;
  const strTab = w.pos;
  w.ensure(strings.length * 8);
  w.pos += strings.length * 8;
  strings.forEach((s, id) => {
    w.patchU32(strTab + id * 8, w.pos);
    w.patchU32(strTab + id * 8 + 4, s.length);
    w.raw(s);
  });
  const valuesAt = w.pos;
  w.raw(values);
  const ruleTab = w.pos;
  rules.forEach((r, i) => {
    w.u32(entries[i]);
    w.u32(r.enabled ? RULE_FLAG_ENABLED : 0);
  });
  const codeAt = w.pos;
  w.raw(code);
  const fieldsAt = w.pos;
  w.raw(fieldBytes);
  const metaAt = w.pos;
  w.raw(meta);
  const len = w.pos;

  const h = (at: number, v: number): void => w.patchU32(at, v);
  h(H_MAGIC, BUNDLE_MAGIC);
  w.view.setUint16(H_FORMAT, FORMAT_VERSION, true);
  w.view.setUint16(H_ABI, ABI_VERSION, true);
  h(H_LENGTH, len);
  h(H_RULES, rules.length);
  h(H_FIELDS, fields.paths.length);
  h(H_STRINGS, strings.length);
  h(H_MAX_VIOLATIONS, maxViolations);
  h(H_STR_TAB, strTab);
  h(H_VALUES, valuesAt);
  h(H_VALUES_LEN, values.length);
  h(H_RULE_TAB, ruleTab);
  h(H_CODE, codeAt);
  h(H_CODE_LEN, code.length);
  h(H_FIELD_TAB, fieldsAt);
  h(H_FIELD_TAB_LEN, fieldBytes.length);
  h(H_META, metaAt);
  h(H_META_LEN, meta.length);
  const bytes = w.bytes.slice(0, len);
  new DataView(bytes.buffer).setUint32(H_CHECKSUM, checksum(bytes, CHECKSUM_FROM), true);
  return { bytes, rules, spans: em.spans, fields: fields.paths, strings: em.strings };
}
