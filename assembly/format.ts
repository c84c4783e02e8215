// Binary layouts shared by the VM (assembly/) and the host (src/compile/, src/engine/).
// Portable: plain numeric constants only, imported by both AssemblyScript and TypeScript.
// All integers are little-endian and unaligned.

/** Bumped on any change to the exports or to the input/result layouts below. */
export const ABI_VERSION = 1;
/** Bumped on any change to the bundle layout or the instruction set. */
export const FORMAT_VERSION = 2; // 2: Op.AllowedPaths (11-26)
/** "MGEB" read as a little-endian u32. */
export const BUNDLE_MAGIC = 0x4245474d;

// Bundle ────────────────────────────────────────────────────────────────────────────────────
//
//  0        4        8        12       16       20       24       28       32
//  ┌────────┬────┬───┬────────┬────────┬────────┬────────┬────────┬────────┐
//  │ magic  │fmt │abi│ length │checksum│ rules  │ fields │strings │ max_viol│
//  ├────────┼────┴───┼────────┼────────┼────────┼────────┼────────┼────────┤
//  │str_tab │ values │val_len │rule_tab│  code  │code_len│fld_tab │fld_len │  32..64
//  ├────────┼────────┼────────┴────────┴────────┴────────┴────────┴────────┤
//  │ meta   │meta_len│  (header ends at 72)                                │  64..72
//  └────────┴────────┴─────────────────────────────────────────────────────┘
//  str_tab:  strings × { u32 offset, u32 length }  → UTF-8 bytes (ids are indices; unique)
//  values:   encoded constant values (list literals, pattern lists), see "Values"
//  rule_tab: rules × { u32 code offset (within code), u32 flags }   (rules sorted by rule_id)
//  code:     instructions (assembly/opcodes.ts); every rule's code ends in RuleEnd
//  fld_tab:  fields × { u8 root, u8 n, n × (u8 0 + u32 string id | u8 1 + u32 index) } (host only)
//  meta:     canonical JSON of the rules' descriptive fields (host only; hashed with the rest)
//  checksum: FNV-1a 32 over bytes [16, length), so a corrupted bundle is refused at load
export const H_MAGIC = 0;
export const H_FORMAT = 4; // u16
export const H_ABI = 6; // u16
export const H_LENGTH = 8;
export const H_CHECKSUM = 12;
export const H_RULES = 16;
export const H_FIELDS = 20;
export const H_STRINGS = 24;
export const H_MAX_VIOLATIONS = 28;
export const H_STR_TAB = 32;
export const H_VALUES = 36;
export const H_VALUES_LEN = 40;
export const H_RULE_TAB = 44;
export const H_CODE = 48;
export const H_CODE_LEN = 52;
export const H_FIELD_TAB = 56;
export const H_FIELD_TAB_LEN = 60;
export const H_META = 64;
export const H_META_LEN = 68;
export const HEADER_SIZE = 72;
export const CHECKSUM_FROM = 16;

export const RULE_ENTRY_SIZE = 8;
export const RULE_FLAG_ENABLED = 1;

// Values (input region fields, constants, lists built at run time) ──────────────────────────
//
//  ┌─tag─┬──────────── payload ─────────────────────────────────────────┐
//  │ 0   │                                              null            │
//  │ 1/2 │                                              false / true    │
//  │ 3   │ f64                                          number          │
//  │ 4   │ u32 string id                                interned string │
//  │ 5   │ u32 byte length · UTF-8 bytes                other string    │
//  │ 6   │ u32 count · u32 body bytes · items           list            │
//  │ 7   │ u32 count · u32 body bytes · (u32 klen · key · value)*       │
//  └─────┴──────────────────────────────────────────────────────────────┘
//  Object keys are UTF-8, sorted by the host, unique, so deep equality is a linear walk.
//  A request string equal to a constant is always sent as its id (tag 4).
export const E_NULL = 0;
export const E_FALSE = 1;
export const E_TRUE = 2;
export const E_NUM = 3;
export const E_STRID = 4;
export const E_STR = 5;
export const E_LIST = 6;
export const E_OBJ = 7;

/** Value type ids as in src/ir/eval-errors.ts VALUE_TYPE_IDS. */
export const T_NULL = 0;
export const T_BOOL = 1;
export const T_NUM = 2;
export const T_STR = 3;
export const T_LIST = 4;
export const T_OBJ = 5;

