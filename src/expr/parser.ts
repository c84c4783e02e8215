// The expression parser (SPEC §3.6, docs/semantics.md). Recursive descent, one function per
// precedence level, low to high:
//
//   or   := and ('||' and)*
//   and  := not ('&&' not)*
//   not  := '!' not | cmp                     `!a == b` is `!(a == b)`
//   cmp  := add (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in') add)?   non-associative
//   add  := mul (('+' | '-') mul)*
//   mul  := neg (('*' | '/' | '%') neg)*
//   neg  := '-' neg | primary                 `-3` is the literal -3
//   primary := literal | list | path | call | '(' or ')'
//
// A syntax error stops the parse (one `expr-syntax` diagnostic); load-time checks (unknown
// function or root, arity, literal glob and CIDR arguments) are collected, so one pass reports
// them all. An expression is returned only when there is no error. Never throws.

import { FUNCTION_NAMES } from '../ir/types.js';
import type { BinaryOp, Diagnostic, Expr, FunctionName, PathRoot, PathSegment, Span } from '../ir/types.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import { excerpt, tokenize, type Token } from './lexer.js';
import { Locator, type Placer } from './locate.js';
import { checkCall } from './check-call.js';

/** Words of other languages that are operators or literals here (`and` is `&&`, `nil` is `null`). */
const OTHER_LANGUAGES: ReadonlyMap<string, string> = new Map([
  ['and', '&&'], ['or', '||'], ['not', '!'], ['nil', 'null'], ['none', 'null'], ['undefined', 'null'],
]);

/** The help for a word of another language (`write && for and`), if `word` is one. */
function otherLanguageHelp(word: string): string | undefined {
  const meant = OTHER_LANGUAGES.get(word.toLowerCase());
  return meant === undefined ? undefined : `write \`${meant}\` for \`${word}\``;
}

/** Deeper expressions are refused: evaluators and the compiler recurse over the tree. */
export const MAX_EXPR_DEPTH = 64;

const ROOTS: readonly PathRoot[] = ['action', 'context', 'request'];
const REQUEST_FIELDS = ['time', 'tenant'];
/** The comparison operators (one per expression level: they do not chain). */
export const COMPARISONS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=', 'in']);
/** How `request.time` is always written (Date.prototype.toISOString for years 0000–9999); `d` a digit. */
const REQUEST_TIME_FORM = 'dddd-dd-ddTdd:dd:dd.dddZ';

/** `a op b` is `b FLIPPED[op] a`. */
const FLIPPED: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };

/**
 * Whether `s` is written as `request.time` is, or (`whole` false) is a leading part of that
 * (`"2027"`, `"2026-12-01"`, `"2026-12-01T10:"`: it compares as the start of its period).
 */
function inRequestTimeForm(s: string, whole: boolean): boolean {
  if (s.length > REQUEST_TIME_FORM.length || (whole && s.length !== REQUEST_TIME_FORM.length)) return false;
  for (let i = 0; i < s.length; i++) {
    const want = REQUEST_TIME_FORM[i];
    if (want === 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] !== want) return false;
  }
  return s.length > 0;
}

/** A syntax error: unwinds the descent to parseExpression, which turns it into a diagnostic. */
class ParseAbort extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
    this.name = 'ParseAbort';
  }
}

