// MDC / Markdown rule files → one raw rule (SPEC §3.3). The front matter and a ```yaml conditions
// block are YAML read in place (positions counted from their first line in the file); the Markdown
// parts become synthesized raw entries whose spans point at the heading, the `**Rule ID:**`
// line, or the exact column of each bullet's expression.
//
// The front matter is read in mdc-front-matter.ts; what each Markdown line is, in markdown-lines.ts;
// the warnings for text that reads as a clause but is none, in mdc-lint.ts.

import type { Diagnostic, Span } from '../ir/types.js';
import { readBullet, trailingCodeSpan, type BulletLines } from './mdc-bullets.js';
import { SECTION_NAME, clauseOf, clauseWordIn, htmlClauseHeading, indentedClauseHeading, nestedClauseHeading, type Clause, type Section } from './mdc-clause-titles.js';
import { BULLET, HTML_COMMENT_START, QUOTED, closesFence, columns, fenceIn, headingOf, htmlBlockStart, indentOf, leavesParagraph, paragraphBefore, setextHeading, underlineInContainer, unquoted, type Fence, type HtmlBlockEnd } from './markdown-lines.js';
import { readFrontMatter } from './mdc-front-matter.js';
import { MdcLint } from './mdc-lint.js';
import { addError, lineSpan } from './mdc-report.js';
import { rawGet, type RawEntry, type RawValue, type ReadResult } from './raw.js';
import { readYaml } from './yaml.js';

type ClauseKey = 'prohibited' | 'required' | 'advisory' | 'conditions';

// Regexes here stay linear on hostile lines (a rule can arrive by HTTP PUT): no pattern has a lazy
// or repeated group followed by `\s*$`; trailing parts are trimmed by hand (see markdown-lines.ts).
const RULE_ID_LINE = /^\s*\*\*Rule[ _-]?ID:?\*\*:?\s*`([^`]*)`\s*$/i;
/** A front matter `rule_id:` field line. */
const FRONT_MATTER_RULE_ID = /^rule_id\s*:/;
/**
 * A `**Rule ID:**` line whose id is not in a code span (the id in group 1, with the line's
 * trailing spaces: trimmed by hand, as a lazy group before `\s*$` took 2 s of the event loop on
 * a line of 60 000 spaces).
 */
const RULE_ID_WITHOUT_SPAN = /^\s*\*\*Rule[ _-]?ID:?\*\*:?\s*([^\s`][^`]*)$/i;
const CONDITIONS_INFO = /^ya?ml\s+conditions$/i;

/** What body() carries from one line to the next, beside the containers it tracks itself. */
interface BodyState {
  section: Section;
  /** The level of the clause section's heading. */
  sectionLevel: number;
  /** The bullet being read, line by line, until a line ends it. */
  bullet?: BulletLines;
  /** A subsection heading that ended a clause section, until a heading ends it in turn. */
  // A heading whose bullets are description though they may read as clauses: one deeper
  // than the clause section it ends, or one naming a clause word past its first word
  // (`## 1. Prohibited`, `## 🚫 Prohibited`): warned of at its first bullet with an expression.
  subsection?: { title: string; section: Clause; warned: boolean; named?: boolean };
  /** A section of its own under another name (`## Never allowed`): description, which a clause-like bullet may not know. */
  otherSection?: { title: string; warned: boolean };
}

/**
 * @example readMdc('# Title\n**Rule ID:** `t`\n## Prohibited\n- No `action.type == "x"`\n', 'r.mdc')
 */
export function readMdc(text: string, file: string): ReadResult {
  return new MdcReader(text, file).read();
}

class MdcReader {
  private readonly lines: string[];
  private readonly diagnostics: Diagnostic[] = [];
  private readonly clauses = new Map<ClauseKey, { keySpan: Span; items: RawValue[] }>();
  private heading?: { text: string; span: Span };
  private ruleId?: { text: string; span: Span };
  /** The first `**Rule ID:** x` line without backticks: named only if the rule has no id at all. */
  private bareRuleId?: { id: string; span: Span };
  private readonly description: { text: string; line: number }[] = [];

  private readonly lint: MdcLint;

