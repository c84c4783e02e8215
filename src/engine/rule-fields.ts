// Which request fields each rule's code can read, proved from the bundle's bytecode, so the
// host extracts only the fields of a check's candidate rules (ARCHITECTURE.md hot path).
//
// The VM reads field offsets in three instructions only: `load_field i` (field i) and
// `match_action` / `match_prefix` (field 0), and it runs only candidate rules, from their entry.
// A rule's code is decoded linearly over its byte range (its entry up to the next rule's); the
// result is exact when every jump and clause handler lands on an instruction of that range and
// control cannot run off its end (the last instruction, before any zero padding, is a stop). Anything else (unknown opcode, stray target, code shared or
// falling through) gives the rule every field: the analysis may only over-approximate.

import {
  H_CODE, H_CODE_LEN, H_FIELDS, H_RULES, H_RULE_TAB, RULE_ENTRY_SIZE,
} from '../../assembly/format.js';
import { Op } from '../../assembly/opcodes.js';
import { OPERAND_SIZE, opInfo } from '../compile/opinfo.js';

/** Instructions after which control never reaches the next byte. */
const STOPS: ReadonlySet<number> = new Set([Op.RuleEnd, Op.NotApplicable, Op.Jump]);

/**
 * For each rule of the bundle (bundle order), the ascending indices of the fields its code can
 * read.
 *
 * @example ruleFields(compileBundle(rules).bytes)[0] // Uint16Array [0, 3]
 */
export function ruleFields(bytes: Uint8Array): Uint16Array[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number): number => dv.getUint32(at, true);
  const nRules = u32(H_RULES);
  const nFields = u32(H_FIELDS);
  const code = u32(H_CODE);
  const codeLen = u32(H_CODE_LEN);
  const entries: number[] = [];
  for (let r = 0; r < nRules; r++) entries.push(u32(u32(H_RULE_TAB) + r * RULE_ENTRY_SIZE));
  const starts = [...new Set(entries)].sort((a, b) => a - b);
  const all = Uint16Array.from({ length: nFields }, (_, i) => i);
  const byEntry = new Map<number, Uint16Array>();
  starts.forEach((start, i) => {
    const end = i + 1 < starts.length ? starts[i + 1] : codeLen;
    const read = readsOf(dv, code, start, end, nFields);
    byEntry.set(start, read ?? all);
  });
  return entries.map((e) => byEntry.get(e) ?? all);
}

/** The fields read by the code in [start, end), or undefined when that cannot be proved. */
function readsOf(dv: DataView, code: number, start: number, end: number, nFields: number): Uint16Array | undefined {
  const fields = new Set<number>();
  const boundaries = new Set<number>();
  const targets: number[] = [];
  let pc = start;
  let last = -1;
  while (pc < end) {
    const op = dv.getUint8(code + pc);
    // Opcode 0 is no instruction: the code's end padding, unreachable after a stop.
    if (op === 0 && STOPS.has(last)) break;
    const info = opInfo(op);
    if (!info) return undefined;
    boundaries.add(pc);
    let at = pc + 1;
    for (const kind of info.operands) {
      if (at + OPERAND_SIZE[kind] > end) return undefined;
      if (kind === 'field') fields.add(dv.getUint16(code + at, true));
      if (kind === 'target') targets.push(dv.getUint32(code + at, true));
      at += OPERAND_SIZE[kind];
    }
    if (op === Op.MatchAction || op === Op.MatchPrefix) fields.add(0);
    last = op;
    pc = at;
  }
  if (!STOPS.has(last)) return undefined;
  if (!targets.every((t) => boundaries.has(t))) return undefined;
  if ([...fields].some((f) => f >= nFields)) return undefined;
  return Uint16Array.from([...fields].sort((a, b) => a - b));
}
