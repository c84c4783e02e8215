// Lint for the text of an MDC body that reads as a clause, a section heading or a conditions
// block but is none of them (a typo, a heading at the wrong level, a fence Markdown does not
// see): what it holds is description and never enforced, so each such place gets a warning,
// or an error where it would be enforced with the opposite sense. The reader decides where a
// line stands; this file only says what is wrong with it.

import { CONDITION_TYPES, type Diagnostic, type Expr, type FunctionName, type Span } from '../ir/types.js';
import { excerpt } from '../expr/lexer.js';
import { COMPARISONS, parseExpression } from '../expr/parser.js';
import { collectPaths } from '../expr/paths.js';
import { codeSpans } from './mdc-bullets.js';
import { MAX_DECORATED_TITLE, SECTION_NAME, nearClauseName, seenAs, type Clause, type Section } from './mdc-clause-titles.js';
import { addError, lineSpan } from './mdc-report.js';
import { BULLET, headingOf, indentOf } from './markdown-lines.js';

// A fence that was probably meant to open a conditions block: its info string names conditions
// (`yaml conditions:`, `yaml {conditions}`, `json conditions`), or it holds typed conditions
// (not only `yaml`, `conditions` and `yaml condition`).
const NEAR_CONDITIONS_INFO = /\bconditions?\b/i;
// A typed condition has parameters: a request example whose action type is `expression` has not.
const CONDITION_ITEM = new RegExp(String.raw`(?:^|[{,])[ \t]*(?:-[ \t]*)?["']?type["']?[ \t]*:[ \t]*["']?(?:${CONDITION_TYPES.join('|')})\b`, 'm');
const CONDITION_PARAMETERS = /["']?parameters["']?[ \t]*:/;

export const ADVISORY_HELP =
  'to enforce it, end the bullet with an expression in backticks, like: - Must use TLS `context.tls == true`';

/** The help for a bullet whose expression is followed by a little text (`…\`expr\`.`): say what to move. */
function afterCodeSpan(text: string): string | undefined {
  const m = /`[^`]+`\s*([^\s`]{1,3})$/.exec(text);
  return m === null ? undefined : `the bullet ends with \`${m[1]}\` after its expression, so it reads as advice; end the bullet with the expression (drop the \`${m[1]}\` or put it before the expression) to enforce it`;
}

/**
 * A code span in a clause's message that reads as a condition: it parses as an expression that
 * reads the request and is true or false (a comparison, `in`, `&&`, `||`, `!`, or a test such
 * as `exists(context.sudo)`). Only the span that ends a bullet is evaluated, so
 * ``- Either `a == 1` or `b == 2` `` enforces `b == 2` alone and says "Either `a == 1` or"
 * (with lint silent, `a` approved). A field named alone (`action.table`), a
 * value (`action.cost * 1.2`) or shell text (`tail request.log > out`) is message text as
 * meant. Parsed rather than matched with patterns: a regex for it was quadratic on long words.
 */