// Input region ──────────────────────────────────────────────────────────────────────────────
//
//  0          4          8          12         16
//  ┌──────────┬──────────┬──────────┬──────────┬──────────────┬─────────────────┬────────┐
//  │ n_fields │ n_cands  │ cand_off │ reserved │ fields × u32 │ cands × u32     │ values │
//  └──────────┴──────────┴──────────┴──────────┴──────────────┴─────────────────┴────────┘
//  fields[i]: offset (from the region start) of field i's encoded value, 0 when missing; the
//             host fills only the fields the candidates' code reads, the others are 0 too.
//  cands: indices of candidate rules (the host's action-type index), ascending.
export const I_FIELDS = 0;
export const I_CANDS = 4;
export const I_CAND_OFF = 8;
export const I_HEADER = 16;

// Result region ─────────────────────────────────────────────────────────────────────────────
//
//  0          4          8          12         16
//  ┌──────────┬──────────┬──────────┬──────────┬──────────────────┬───────────────────────┐
//  │  status  │ n_apply  │ n_viol   │ viol_off │ applicable × u32 │ violations × 16 bytes │
//  └──────────┴──────────┴──────────┴──────────┴──────────────────┴───────────────────────┘
//  violation: u32 rule · u8 clause kind · u8 code · u16 clause index ·
//             u8 error kind · u8 error op · u8 n types · u8 detail · u8 type × 3 · u8 0
export const R_STATUS = 0;
export const R_APPLY = 4;
export const R_VIOL = 8;
export const R_VIOL_OFF = 12;
export const R_HEADER = 16;
export const VIOL_SIZE = 16;

/** Violation codes besides the condition codes (0.. in src/ir/messages.ts CONDITION_CODE_IDS). */
export const CODE_PROHIBITED = 100;
export const CODE_REQUIRED = 101;
export const CODE_EVAL_ERROR = 102;

/** Condition codes the VM raises (indices into CONDITION_CODE_IDS). */
export const CC_EXPRESSION = 0;
export const CC_ENCRYPTION_ALGORITHM = 1;
export const CC_ENCRYPTION_KEY_AGE = 2;
export const CC_PATH_INVALID = 3;
export const CC_PATH_NOT_ALLOWED = 4;
export const CC_EXTENSION_BLOCKED = 5;

/** Error kinds and invalid-argument details: indices into the lists of src/ir/eval-errors.ts. */
export const EK_OPERAND_TYPE = 0;
export const EK_DIVISION_BY_ZERO = 1;
export const EK_NOT_FINITE = 2;
export const EK_INVALID_ARGUMENT = 3;
export const EK_NOT_BOOLEAN = 4;
export const DETAIL_NONE = 255;
export const DETAIL_IP = 0;
export const DETAIL_CIDR = 1;
export const DETAIL_GLOB = 2;
export const DETAIL_ESCAPES = 3;
export const DETAIL_CONTROL = 4;
export const DETAIL_GLOB_COST = 5;

/**
 * The most a glob()/globAny() call may cost: pattern code points (summed over the list) ×
 * normalized path code points. Matching is O(pattern × path) and both may come from the
 * request; past this the call is an evaluation error (docs/semantics.md "Globs").
 */
export const GLOB_MAX_COST = 4194304; // 2^22: 12 to 20 ms of matching here at worst

/**
 * The most glob matching one check may do, counted in the same units (pattern code points ×
 * subject code points) over every glob the check matches: scopes, allowed_paths, glob() and
 * globAny(). Rule patterns × request paths are linear in each, but a tenant's many clauses
 * multiply them, and every tenant shares one event loop; past this the VM stops with
 * ST_OVER_BUDGET and the check is denied (docs/semantics.md "Cost").
 */
export const CHECK_GLOB_BUDGET = 16777216; // 2^24: four worst-case glob() calls

/** Status of `load()` and `evaluate()`; anything but OK makes the host throw VmError. */
export const ST_OK = 0;
export const ST_BAD_MAGIC = 1;
export const ST_BAD_VERSION = 2;
export const ST_BAD_LENGTH = 3;
export const ST_BAD_CHECKSUM = 4;
export const ST_BAD_LAYOUT = 5;
export const ST_NOT_LOADED = 6;
export const ST_BAD_INPUT = 7;
export const ST_BAD_CODE = 8; //   unknown opcode, operand or jump out of range
export const ST_STACK = 9; //      stack overflow or underflow
export const ST_RESULT_FULL = 10;
export const ST_OUT_OF_MEMORY = 11;
export const ST_HOST = 12; //      a host import failed
export const ST_OVER_BUDGET = 13; // the check's glob matching over CHECK_GLOB_BUDGET
