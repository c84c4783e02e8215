// A readable listing of a bundle: header, strings, rules and their code. Used by tests
// (a snapshot of a small bundle) and when debugging a decision.

import {
  BUNDLE_MAGIC, HEADER_SIZE, H_CODE, H_CODE_LEN, H_FIELDS, H_FORMAT, H_LENGTH, H_MAGIC, H_RULES,
  H_RULE_TAB, H_STRINGS, H_STR_TAB, H_VALUES, RULE_ENTRY_SIZE, RULE_FLAG_ENABLED,
} from '../../assembly/format.js';
import { ClauseKind, type ErrOp } from '../../assembly/opcodes.js';
import { VALUE_TYPE_IDS } from '../ir/eval-errors.js';
import { CONDITION_CODE_IDS } from '../ir/messages.js';
import { ERR_OP_NAME, OPERAND_SIZE, opInfo, type Operand } from './opinfo.js';

/** The bytes are not a bundle this disassembler can read. */
export class DisassembleError extends Error {
  override readonly name = 'DisassembleError';
}

const KINDS: Record<ClauseKind, string> = {
  [ClauseKind.When]: 'applies_to.when',
  [ClauseKind.Condition]: 'conditions',
  [ClauseKind.Prohibited]: 'prohibited',
  [ClauseKind.Required]: 'required',
};

/**
 * Disassemble bundle bytes into text, one instruction per line.
 *
 * @example disassemble(compileBundle(rules).bytes)
 */
export function disassemble(bytes: Uint8Array): string {
  if (bytes.length < HEADER_SIZE) throw new DisassembleError('too short for a bundle header');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number): number => dv.getUint32(at, true);
  if (u32(H_MAGIC) !== BUNDLE_MAGIC) throw new DisassembleError('not an MGE bundle (bad magic)');
  const decoder = new TextDecoder();
  const nStrings = u32(H_STRINGS);
  const strTab = u32(H_STR_TAB);
  const str = (id: number): string => {
    if (id >= nStrings) return `<bad string ${id}>`;
    const off = u32(strTab + id * 8);
    return JSON.stringify(decoder.decode(bytes.subarray(off, off + u32(strTab + id * 8 + 4))));
  };
  const code = u32(H_CODE);
  const codeLen = u32(H_CODE_LEN);
  const out: string[] = [
    `bundle format ${dv.getUint16(H_FORMAT, true)}, ${u32(H_LENGTH)} bytes, ` +
      `${u32(H_RULES)} rules, ${u32(H_FIELDS)} fields, ${nStrings} strings`,
  ];
  for (let i = 0; i < nStrings; i++) out.push(`  string ${i} = ${str(i)}`);
  const starts = new Map<number, string>();
  for (let r = 0; r < u32(H_RULES); r++) {
    const e = u32(H_RULE_TAB) + r * RULE_ENTRY_SIZE;
    const enabled = (u32(e + 4) & RULE_FLAG_ENABLED) !== 0;
    starts.set(u32(e), `rule ${r}${enabled ? '' : ' (disabled)'}:`);
  }
  const show = (kind: Operand, at: number): string => {
    switch (kind) {
      case 'f64': return String(dv.getFloat64(at, true));
      case 'str': return str(u32(at));
      case 'const': return `@${u32(at) + u32(H_VALUES)}`;
      case 'field': return `f${dv.getUint16(at, true)}`;
      case 'count':
      case 'index': return String(dv.getUint16(at, true));
      case 'target': return `-> ${String(u32(at)).padStart(4, '0')}`;
      case 'errop': return ERR_OP_NAME[dv.getUint8(at) as ErrOp] ?? `?${dv.getUint8(at)}`;
      case 'type': return VALUE_TYPE_IDS[dv.getUint8(at)] ?? `?${dv.getUint8(at)}`;
      case 'kind': return KINDS[dv.getUint8(at) as ClauseKind] ?? `?${dv.getUint8(at)}`;
      case 'code': return CONDITION_CODE_IDS[dv.getUint8(at)] ?? `?${dv.getUint8(at)}`;
    }
  };
  let pc = 0;
  while (pc < codeLen) {
    const byte = bytes[code + pc];
    if (byte === 0) break; // the end padding
    const head = starts.get(pc);
    if (head) out.push(head);
    const info = opInfo(byte);
    if (!info) {
      out.push(`  ${String(pc).padStart(4, '0')}  <unknown opcode ${byte}>`);
      break;
    }
    let at = code + pc + 1;
    const args: string[] = [];
    for (const o of info.operands) {
      args.push(show(o, at));
      at += OPERAND_SIZE[o];
    }
    out.push(`  ${String(pc).padStart(4, '0')}  ${info.name}${args.length ? ' ' + args.join(' ') : ''}`);
    pc = at - code;
  }
  return out.join('\n') + '\n';
}