function conditionIn(message: string): string | undefined {
  const nowhere = (): Span => ({ file: '', line: 1, col: 1 });
  for (const content of codeSpans(message)) {
    const text = content.trim();
    if (!/\b(?:action|context|request)\s*[.[]/.test(text)) continue; // most spans: not worth a parse
    const { expr, diagnostics } = parseExpression(text, nowhere);
    if (expr !== undefined && isTest(expr) && !diagnostics.some((d) => d.severity === 'error') && collectPaths(expr).length > 0) return text;
  }
  return undefined;
}

const TESTS = new Set<string>([...COMPARISONS, '&&', '||']);
const TEST_CALLS = new Set<FunctionName>(['startsWith', 'endsWith', 'contains', 'exists', 'glob', 'globAny', 'inCidr']);

/** Whether `e` is true or false by its form: what a clause's expression is. */
function isTest(e: Expr): boolean {
  return (e.kind === 'binary' && TESTS.has(e.op)) || e.kind === 'unary' && e.op === '!' || (e.kind === 'call' && TEST_CALLS.has(e.fn));
}

/** The warnings of one MDC file, added to `diagnostics` as the reader meets each line. */
export class MdcLint {
  constructor(private readonly lines: string[], private readonly file: string, private readonly diagnostics: Diagnostic[]) {}

  /**
   * A bullet under a section of another name (`## Never allowed`) whose code span reads as a test
   * of the request: a rule author's deny that no tool named, approved. Only such
   * a span: `- run \`npm test\`` is description as meant. Whether it warned.
   */
  unenforcedSection(title: string, i: number): boolean {
    const line = this.lines[i];
    const test = conditionIn(line);
    if (test === undefined) return false;
    this.diagnostics.push({
      severity: 'warning', code: 'mdc-unenforced-section',
      message: `\`${title}\` is description (only \`## Prohibited\` and \`## Required\` hold clauses, SPEC §3.3), so \`${test}\` under it is never enforced`,
      help: 'to have it checked, put the bullet under `## Prohibited` (denied when true) or `## Required` (denied when false)',
      span: this.at(i, 0, line.length),
    });
    return true;
  }

  /** Line `i` reads as a clause under a heading that ended its clause section (or names one past its first word). */
  subsectionBullet(subsection: { title: string; section: Clause; named?: boolean }, i: number): void {
    const name = SECTION_NAME[subsection.section];
    const span = this.at(i, 0, this.lines[i].length);
    if (subsection.named) this.notClauseHeading(subsection.title, name, span);
    else {
      this.diagnostics.push({
        severity: 'warning', code: 'mdc-subsection',
        message: `heading \`${subsection.title}\` ends the \`## ${name}\` section, so the bullets under it are description and never enforced`,
        help: `to have them checked, put them under \`## ${name}\` itself (a bold line, not a heading, can group them)`,
        span,
      });
    }
  }

  /** A clause bullet with no expression: advice, never enforced. */
  advisoryClause(meaning: { text: string; span: Span }): void {
    this.diagnostics.push({
      severity: 'warning',
      code: 'advisory-clause',
      message: `clause \`${meaning.text}\` has no expression and is never enforced`,
      help: afterCodeSpan(meaning.text) ?? ADVISORY_HELP,
      span: meaning.span,
    });
  }

  /** A condition in a clause's message, before the expression that ends the bullet: never evaluated. */
  conditionInMessage(meaning: { message: string; expr: string; messageSpan: Span }): void {
    const unread = conditionIn(meaning.message === meaning.expr ? '' : meaning.message);
    if (unread === undefined) return;
    this.diagnostics.push({
      severity: 'warning',
      code: 'mdc-condition-in-message',
      message: `only the code span that ends a bullet is its expression: \`${excerpt(unread)}\` before it is message text and is never evaluated`,
      help: `join the conditions into the one expression that ends the bullet (\`${excerpt(unread)} || …\`, or \`&&\`), or give each its own bullet`,
      span: meaning.messageSpan,
    });
  }

  /**
   * A heading that reads like `## Prohibited` / `## Required` but is not one (`Prohibited
   * actions`, `**Required**`, `Prohibitted`, a level-1 `# Prohibited`) makes its bullets
   * description: a typo must not silently disable clauses, so lint says so.
   */
  nearClauseHeading(line: string, title: string, i: number): boolean {
    const near = nearClauseName(seenAs(title).replace(/[*_:`]/g, '').trim().split(/\s+/)[0] ?? '');
    if (near === undefined) return false;
    this.notClauseHeading(line.trim(), near, this.at(i, 0, line.length));
    return true;
  }

  /** `mdc-section-heading`: heading `shown` is not `## name`, so its bullets are never enforced. */
  private notClauseHeading(shown: string, name: string, span: Span): void {
    this.diagnostics.push({
      severity: 'warning',
      code: 'mdc-section-heading',
      message: `heading \`${shown}\` is not \`## ${name}\`, so the bullets under it are description and never enforced`,
      help: `to have them checked, write the heading exactly \`## ${name}\` (any case, level 2 or deeper)`,
      span,
    });
  }

  /**
   * A paragraph that is not a heading but reads as a section title, with bullets under it:
   * `##Prohibited` (no space after the `#`s), `**Prohibited:**`, `Prohibited actions:`, a
   * typo (`Prohibitted`), or a list item used as a label (`- **Prohibited:**` over nested
   * bullets). The bullets stay in the section above: under the other clause section they
   * would be enforced with the opposite sense (a `##Prohibited` under `## Required`
   * required a `db.drop`): an error when the label is the word itself, a warning when it is
   * longer or a near word; elsewhere they are description, a warning. Only a short label of
   * its own over bullets holding an expression counts (a wrapped line ending in "required" is
   * prose), and the title of the section it is in, as a label, says nothing new.
   */
  sectionLookalike(line: string, section: Section, i: number, listItem: RegExpExecArray | null, htmlLine: boolean): void {
    const prev = this.lines[i - 1];
    // Inside a paragraph it is prose; but a line at the margin right after a list item's lines
    // reads as a label to a person, whatever Markdown joins it to.
    const afterItem = prev !== undefined && (BULLET.test(prev) || /^\s/.test(prev)) && indentOf(line) === 0;
    if (prev !== undefined && prev.trim() !== '' && headingOf(prev) === undefined && !listItem && !afterItem) return;
    if (!listItem && indentOf(line) >= 4) return; // indented code or a wrapped item line
    if (htmlLine && !line.trimStart().startsWith('<')) return; // text inside an HTML block
    // A title is short; a long line is prose, and is not scanned (the patterns below stay linear).
    const trimmed = line.trim();
    if (trimmed.length > MAX_DECORATED_TITLE) return;
    if (listItem && /`[^`]+`/.test(listItem[3])) return; // an item with an expression is a clause, not a label
    const text = seenAs(listItem ? listItem[3] : trimmed.replace(/<[^<>]*>/g, '').replace(/^(?:>[ \t]*)*(?:\\?#)*/, ''))
      .replace(/[*_`\\#]/gu, '').replace(/(?<![\s:.\-–—])[\s:.\-–—]+$/u, '').trim();
    const words = text.split(/\s+/);
    if (text === '' || words.length > 3) return;
    const near = nearClauseName(words[0]);
    if (near === undefined || near.toLowerCase() === section) return;
    // Bullets must follow; a label item heads nested ones (any other item is a clause of its own).
    let k = i + 1;
    while (k < this.lines.length && this.lines[k].trim() === '') k++;
    const next = this.lines[k];
    if (next === undefined || !BULLET.test(next) || (listItem && indentOf(next) <= indentOf(line))) return;
    // Only bullets that would be enforced matter: a label over plain links or notes changes
    // nothing. Its bullets are those under it: nested under a label item, else the list that
    // follows, to the first line that is neither a bullet nor indented.
    let enforced = false;
    for (let j = k; j < this.lines.length && !enforced; j++) {
      const l = this.lines[j];
      if (l.trim() === '' || (listItem ? indentOf(l) <= indentOf(line) : !BULLET.test(l) && !/^\s/.test(l))) break;
      enforced = /`[^`]+`/.test(l);
    }
    if (!enforced) return;
    const start = line.length - line.trimStart().length;
    const span = this.at(i, start, line.length - start);
    const shown = line.trim();
    const help = `write the heading \`## ${near}\` on a line of its own (a space after the \`#\`s) to open that section`;
    // Only the word itself is sure to be the other section's title; a longer label or a near
    // word (`Prohibited actions:`, `Retired systems:`) may be meant as it reads: said, not refused.
    const exact = words.length === 1 && words[0].toLowerCase() === near.toLowerCase();
    if (section === 'other') {
      this.diagnostics.push({ severity: 'warning', code: 'mdc-section-heading',
        message: `\`${shown}\` is not a heading, so the bullets under it are description and never enforced`, help, span });
      return;
    }
    if (!exact) {
      this.diagnostics.push({ severity: 'warning', code: 'mdc-section-heading',
        message: `\`${shown}\` reads like \`## ${near}\` but is not a heading: the bullets under it stay in \`## ${SECTION_NAME[section]}\``, help, span });
      return;
    }
    this.error(span, 'mdc-section-heading',
      `\`${shown}\` is not a heading, so the bullets under it stay in \`## ${SECTION_NAME[section]}\` and would be enforced with the opposite sense`, help);
  }

  /**
   * A line of a `## Prohibited` / `## Required` section that is not a bullet is never a clause;
   * one that holds an expression in backticks (a bullet without its `- `, a quoted `> - …`)
   * was surely meant as one, so lint says it is not enforced.
   */
  proseInClauses(line: string, section: Section, i: number): void {
    if (section === 'other' || !/`[^`]+`/.test(line)) return;
    this.diagnostics.push({
      severity: 'warning',
      code: 'mdc-not-a-bullet',
      message: `this line of \`## ${SECTION_NAME[section]}\` is not a bullet, so its expression is never enforced`,
      help: 'start the line with `- ` to make it a clause, like: - No drops `action.type == "db.drop"`',
      span: this.at(i, 0, line.length),
    });
  }

  /** A fence that reads like a conditions block but is not one (its conditions would be description). */
  nearConditionsFence(open: number, close: number, info: string): void {
    // Read as written inside a quote too (`> - type: …`).
    const body = this.lines.slice(open + 1, close).map((l) => l.replace(/^\s*(?:>\s?)+/, '')).join('\n');
    this.conditionsNotRead(open, info, body,
      `a block opened with \`${this.lines[open].trim()}\` is not a \`\`\`yaml conditions block, so the conditions in it are description and never enforced`,
      'open the block with exactly ```yaml conditions');
  }

  /**
   * A ``` or ~~~ line at `i` that opens no fence (inside an HTML block that ends at a blank
   * line, or indented 4 columns or more: `why`), read as nearConditionsFence reads a fence.
   */
  conditionsFenceNotRead(i: number, why: string, help: string): void {
    // No `[ \t]*` between marker and info: beside `[^`]*` it was quadratic on a run of spaces
    // ending in a backtick (1.3 s at 60 000).
    const opened = /^[ \t]*(`{3,}|~{3,})([^`]*)$/.exec(this.lines[i]);
    if (opened === null) return;
    const marker = opened[1];
    const info = opened[2].replace(/^[ \t]+/, '');
    let end = i + 1;
    while (end < this.lines.length && this.lines[end].trim() !== '' && !this.lines[end].trim().startsWith(marker)) end++;
    this.conditionsNotRead(i, info, this.lines.slice(i + 1, end).join('\n'),
      `\`${this.lines[i].trim()}\` ${why}, not a fenced block, so the conditions in it are never enforced`, help);
  }

  /**
   * `mdc-conditions-fence` for a block opened at `open` that is not a conditions block: an
   * error when its info string names conditions and its `body` holds some (they would be
   * unenforced: a quoted block's rate limit never holds), a warning for one
   * of the two (a plain ```yaml holding conditions may be an example in the description).
   */
  private conditionsNotRead(open: number, info: string, body: string, message: string, help: string): void {
    const holdsConditions = CONDITION_ITEM.test(body) && CONDITION_PARAMETERS.test(body);
    const namesConditions = NEAR_CONDITIONS_INFO.test(info);
    if (!namesConditions && !holdsConditions) return;
    this.diagnostics.push({
      severity: namesConditions && holdsConditions ? 'error' : 'warning',
      code: 'mdc-conditions-fence',
      message,
      help,
      span: this.at(open, 0, this.lines[open].length),
    });
  }

  private at(line: number, col: number, length?: number): Span {
    return lineSpan(this.file, line, col, length);
  }

  private error(span: Span, code: string, message: string, help?: string): void {
    addError(this.diagnostics, span, code, message, help);
  }
}