class Parser {
  private pos = 0;
  private nesting = 0;
  // Per node: its extent in the text (parentheses included) and its height, kept beside the
  // tree so the IR stays free of parser bookkeeping.
  private readonly offsets = new WeakMap<Expr, [number, number]>();
  private readonly heights = new WeakMap<Expr, number>();
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly loc: Placer,
  ) {}

  private sourceOf(start: number, end: number): string {
    return this.text.slice(start, end);
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const t = this.tokens[this.pos];
    if (t.kind !== 'eof' && t.kind !== 'error') this.pos++;
    return t;
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }

  private span(start: number, end: number): Span {
    return this.loc.span(start, end);
  }

  private startOf(e: Expr): number {
    return this.offsets.get(e)![0];
  }

  private endOf(e: Expr): number {
    return this.offsets.get(e)![1];
  }

  /** Record a node's extent and height; refuse it when the tree gets too deep. */
  private node<E extends Expr>(e: E, start: number, end: number, children: Expr[]): E {
    const h = 1 + children.reduce((m, c) => Math.max(m, this.heights.get(c) ?? 1), 0);
    this.heights.set(e, h);
    this.offsets.set(e, [start, end]);
    if (h > MAX_EXPR_DEPTH) this.tooDeep(start, end);
    return e;
  }

  private tooDeep(start: number, end: number): never {
    throw new ParseAbort({
      severity: 'error',
      code: 'expr-depth',
      message: `expression is too deep: more than ${MAX_EXPR_DEPTH} levels of operators, parentheses and calls (each operator of a chain such as \`a || b || c\` is a level)`,
      help: 'for many alternatives use `x in [..]` or `globAny(..)`; for many conditions that must all hold, split them into several clauses',
      span: this.span(start, end),
    });
  }

  private enter(tok: Token): void {
    if (++this.nesting > MAX_EXPR_DEPTH) this.tooDeep(tok.start, tok.end);
  }

  private fail(expected: string, tok: Token, help?: string): never {
    if (tok.kind === 'error') {
      throw new ParseAbort({
        severity: 'error',
        code: 'expr-syntax',
        message: String(tok.value),
        ...(tok.help ? { help: tok.help } : {}),
        span: this.span(tok.start, tok.end),
      });
    }
    throw new ParseAbort({
      severity: 'error',
      code: 'expr-syntax',
      message: `expected ${expected}, found ${describe(tok)}`,
      ...(help ? { help } : {}),
      span: this.span(tok.start, tok.end),
    });
  }

  private expectOp(text: string, what: string): Token {
    if (!this.isOp(text)) this.fail(what, this.peek());
    return this.next();
  }

  private report(code: string, message: string, start: number, end: number, help?: string): void {
    this.diagnostics.push({ severity: 'error', code, message, ...(help ? { help } : {}), span: this.span(start, end) });
  }

  parseTop(): Expr {
    const e = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'eof') {
      const help = t.kind === 'op' && t.text === '[' ? 'only paths can be indexed' : t.kind === 'ident' ? otherLanguageHelp(t.text) : undefined;
      this.fail('an operator or the end of the expression', t, help);
    }
    return e;
  }

  private binary(op: BinaryOp, left: Expr, right: Expr): Expr {
    const start = this.startOf(left);
    const end = this.endOf(right);
    return this.node({ kind: 'binary', op, left, right, span: this.span(start, end) }, start, end, [left, right]);
  }

  private parseOr(): Expr {
    this.enter(this.peek());
    let left = this.parseAnd();
    while (this.isOp('||')) {
      this.next();
      left = this.binary('||', left, this.parseAnd());
    }
    this.nesting--;
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isOp('&&')) {
      this.next();
      left = this.binary('&&', left, this.parseNot());
    }
    return left;
  }

  private parseNot(): Expr {
    if (!this.isOp('!')) return this.parseCmp();
    const bang = this.next();
    this.enter(bang);
    const operand = this.parseNot();
    this.nesting--;
    const end = this.endOf(operand);
    return this.node({ kind: 'unary', op: '!', operand, span: this.span(bang.start, end) }, bang.start, end, [operand]);
  }

  private comparisonOp(): string | undefined {
    const t = this.peek();
    if (t.kind === 'op' && COMPARISONS.has(t.text)) return t.text;
    if (t.kind === 'ident' && t.text === 'in') return 'in';
    return undefined;
  }

  private parseCmp(): Expr {
    const left = this.parseAdd();
    const op = this.comparisonOp();
    if (op === undefined) return left;
    this.next();
    const right = this.parseAdd();
    const again = this.comparisonOp();
    if (again !== undefined) {
      this.fail('an operator other than a comparison', this.peek(),
        `comparisons do not chain; join them with \`&&\`, e.g. \`a < b && b < c\``);
    }
    if (op !== 'in') this.timeCompared(op, left, right) ?? this.timeCompared(FLIPPED[op] ?? op, right, left);
    // `x in [..]` is `x == ` one of them: request.time against each string, or a string against request.time.
    else if (right.kind === 'list') for (const item of right.items) this.timeCompared('==', left, item) ?? this.timeCompared('==', item, left);
    return this.binary(op as BinaryOp, left, right);
  }

  /**
   * Warns when `request.time` is compared with a string not written as it always is
   * (`2026-12-01T00:00:00.000Z`): strings compare by code point, and `.000Z` sorts before
   * `Z`, so `request.time >= "2026-12-01T00:00:00Z"` is false for the whole first second (a
   * change freeze approved deploys for it).
   */
  private timeCompared(op: string, time: Expr, other: Expr): true | undefined {
    if (time.kind !== 'path' || time.path.root !== 'request' || time.path.segments.length !== 1 || time.path.segments[0] !== 'time') return undefined;
    // Written otherwise (`…:00Z`, an offset, a space for `T`), it compares wrongly near its time.
    // A leading part is the start of its period only for `request.time <` and `>=`: with `<=`
    // or `>` the whole period falls on the other side, and `==`, `!=`, `in` need the whole
    // form (`== "2026-11-27"` is never true).
    const whole = op !== '<' && op !== '>=';
    if (other.kind !== 'literal' || typeof other.value !== 'string' || inRequestTimeForm(other.value, whole)) return undefined;
    this.diagnostics.push({
      severity: 'warning',
      code: 'request-time-format',
      message: `\`request.time\` is compared with \`"${excerpt(other.value)}"\`, which is not written as it is (\`YYYY-MM-DDTHH:MM:SS.sssZ\`, UTC, milliseconds always): strings compare character by character, so the comparison ${op === '==' ? 'never holds' : op === '!=' ? 'always holds' : 'is off near that time'}`,
      help: whole
        ? 'write the time in full, e.g. `"2026-12-01T00:00:00.000Z"`; for a period, compare its start with `>=` and the next one\'s with `<`: `request.time >= "2026-11-27" && request.time < "2026-11-28"`'
        : 'write the time in full, e.g. `"2026-12-01T00:00:00.000Z"`, or a leading part of it (`"2026-12-01"`)',
      span: other.span,
    });
    return true;
  }

  private parseAdd(): Expr {
    let left = this.parseMul();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().text as BinaryOp;
      left = this.binary(op, left, this.parseMul());
    }
    return left;
  }

  private parseMul(): Expr {
    let left = this.parseNeg();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.next().text as BinaryOp;
      left = this.binary(op, left, this.parseNeg());
    }
    return left;
  }

  private parseNeg(): Expr {
    if (!this.isOp('-')) return this.parsePrimary();
    const minus = this.next();
    const t = this.peek();
    if (t.kind === 'number') {
      // A negative number is a literal, so `-3` prints and re-parses as itself.
      this.next();
      const value = -(t.value as number);
      return this.node({ kind: 'literal', value, span: this.span(minus.start, t.end) }, minus.start, t.end, []);
    }
    this.enter(minus);
    const operand = this.parseNeg();
    this.nesting--;
    const end = this.endOf(operand);
    return this.node({ kind: 'unary', op: '-', operand, span: this.span(minus.start, end) }, minus.start, end, [operand]);
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    if (t.kind === 'number' || t.kind === 'string') {
      this.next();
      return this.node({ kind: 'literal', value: t.value as number | string, span: this.span(t.start, t.end) }, t.start, t.end, []);
    }
    if (t.kind === 'ident') return this.parseWord(t);
    if (t.kind === 'op' && t.text === '(') {
      this.next();
      const inner = this.parseOr();
      const close = this.expectOp(')', '`)`');
      // The parentheses belong to the inner node's extent (for the spans of enclosing nodes).
      this.offsets.set(inner, [t.start, close.end]);
      return inner;
    }
    if (t.kind === 'op' && t.text === '[') return this.parseList(t);
    const help = t.kind === 'op' && t.text === '!'
      ? '`!` binds more loosely than comparisons and arithmetic; wrap it in parentheses, e.g. `(!x)`'
      : undefined;
    return this.fail('an expression', t, help);
  }

  private parseList(open: Token): Expr {
    this.next();
    this.enter(open);
    const items = this.parseItems(']');
    const close = this.expectOp(']', '`,` or `]`');
    this.nesting--;
    return this.node({ kind: 'list', items, span: this.span(open.start, close.end) }, open.start, close.end, items);
  }

  /** Comma-separated expressions up to (not including) `close`; no trailing comma. */
  private parseItems(close: string): Expr[] {
    const items: Expr[] = [];
    if (this.isOp(close)) return items;
    items.push(this.parseOr());
    while (this.isOp(',')) {
      this.next();
      items.push(this.parseOr());
    }
    return items;
  }

  /** A keyword literal, a path, a call, or an unknown name (reported; parsing goes on). */
  private parseWord(t: Token): Expr {
    this.next();
    if (t.text === 'true' || t.text === 'false' || t.text === 'null') {
      const value = t.text === 'null' ? null : t.text === 'true';
      return this.node({ kind: 'literal', value, span: this.span(t.start, t.end) }, t.start, t.end, []);
    }
    if (t.text === 'in') this.fail('an expression', t);
    if (this.isOp('(')) return this.parseCall(t);
    if ((ROOTS as readonly string[]).includes(t.text)) return this.parsePath(t);
    const fn = (FUNCTION_NAMES as readonly string[]).includes(t.text);
    // Words other languages use: the operator or literal they mean here.
    const meant = otherLanguageHelp(t.text);
    // Keywords are candidates too: `True` and `nul` are typos of literals, not of roots.
    const guess = fn || meant ? undefined : didYouMean(t.text, [...ROOTS, 'true', 'false', 'null']);
    const help = fn
      ? `\`${t.text}\` is a function; call it with arguments, e.g. \`${t.text}(…)\``
      : meant ?? (guess
          ? `did you mean \`${guess}\`?`
          : 'paths start with `action`, `context` or `request`; strings are written in double quotes');
    this.report('unknown-root', `unknown name \`${excerpt(t.text)}\``, t.start, t.end, help);
    // Go on as if it were a path, so later mistakes are reported in the same pass.
    return this.parsePath({ ...t, text: 'action' });
  }

  private parsePath(root: Token): Expr {
    const segments: PathSegment[] = [];
    let end = root.end;
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const name = this.peek();
        if (name.kind !== 'ident') this.fail('a field name after `.`', name);
        this.next();
        segments.push(name.text);
        end = name.end;
      } else if (this.isOp('[')) {
        this.next();
        const key = this.peek();
        if (key.kind === 'string') {
          segments.push(key.value as string);
        } else if (key.kind === 'number' && /^(0|[1-9][0-9]*)$/.test(key.text) && Number.isSafeInteger(key.value)) {
          segments.push(key.value as number);
        } else {
          this.fail('a string key or a non-negative integer index', key,
            key.kind === 'ident' ? `quote the key: \`["${excerpt(key.text)}"]\`` : undefined);
        }
        this.next();
        end = this.expectOp(']', '`]`').end;
      } else {
        break;
      }
    }
    const path = { root: root.text as PathRoot, segments };
    const first = segments[0];
    if (path.root === 'request' && first !== undefined && first !== 'time' && first !== 'tenant') {
      // Legal (it reads null), but almost certainly a typo; a warning, so the rule still loads.
      const guess = typeof first === 'string' ? didYouMean(first, REQUEST_FIELDS) : undefined;
      this.diagnostics.push({
        severity: 'warning',
        code: 'unknown-request-field',
        message: `\`${excerpt(this.sourceOf(root.start, end))}\` is always null: a request has only \`request.time\` and \`request.tenant\``,
        ...(guess ? { help: `did you mean \`request.${guess}\`?` } : {}),
        span: this.span(root.start, end),
      });
    }
    return this.node({ kind: 'path', path, span: this.span(root.start, end) }, root.start, end, []);
  }

  private parseCall(name: Token): Expr {
    const open = this.next();
    this.enter(open);
    const args = this.parseItems(')');
    const close = this.expectOp(')', '`,` or `)`');
    this.nesting--;
    const known = (FUNCTION_NAMES as readonly string[]).includes(name.text);
    if (!known) {
      const guess = didYouMean(name.text, FUNCTION_NAMES);
      this.report('unknown-function', `unknown function \`${excerpt(name.text)}\``, name.start, name.end,
        guess ? `did you mean \`${guess}\`?` : `the functions are ${FUNCTION_NAMES.map((f) => '`' + f + '`').join(', ')}`);
    }
    const fn = (known ? name.text : 'len') as FunctionName;
    const call = this.node({ kind: 'call', fn, args, span: this.span(name.start, close.end) }, name.start, close.end, args);
    if (known) {
      for (const d of checkCall(call, (e) => this.span(this.startOf(e), this.endOf(e)))) this.diagnostics.push(d);
    }
    return call;
  }
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of input';
  return '`' + excerpt(t.text) + '`';
}

