// The disassembler: a listing of a small bundle (scope, short-circuit, typed condition, clause
// handlers), written out in full so any change to lowering or layout shows up in review.

import { describe, expect, it } from 'vitest';
import { H_CODE } from '../../assembly/format.js';
import { compileBundle } from '../../src/compile/bundle.js';
import { DisassembleError, disassemble } from '../../src/compile/disasm.js';
import { SPAN, rule, src } from '../oracle/helpers.js';

const rules = [
  rule({
    rule_id: 'db',
    applies_to: { actions: ['db.*', 'sql.exec'] },
    prohibited: [{ message: 'no prod writes', when: src('action.type == "db.write" && context.env == "prod"'), span: SPAN }],
  }),
  rule({
    rule_id: 'files',
    conditions: [{
      type: 'file_access_control', allowed_paths: ['src/**'], blocked_extensions: ['.exe'],
      field: { root: 'action', segments: ['path'] }, span: SPAN,
    }],
    required: [{ message: 'roles', check: src('"admin" in context.roles || len(context.roles) > 2'), span: SPAN }],
  }),
];

describe('disassemble', () => {
  it('lists strings, rules and every instruction with resolved operands', () => {
    expect(disassemble(compileBundle(rules).bytes).split('\n').slice(0, -1)).toEqual([
      'bundle format 2, 1151 bytes, 2 rules, 4 fields, 11 strings',
      '  string 0 = "db."',
      '  string 1 = "sql.exec"',
      '  string 2 = "db.write"',
      '  string 3 = "prod"',
      '  string 4 = "src/**"',
      '  string 5 = ".exe"',
      '  string 6 = "admin"',
      '  string 7 = "type"',
      '  string 8 = "env"',
      '  string 9 = "path"',
      '  string 10 = "roles"',
      'rule 0:',
      '  0000  match_prefix "db."',
      '  0005  jump_if_true -> 0025',
      '  0010  load_field f0',
      '  0013  push_str "sql.exec"',
      '  0018  eq',
      '  0019  jump_if_true -> 0025',
      '  0024  not_applicable',
      '  0025  apply',
      '  0026  clause prohibited 0 -> 0060',
      '  0034  load_field f0',
      '  0037  push_str "db.write"',
      '  0042  eq',
      '  0043  and_test -> 0059',
      '  0048  load_field f1',
      '  0051  push_str "prod"',
      '  0056  eq',
      '  0057  bool_check &&',
      '  0059  end_prohibited',
      '  0060  rule_end',
      'rule 1:',
      '  0061  apply',
      '  0062  clause conditions 0 -> 0114',
      '  0070  load_field f2',
      '  0073  norm_path_or_null',
      '  0074  type_is null',
      '  0076  jump_if_false -> 0083',
      '  0081  fail path_invalid',
      '  0083  load_field f2',
      '  0086  allowed_paths @214',
      '  0091  jump_if_true -> 0098',
      '  0096  fail path_not_allowed',
      '  0098  load_field f2',
      '  0101  norm_path_or_null',
      '  0102  ext_blocked @228',
      '  0107  jump_if_false -> 0114',
      '  0112  fail extension_blocked',
      '  0114  clause required 0 -> 0153',
      '  0122  push_str "admin"',
      '  0127  load_field f3',
      '  0130  in',
      '  0131  or_test -> 0152',
      '  0136  load_field f3',
      '  0139  len',
      '  0140  push_num 2',
      '  0149  gt',
      '  0150  bool_check ||',
      '  0152  end_required',
      '  0153  rule_end',
    ]);
  });

  it('refuses bytes that are not a bundle', () => {
    expect(() => disassemble(new Uint8Array(10))).toThrow(DisassembleError);
    expect(() => disassemble(new Uint8Array(100))).toThrow('not an MGE bundle (bad magic)');
  });

  it('marks an unknown opcode instead of guessing', () => {
    const b = compileBundle(rules).bytes.slice();
    const code = new DataView(b.buffer).getUint32(H_CODE, true);
    b[code] = 0xee;
    expect(disassemble(b)).toContain('0000  <unknown opcode 238>');
  });
});
