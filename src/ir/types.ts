// The normalized rule model (SPEC §3.1) and the expression AST (SPEC §3.6).
// Every reader (MDC, YAML, JSON) produces raw rules; src/ir/normalize.ts turns them into these.
// The oracle (src/ir/evaluate.ts) and the compiler (src/compile/) both consume exactly these types.

/** A JSON value as received in a request or written in a rule. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A place in a source file. Lines and columns are 1-based; `end*` is exclusive when present. */
export interface Span {
  file: string;
  line: number;
  col: number;
  endLine?: number;
  endCol?: number;
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

export type PathRoot = 'action' | 'context' | 'request';
export type PathSegment = string | number;

/** `action.a["b c"][0]` is `{ root: 'action', segments: ['a', 'b c', 0] }`. */
export interface PathRef {
  root: PathRoot;
  segments: PathSegment[];
}

export type BinaryOp =
  | '||' | '&&'
  | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in'
  | '+' | '-'
  | '*' | '/' | '%';

export type UnaryOp = '!' | '-';

export const FUNCTION_NAMES = [
  'startsWith', 'endsWith', 'contains', 'lower', 'upper', 'len',
  'exists', 'glob', 'globAny', 'inCidr',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export type Expr =
  | { kind: 'literal'; value: null | boolean | number | string; span: Span }
  | { kind: 'list'; items: Expr[]; span: Span }
  | { kind: 'path'; path: PathRef; span: Span }
  | { kind: 'unary'; op: UnaryOp; operand: Expr; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: 'call'; fn: FunctionName; args: Expr[]; span: Span };

/** An expression together with the exact text it was parsed from (for explanations and lint). */
export interface SourceExpr {
  source: string;
  expr: Expr;
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

export type Effect = 'deny' | 'warn';
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export type Condition =
  | { type: 'expression'; expr: SourceExpr; message?: string; span: Span }
  | {
      type: 'encryption_required';
      algorithms: string[];
      key_rotation_days?: number;
      field: PathRef; // default context.encryption
      span: Span;
    }
  | {
      type: 'file_access_control';
      allowed_paths?: string[];
      blocked_extensions?: string[]; // lower-cased, each starting with "."
      field: PathRef; // default action.path
      span: Span;
    }
  | {
      type: 'rate_limit_check';
      requests_per_minute: number;
      burst_limit: number; // default = requests_per_minute
      key: SourceExpr; // default context.agent_id
      span: Span;
    };

export type ConditionType = Condition['type'];
export const CONDITION_TYPES: ConditionType[] = [
  'expression', 'encryption_required', 'file_access_control', 'rate_limit_check',
];

export interface ProhibitedClause {
  message: string;
  when: SourceExpr;
  span: Span;
}

export interface RequiredClause {
  message: string;
  check: SourceExpr;
  span: Span;
}

export interface Scope {
  actions?: string[];
  when?: SourceExpr;
}

/** A normalized, validated rule (SPEC §3.1). */
export interface Rule {
  rule_id: string;
  name: string;
  description: string;
  category: string;
  effect: Effect;
  severity: Severity;
  enabled: boolean;
  /** undefined when the rule did not say (SPEC §3.5 then decides from the scope). */
  alwaysApply?: boolean;
  applies_to?: Scope;
  globs?: string[];
  conditions: Condition[];
  prohibited: ProhibitedClause[];
  required: RequiredClause[];
  advisory: string[];
  /**
   * Where the rule came from: `span` its start, `idSpan` its `rule_id` value (what a duplicate
   * id points at); `tenant` is undefined for global baseline rules.
   */
  source: { file: string; span: Span; idSpan?: Span; tenant?: string };
}

// ---------------------------------------------------------------------------------------------
// Diagnostics
// ---------------------------------------------------------------------------------------------

export interface Diagnostic {
  severity: 'error' | 'warning';
  /** A stable code per kind of problem, e.g. `unknown-field`, `expr-syntax`. */
  code: string;
  /** Lowercase start, no final period, user input in backticks (STYLE.md). */
  message: string;
  /** Extra advice, e.g. "did you mean `category`?". */
  help?: string;
  span: Span;
  /** Another place the help names as `file:line:col` (the first of two rules with one id). */
  related?: Span;
}

// ---------------------------------------------------------------------------------------------
// Requests and decisions (SPEC §2, §4)
// ---------------------------------------------------------------------------------------------

/** A request after shape validation: `action` is always an object with a string `type`. */
export interface CheckRequest {
  action: { type: string; [key: string]: Json };
  context: { [key: string]: Json };
  audience?: string;
}

export interface Violation {
  rule_id: string;
  clause: string; // conditions[i] | prohibited[i] | required[i] | applies_to.when
  code: string;
  message: string;
  effect: Effect;
  severity: Severity;
}

export interface Decision {
  decision_id: string;
  approved: boolean;
  reasoning: string;
  rule_ids: string[];
  violations: Violation[];
  warnings: Violation[];
  tenant: string;
  policy_version: string;
  timestamp: string;
  action_hash: string;
  audience?: string;
  receipt?: Receipt;
}

export interface Receipt {
  alg: 'HS256' | 'Ed25519';
  kid: string;
  nonce: string;
  issued_at: string;
  expires_at: string;
  decision_hash: string;
  signature: string;
}

/** For `explain: true`: per violated clause, its source text and the values of the paths it read. */
export interface ExplanationEntry {
  rule_id: string;
  clause: string;
  source: string;
  values: { [path: string]: Json };
}