  constructor(text: string, private readonly file: string) {
    // Markdown ends a line at LF, CRLF or a lone CR; read as one line, a lone CR hid the bullets after it.
    this.lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
    this.lint = new MdcLint(this.lines, file, this.diagnostics);
  }

  read(): ReadResult {
    const front = readFrontMatter(this.lines, this.file, this.diagnostics);
    if (front === null) return { values: [], diagnostics: this.diagnostics };
    this.body(front.bodyStart);
    // Front matter YAML that does not parse: its error and the body's are reported, but no
    // rule is assembled, which would add "missing rule_id" for fields that are there.
    if (front.map === null) return { values: [], diagnostics: this.diagnostics };
    return { values: [this.assemble(front.map)], diagnostics: this.diagnostics };
  }

  private body(from: number): void {
    const st: BodyState = { section: 'other', sectionLevel: 0 };
    const flush = (): void => this.flush(st);
    /** Content columns of the list items the lines are in (CommonMark containers; a blank line keeps them). */
    const items: number[] = [];
    /** Inside an HTML block: to the next blank line, or (`<pre>`, `<script>`…) to its closing tag. */
    let html: HtmlBlockEnd | undefined;
    /** The content column of the list item the HTML block opened in (0: none). */
    let htmlContainer = 0;
    /** The line continues a paragraph of an item or quote lazily (see below). */
    let lazy = false;
    for (let i = from; i < this.lines.length; i++) {
      const line = this.lines[i];
      const blank = line.trim() === '';
      const listItem = BULLET.exec(line);
      const itemIndentBefore = items.length > 0 ? items[items.length - 1] : 0;
      // A lazy line continues the paragraph of the item or quote above without its indent or `>`
      // (and so do the plain lines after it): that paragraph, and no `---` under it, is there.
      const prev = this.lines[i - 1];
      if (blank || !leavesParagraph(prev)) lazy = false; // nothing open to continue
      else if (listItem || QUOTED.test(line) || !leavesParagraph(line)) lazy = false; // a block of its own (quote, heading, fence…)
      else if ((itemIndentBefore > 0 && indentOf(line) < itemIndentBefore) || (QUOTED.test(prev!) && !QUOTED.test(line))) lazy = true;
      // A lazy line leaves its item open (its paragraph goes on), however little it is indented.
      if (!blank && !lazy) {
        const indent = indentOf(line);
        while (items.length > 0 && items[items.length - 1] > indent) items.pop();
        // In columns, as indentOf counts: `-<TAB>x` has its text at column 4, not 2.
        if (listItem) items.push(columns(line.slice(0, line.length - listItem[3].length)));
      }
      // An HTML block (CommonMark types 1 and 6: a line opening a block-level tag, to the next
      // blank line, or `<pre>` … `</pre>`) is HTML to Markdown: a `## Required` or
      // `<h2>Required</h2>` there is no section heading here, and a ``` there opens no fence.
      // A clause heading in one is an error: read as text, or as a heading, one of the two
      // would flip the sense of the bullets after the block.
      let htmlLine = false;
      // A block that ends at a blank line also ends with the list item it is in (a line indented
      // less than the item's content): CommonMark closes the item, and the block with it.
      if (html === 'blank' && !blank && indentOf(line) < htmlContainer) html = undefined;
      if (html === 'blank' && blank) html = undefined;
      else {
        const opening = html === undefined;
        if (opening) html = htmlBlockStart(line, i === from || !paragraphBefore(this.lines[i - 1]));
        if (html !== undefined) {
          if (opening) htmlContainer = items.length > 0 ? items[items.length - 1] : 0;
          htmlLine = true;
          const kind = html;
          const next = this.lines[i + 1];
          const lastLine = html === 'blank' ? next === undefined || next.trim() === '' : html.test(line);
          const inside = htmlClauseHeading(line) ?? nestedClauseHeading(`> ${line.trimStart()}`, next === undefined || lastLine ? undefined : `> ${next}`);
          if (html !== 'blank' && lastLine) html = undefined;
          if (inside !== undefined) {
            flush();
            this.error(this.at(i, 0, line.length), 'mdc-html-heading',
              `\`${inside}\` heading inside an HTML block: Markdown shows it as HTML, not as a section of this rule`,
              `end the HTML block with a blank line before \`## ${inside}\`, or move the heading out of it`);
            continue;
          }
          // Likewise a conditions block under `<details>` with no blank line between, at any
          // indent: HTML, so its conditions (a rate limit, say) never hold, and it
          // loaded with no word. In `<pre>`, `<script>`… it is an example, shown as written.
          if (kind === 'blank') this.lint.conditionsFenceNotRead(i, 'inside an HTML block is HTML to Markdown', 'end the HTML block with a blank line before the conditions block (after `<details>` or `<summary>…</summary>`), or move the block out of it');
        }
      }
      const itemIndent = items.length > 0 ? items[items.length - 1] : 0;
      const fence = htmlLine ? undefined : fenceIn(line, itemIndent, listItem);
      // Indented 4 columns past its container, a ``` line is code, not a fence (CommonMark).
      if (!htmlLine && fence === undefined && !lazy && indentOf(line) >= itemIndent + 4) {
        this.lint.conditionsFenceNotRead(i, `indented ${indentOf(line) - itemIndent} columns is an indented code block to Markdown`, 'indent the fence at most 3 columns');
      }
      if (fence) {
        flush();
        i = this.fence(i, fence, st.section);
        continue;
      }
      // A clause heading inside a quote or a list item (`> ## Prohibited`, `- ## Required`) is a
      // heading to Markdown, but this reader takes sections only from headings at the margin:
      // read as text, its bullets would stay in the section above, enforced with the other sense.
      const nested = htmlLine ? undefined : nestedClauseHeading(line, this.lines[i + 1]) ?? (listItem ? undefined : indentedClauseHeading(line, itemIndent));
      if (nested !== undefined) {
        flush();
        this.error(this.at(i, 0, line.length), 'mdc-nested-heading',
          `\`${nested}\` heading inside a quote or a list item: clause sections are read only from headings at the margin`,
          `write \`## ${nested}\` at the start of a line, outside the quote or list`);
        continue;
      }
      // An HTML comment block is not shown, so a clause commented out is not enforced either.
      const comment = HTML_COMMENT_START.exec(line);
      if (comment) {
        flush();
        i = this.htmlComment(i, comment[0].length);
        continue;
      }
      // Text over a line of `-` or `=` is a heading in Markdown (setext). `Prohibited` /
      // `Required` over `-` opens that section, as `## Prohibited` does; over `=`, before any
      // heading, the text is the title. Any other such heading inside a clause section is an
      // error: read as a heading it would end the section and leave the bullets after it
      // unenforced, read as text it would put them in the section above (a `Requirements`
      // heading under Prohibited would invert them), so the author must say which.
      //
      // This reader does not model every Markdown container (list items, lazy continuation
      // lines, quotes), so inside a clause section it takes a clause title as a heading only in
      // its plain form: at the margin, after a blank line or a heading. Text over `-`/`=` in any
      // other context there (continuing a bullet or a paragraph, indented) is the error below:
      // Markdown may read it as a heading or as text over a rule line, and a wrong guess would
      // move or drop clauses. A blank line before the `---` makes it a rule line for everyone.
      const h = htmlLine ? undefined : headingOf(line);
      // Which container a `---` is in decides whether text over it is a heading; this reader's
      // idea of containers is a guess, so it only ever keeps other text from being a heading
      // (sparing a wrapped bullet over a rule line an error). A clause title over `---` is a
      // heading to the rules below whatever the guess: read as text it would leave the
      // bullets after it in the section above, with the opposite sense.
      const underlined = h || htmlLine ? undefined : setextHeading(line, this.lines[i + 1], this.lines[i - 1]);
      const underlinedClause = underlined && clauseOf(underlined.title);
      const setext = underlined && (underlinedClause !== undefined || (!lazy && underlineInContainer(line, this.lines[i + 1], itemIndent)))
        ? underlined : undefined;
      const plainForm = setext !== undefined && !/^\s/.test(line) && (i === from || this.lines[i - 1].trim() === '' || headingOf(this.lines[i - 1]) !== undefined);
      if (setext && this.setextHeading(st, i, setext, underlinedClause, plainForm)) {
        i++; // the underline belongs to the heading
        continue;
      }
      if (h) {
        flush();
        this.atxHeading(st, i, h);
        continue;
      }
      const id = RULE_ID_LINE.exec(line);
      if (id) {
        flush();
        this.ruleIdLine(id[1], i, line.indexOf('`') + 1);
        continue;
      }
      // Without its backticks the line is description, and the only error was a missing
      // `rule_id` at 1:1: the line itself is named.
      // A second rule's front matter pasted below the first (`---` then `rule_id:`) is a rule
      // line and text to Markdown: that rule was dropped without a word. Only
      // right under a `---`, outside HTML: a description may well mention `rule_id:`.
      if (!htmlLine && this.lines[i - 1]?.trim() === '---' && FRONT_MATTER_RULE_ID.test(line)) {
        this.error(this.at(i, 0, line.length), 'mdc-second-front-matter',
          'a `rule_id:` line under `---` in the body: front matter is only at the top of the file, so this reads as description',
          'one file holds one rule: put the other rule in a file of its own');
      }
      const bare = htmlLine || lazy || indentOf(line) >= 4 ? null : RULE_ID_WITHOUT_SPAN.exec(line);
      if (bare && this.bareRuleId === undefined) {
        const id = bare[1].trimEnd();
        this.bareRuleId = { id, span: this.at(i, line.length - bare[1].length, id.length) };
      }
      this.lint.sectionLookalike(line, st.section, i, listItem, htmlLine);
      if (st.section === 'other') this.descriptionLine(st, i, listItem);
      else this.clauseLine(st, i, listItem, lazy);
    }
    flush();
  }

