// The instruction set of the MGE VM. This file is portable: AssemblyScript (assembly/vm.ts)
// and TypeScript (src/compile/) both import it, so the numbers exist exactly once.
//
// An instruction is one opcode byte followed by its operands, little-endian, unaligned.
// Operand shapes (the disassembler reads them from OP_INFO in src/compile/opinfo.ts):
//   u8, u16, u32 (code offsets and ids), f64 (numbers).
// Opcode 0 is deliberately not an instruction: zeroed or truncated code traps.

export const enum Op {
  // --- values -------------------------------------------------------------------------------
  PushNull = 1, //      push null
  PushTrue = 2, //      push true
  PushFalse = 3, //     push false
  PushNum = 4, //       f64             push a number
  PushStr = 5, //       u32 string id   push an interned string
  PushConst = 6, //     u32 offset      push an encoded constant value (a list literal)
  LoadField = 7, //     u16 field       push the request value of field i (null when missing)
  MakeList = 8, //      u16 n           pop n values, push the list of them (built in scratch)

  // --- operators (errors name the operator) -------------------------------------------------
  Not = 9,
  Neg = 10,
  Eq = 11,
  Ne = 12,
  Lt = 13,
  Le = 14,
  Gt = 15,
  Ge = 16,
  In = 17,
  Add = 18,
  Sub = 19,
  Mul = 20,
  Div = 21,
  Mod = 22,
  AndTest = 23, //      u32 target      pop a; not boolean: error; false: push false, jump
  OrTest = 24, //       u32 target      pop a; not boolean: error; true: push true, jump
  BoolCheck = 25, //    u8 ErrOp        the top must be a boolean (right side of && / ||)

  // --- functions ----------------------------------------------------------------------------
  StartsWith = 26,
  EndsWith = 27,
  Contains = 28,
  Lower = 29,
  Upper = 30,
  Len = 31,
  Glob = 32,
  GlobAny = 33,
  InCidr = 34,

  // --- control ------------------------------------------------------------------------------
  Jump = 35, //         u32 target
  JumpIfFalse = 36, //  u32 target      pop a boolean (compiler-made, never user values)
  JumpIfTrue = 37, //   u32 target      pop a boolean
  TypeIs = 38, //       u8 type id      pop v, push (type of v == id)

  // --- scope and typed conditions -----------------------------------------------------------
  MatchAction = 39, //  u32 string id   push: action-type glob (pattern = string id) matches field 0
  ScopeGlobs = 40, //   u32 offset      pop v, push: `globs` scope match (list constant of patterns)
  NormPathOrNull = 41, //               pop v, push normalized path, or null if not a valid path string
  ExtBlocked = 42, //   u32 offset      pop a string, push: its last segment ends with a listed extension

  // --- clauses and rules --------------------------------------------------------------------
  Clause = 43, //       u8 kind, u16 index, u32 handler   start a clause; errors jump to handler
  EndProhibited = 44, // pop: true → violated `prohibited`; not boolean → error
  EndRequired = 45, //  pop: false → violated `required`; not boolean → error
  EndExpression = 46, // pop: false → violated `expression`; not boolean → error
  EndWhen = 47, //      pop: false → rule not applicable; not boolean → error (rule applies)
  Fail = 48, //         u8 code         the clause is violated with this condition code; jump to handler
  Apply = 49, //        the rule applies
  NotApplicable = 50, // the rule does not apply; stop it
  RuleEnd = 51, //      stop the rule
  MatchPrefix = 52, //  u32 string id   push: field 0 is a string starting with it (action glob `p*`)
  AllowedPaths = 53, // u32 offset      pop a valid path string, push: some glob of the list constant matches it
}

/** The highest opcode; the VM traps on anything above it (or on 0). */
export const OP_LAST = 53;

/** Clause kinds of `Op.Clause`, in the order violations sort within a rule. */
export const enum ClauseKind {
  When = 0, //        applies_to.when
  Condition = 1, //   conditions[i]
  Prohibited = 2, //  prohibited[i]
  Required = 3, //    required[i]
}

/**
 * The operator or function an evaluation error names. Host-side, src/compile/opinfo.ts maps
 * these to the text `formatEvalError` expects (`&&`, `neg`, `startsWith`, …).
 */
export const enum ErrOp {
  Or = 0, And = 1, Not = 2, Neg = 3,
  Lt = 4, Le = 5, Gt = 6, Ge = 7, In = 8,
  Add = 9, Sub = 10, Mul = 11, Div = 12, Mod = 13,
  StartsWith = 14, EndsWith = 15, Contains = 16, Lower = 17, Upper = 18, Len = 19,
  Glob = 20, GlobAny = 21, InCidr = 22,
  Clause = 23, // not_boolean at the end of a clause (no operator)
}