/**
 * Parse one expression. `origin` is the position of `text`'s first character in its file;
 * spans of nodes and diagnostics are offsets from it (newlines inside `text` advance the line).
 * A string written with escapes or folded lines passes a function that places offsets instead
 * (src/rules/text-positions.ts).
 *
 * @example parseExpression('action.type == "db.write"', { file: 'r.yaml', line: 3, col: 9 })
 */
export function parseExpression(text: string, origin: Span | ((start: number, end: number) => Span)): { expr?: Expr; diagnostics: Diagnostic[] } {
  const loc: Placer = typeof origin === 'function' ? { span: origin } : new Locator(origin, text);
  const parser = new Parser(text, tokenize(text), loc);
  let expr: Expr | undefined;
  try {
    expr = parser.parseTop();
  } catch (e) {
    if (e instanceof ParseAbort) {
      parser.diagnostics.push(e.diagnostic);
    } else {
      // Nothing else should reach here; still never throw at a rule author.
      parser.diagnostics.push({
        severity: 'error',
        code: 'expr-depth',
        message: 'expression is too complex to parse',
        help: 'split it into several clauses',
        span: loc.span(0, text.length),
      });
    }
  }
  const failed = parser.diagnostics.some((d) => d.severity === 'error');
  return failed || !expr ? { diagnostics: parser.diagnostics } : { expr, diagnostics: parser.diagnostics };
}