  /** Adds the bullet read so far to its clause section, if it is in one, and ends it. */
  private flush(st: BodyState): void {
    if (st.bullet && st.section !== 'other') this.bullet(st.section, st.bullet);
    st.bullet = undefined;
  }

  /** An HTML comment opened on line `i` (its `<!--` ending at column `opened`); returns its last line. */
  private htmlComment(i: number, opened: number): number {
    let end = i;
    // From the comment's own `--`, so `<!-->` and `<!--->` close where they open.
    let from = opened - 2;
    while (end < this.lines.length && !this.lines[end].includes('-->', from)) {
      end++;
      from = 0;
    }
    // Unclosed, it would hide every clause after it: refused, as an unclosed fence is.
    if (end >= this.lines.length) this.error(this.at(i, 0, this.lines[i].length), 'mdc-comment', 'the HTML comment is not closed, so everything after it would be hidden', 'end it with `-->`');
    return end;
  }

  /**
   * Text over an underline at line `i`: a clause section, the title, or an error inside a clause
   * section. Whether it took the line and its underline; otherwise the text is read on as text.
   */
  private setextHeading(st: BodyState, i: number, setext: { level: number; title: string; col: number }, clause: Clause | undefined, plainForm: boolean): boolean {
    const line = this.lines[i];
    if (setext.level === 2 && clause !== undefined && (st.section === 'other' || plainForm)) {
      this.flush(st);
      st.section = clause;
      st.sectionLevel = 2;
      st.subsection = undefined;
      this.clause(clause, this.at(i, 0, line.length));
      return true;
    }
    if (setext.level === 1 && !this.heading && st.section === 'other') {
      this.heading = { text: setext.title, span: this.at(i, setext.col, setext.title.length) };
      this.lint.nearClauseHeading(line, setext.title, i); // `Prohibited` as the title: its bullets are description
      return true;
    }
    if (st.section !== 'other') {
      this.flush(st);
      this.error(this.at(i, 0, line.length), 'mdc-setext-heading',
        `\`${setext.title}\` over a line of \`${this.lines[i + 1].trim()[0]}\` is a heading in Markdown, inside the \`${SECTION_NAME[st.section]}\` section`,
        'write it as `## Prohibited` / `## Required` to open that section, as `## Title` to end the section, or remove the underline to keep it text (a blank line before the underline makes it a rule line)');
      return true;
    }
    this.lint.nearClauseHeading(line, setext.title, i);
    return false;
  }

  /** An ATX heading at line `i`: the title, a clause section, or a heading that ends one. */
  private atxHeading(st: BodyState, i: number, h: { level: number; title: string; col: number }): void {
    const line = this.lines[i];
    const title = h.title;
    // The title only before any clause section: a `# …` after one ends it, as any heading does.
    if (h.level === 1 && !this.heading && st.section === 'other') {
      this.heading = { text: title, span: this.at(i, h.col, title.length) };
      this.lint.nearClauseHeading(line, title, i); // `# Prohibited` as the title: its bullets are description
      return;
    }
    const clause = h.level >= 2 ? clauseOf(title) : undefined;
    // Any other heading ends a clause section (SPEC §3.3: the bullets of `## Prohibited`),
    // a subsection too: its bullets are often examples. One that holds what reads as clauses
    // is warned about below (`mdc-subsection`).
    const ended = st.section;
    const deeper = clause === undefined && ended !== 'other' && h.level > st.sectionLevel;
    st.section = clause ?? 'other';
    st.subsection = undefined;
    st.otherSection = undefined;
    if (clause !== undefined) {
      st.sectionLevel = h.level;
      this.clause(clause, this.at(i, 0, line.length));
      return;
    }
    this.description.push({ text: line, line: i });
    const near = this.lint.nearClauseHeading(line, title, i);
    const named = near ? undefined : clauseWordIn(title);
    if (deeper && !near) st.subsection = { title: line.trim(), section: ended as Clause, warned: false };
    else if (named) st.subsection = { title: line.trim(), section: named, warned: false, named: true };
    else if (!near) st.otherSection = { title: line.trim(), warned: false };
  }

  /** Line `i` of description (outside the clause sections), warned of once where it reads as a clause. */
  private descriptionLine(st: BodyState, i: number, listItem: RegExpExecArray | null): void {
    const line = this.lines[i];
    this.description.push({ text: line, line: i });
    // A bullet of a section under another name (`## Never allowed`): said once a section.
    if (st.otherSection && !st.otherSection.warned && listItem) st.otherSection.warned = this.lint.unenforcedSection(st.otherSection.title, i);
    // A bullet of it, or a wrapped bullet's later line, that ends in a code span.
    if (st.subsection && !st.subsection.warned && (listItem || /^\s/.test(line)) && trailingCodeSpan(line.trimEnd()) !== undefined) {
      st.subsection.warned = true;
      this.lint.subsectionBullet(st.subsection, i);
    }
  }

  /** Line `i` of a clause section: a bullet, a line of one, or prose that ends it. */
  private clauseLine(st: BodyState, i: number, listItem: RegExpExecArray | null, lazy: boolean): void {
    const line = this.lines[i];
    if (listItem) {
      this.flush(st);
      st.bullet = { parts: [{ text: listItem[3], line: i + 1, col: line.length - listItem[3].length + 1 }] };
    } else if (st.bullet && line.trim() !== '' && /^\s/.test(line)) {
      const lead = line.length - line.trimStart().length;
      st.bullet.parts.push({ text: line.trimStart(), line: i + 1, col: lead + 1 });
    } else if (st.bullet && lazy && this.closesWrappedSpan(st.bullet, line, i)) {
      // At the margin, the bullet's paragraph goes on lazily (CommonMark); taken here only
      // when it closes the bullet's expression, which would otherwise go unenforced. Other
      // lazy text still ends the bullet: read as its end it would turn the bullet into an
      // advisory clause, and this reader errs stricter, never looser.
      st.bullet.parts.push({ text: line, line: i + 1, col: 1 });
    } else {
      this.flush(st); // prose between bullets ends the bullet and is not a clause
      this.lint.proseInClauses(line, st.section, i);
    }
  }

  /**
   * Handles a fenced block starting at line `i`; returns the index of its last line. A fence
   * opened indented (inside a list item) also ends where a line is indented less, as the item
   * does in Markdown; one never closed is an error, since it would hide every clause after it.
   */
  private fence(i: number, m: Fence, section: Section): number {
    let end = i + 1;
    let closed = false;
    for (; end < this.lines.length; end++) {
      const l = this.lines[end];
      // The block ends with its container: a quote line without `>`, an item line indented less.
      const content = m.quoted ? unquoted(l) : l;
      if (content === undefined || (!m.quoted && m.container > 0 && l.trim() !== '' && indentOf(l) < m.container)) break;
      if (closesFence(content, m.marker, m.container)) {
        closed = true;
        break;
      }
    }
    const last = closed ? end : end - 1;
    if (CONDITIONS_INFO.test(m.info) && !m.quoted) {
      this.conditionsBlock(i, closed ? end : this.lines.length);
      return last;
    }
    if (!closed && end >= this.lines.length) {
      this.error(this.at(i, 0, this.lines[i].length), 'mdc-fence', 'this code fence is never closed, so everything after it would be code, not rules',
        `end it with a line ${m.marker}`); // bare: wrapped in backticks it printed five
    }
    this.lint.nearConditionsFence(i, end, m.info);
    if (section === 'other') {
      for (let k = i; k <= Math.min(last, this.lines.length - 1); k++) this.description.push({ text: this.lines[k], line: k });
    }
    return last;
  }

  private conditionsBlock(open: number, close: number): void {
    const keySpan = this.at(open, 0, this.lines[open].length);
    if (close >= this.lines.length) {
      this.error(keySpan, 'mdc-fence', 'the ```yaml conditions block is not closed', 'end it with a line ```');
      return;
    }
    const yaml = readYaml(this.lines.slice(open + 1, close).join('\n') + '\n', this.file, open + 2);
    for (const d of yaml.diagnostics) this.diagnostics.push(d);
    const v = yaml.values[0];
    if (!v) {
      // Likely conditions lost in an edit: the rule would load without them.
      if (yaml.diagnostics.length === 0) {
        this.diagnostics.push({ severity: 'warning', code: 'mdc-empty-conditions', message: 'this ```yaml conditions block holds no conditions', help: 'list conditions in it, or remove the block', span: keySpan });
      }
      return;
    }
    // Only one list is read: conditions after a `---` would be left out without a word.
    if (yaml.values.length > 1) {
      this.error(yaml.values[1].span, 'invalid-type', 'a ```yaml conditions block holds one YAML document; the conditions after its `---` would not be read',
        'put every condition in the one list, without `---` lines');
      return;
    }
    const inner = v.kind === 'map' ? rawGet(v, 'conditions')?.value : v;
    if (inner?.kind !== 'list' || (v.kind === 'map' && v.entries.length !== 1)) {
      this.error(v.span, 'invalid-type', 'a ```yaml conditions block must hold a list of conditions');
      return;
    }
    // One by one: a spread of 200 000 items overflowed the call stack.
    const items = this.clause('conditions', keySpan).items;
    for (const item of inner.items) items.push(item);
  }

  /** Whether lazy line `i` closes a code span the bullet opened, making it a checkable clause. */
  private closesWrappedSpan(b: BulletLines, line: string, i: number): boolean {
    if (readBullet(b, this.file).kind === 'checkable') return false;
    return readBullet({ parts: [...b.parts, { text: line, line: i + 1, col: 1 }] }, this.file).kind === 'checkable';
  }

  private bullet(section: 'prohibited' | 'required', b: BulletLines): void {
    const meaning = readBullet(b, this.file);
    const clause = this.clause(section, undefined);
    if (meaning.kind === 'advisory') {
      this.clause('advisory', clause.keySpan).items.push({ kind: 'string', value: meaning.text, span: meaning.span });
      this.lint.advisoryClause(meaning);
      return;
    }
    this.lint.conditionInMessage(meaning);
    const exprKey = section === 'prohibited' ? 'when' : 'check';
    clause.items.push({
      kind: 'map',
      span: { file: this.file, line: b.parts[0].line, col: b.parts[0].col },
      entries: [
        { key: 'message', keySpan: meaning.messageSpan, value: { kind: 'string', value: meaning.message, span: meaning.messageSpan } },
        {
          key: exprKey,
          keySpan: meaning.exprSpan,
          value: { kind: 'string', value: meaning.expr, span: meaning.exprSpan, textStart: meaning.exprSpan, textAt: meaning.exprAt },
        },
      ],
    });
  }

  private clause(key: ClauseKey, keySpan: Span | undefined): { keySpan: Span; items: RawValue[] } {
    let c = this.clauses.get(key);
    if (!c) this.clauses.set(key, (c = { keySpan: keySpan ?? this.at(0, 0), items: [] }));
    return c;
  }

  private ruleIdLine(id: string, i: number, col: number): void {
    const span = this.at(i, col, id.length);
    if (this.ruleId && this.ruleId.text !== id) {
      this.error(span, 'rule-id-mismatch', `rule id \`${id}\` differs from \`${this.ruleId.text}\` given before`,
        `one file holds one rule; keep one \`**Rule ID:**\` line`);
      return;
    }
    this.ruleId ??= { text: id, span };
  }

  /** Front matter fields win; Markdown parts fill in what it leaves out, and clause lists add up. */
  private assemble(front: RawEntry[]): RawValue {
    const entries = [...front];
    const fm = (key: string): RawEntry | undefined => entries.find((e) => e.key === key);
    const fmId = fm('rule_id');
    // The id meant, not in backticks: said where it is, beside the missing rule_id (not
    // only "missing required field" at 1:1).
    if (!fmId && !this.ruleId && this.bareRuleId) {
      const { id, span } = this.bareRuleId;
      this.error(span, 'rule-id-line', 'the `**Rule ID:**` line gives its id without backticks, so it is read as description',
        `write the id as a code span: **Rule ID:** \`${id.replace(/`/g, '')}\``);
    }
    if (this.ruleId) {
      if (!fmId) entries.push(stringEntry('rule_id', this.ruleId.text, this.ruleId.span));
      else if (fmId.value.kind === 'string' && fmId.value.value !== this.ruleId.text) {
        this.error(this.ruleId.span, 'rule-id-mismatch',
          `rule id \`${this.ruleId.text}\` differs from \`${fmId.value.value}\` in the front matter`,
          'give the rule id once, in the front matter or in the `**Rule ID:**` line');
      }
    }
    if (this.heading && !fm('name')) entries.push(stringEntry('name', this.heading.text, this.heading.span));
    const desc = this.descriptionText();
    if (desc && !fm('description')) entries.push(stringEntry('description', desc.text, desc.span));
    for (const [key, c] of this.clauses) {
      const existing = fm(key);
      if (!existing) entries.push({ key, keySpan: c.keySpan, value: { kind: 'list', items: c.items, span: c.keySpan } });
      // `prohibited:` left empty in the front matter is no list to add to: the body's items are
      // the list (dropping them with the empty value let every action through).
      else if (existing.value.kind === 'null') existing.value = { kind: 'list', items: c.items, span: existing.value.span };
      else if (existing.value.kind === 'list') {
        existing.value = { ...existing.value, items: [...existing.value.items, ...c.items] };
      }
      // A non-list front matter value is reported by normalization; the body's items then wait.
    }
    return { kind: 'map', entries, span: this.at(0, 0) };
  }

  private descriptionText(): { text: string; span: Span } | undefined {
    const kept = withoutEmptySections(this.description);
    const text = kept.map((d) => d.text).join('\n').replace(/\n{3,}/g, '\n\n').trim();
    if (text === '') return undefined;
    const first = kept.find((d) => d.text.trim() !== '')!;
    return { text, span: this.at(first.line, first.text.length - first.text.trimStart().length) };
  }

  /** Span at 0-based line index and 0-based column offset. */
  private at(line: number, col: number, length?: number): Span {
    return lineSpan(this.file, line, col, length);
  }

  private error(span: Span, code: string, message: string, help?: string): void {
    addError(this.diagnostics, span, code, message, help);
  }
}

/**
 * Drops headings left with nothing under them (a `## Conditions` heading whose only content was
 * the conditions block), so the description is prose, not a table of contents.
 */
function withoutEmptySections(lines: { text: string; line: number }[]): { text: string; line: number }[] {
  const keep: boolean[] = [];
  let contentFollows = false; // is the next non-blank line (after this one) content, not a heading?
  for (let i = lines.length - 1; i >= 0; i--) {
    const t = lines[i].text;
    const heading = headingOf(t) !== undefined;
    keep[i] = !heading || contentFollows;
    if (t.trim() !== '') contentFollows = !heading;
  }
  return lines.filter((_, i) => keep[i]);
}

function stringEntry(key: string, value: string, span: Span): RawEntry {
  return { key, keySpan: span, value: { kind: 'string', value, span, textStart: span } };
}
