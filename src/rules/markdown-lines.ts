// CommonMark, one line at a time: what a line of an MDC body is (an ATX or setext heading, a
// bullet, a fence, a quote line, the start of an HTML block) and how far it is indented. Nothing
// here knows about rules; the MDC reader asks these questions of each line and decides.
//
// Regexes here stay linear on hostile lines (a rule can arrive by HTTP PUT): no pattern has a lazy
// or repeated group followed by `\s*$`; trailing parts are trimmed by hand (see headingOf).
// A `.` that must reach the end of a line takes the `s` flag: lines are split at \n and \r only,
// so U+2028 and U+2029 are ordinary characters inside one (CommonMark), and without the flag a
// bullet holding one was not a bullet, its clause dropped with a wrong warning.

const HEADING_START = /^ {0,3}(#{1,6})[ \t]+\S/;
// A list item's marker, spelled once for the patterns that find one: a bullet character, or an
// ordinal of up to 9 digits with `.` or `)` (CommonMark). Before it in a container, up to 3
// spaces, and after it the spaces and tabs that end it; a quote level is a `>` so indented.
const ITEM_MARKER = String.raw`(?:[-*+]|\d{1,9}[.)])`;
const ITEM_PREFIX = String.raw` {0,3}${ITEM_MARKER}[ \t]+`;
const QUOTE_PREFIX = String.raw` {0,3}>[ \t]?`;
/** A bullet or ordered item at any indent (a wrapped clause may be indented), its text in group 3. */
export const BULLET = new RegExp(String.raw`^(\s*)${ITEM_MARKER}(\s+)(\S.*)$`, 's');
const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/s;
export const HTML_COMMENT_START = /^ {0,3}<!--/;
// A setext heading's underline (CommonMark: up to 3 spaces of indent, a run of `=` or `-`).
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
// A thematic break (`***`, `- - -`): a line of its own, never a heading's text.
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
/** Quotes and list items nested deeper than this are not looked into (each level copies the line). */
export const MAX_CONTAINER_DEPTH = 16;

// Container markers before a line's content: a quote's `>`, a list item's `-`, `*`, `+`, `1.`.
export const CONTAINER_PREFIX = new RegExp(String.raw`^ {0,3}(?:>[ \t]?|${ITEM_MARKER}[ \t]+)`);
/** Every quote level's `>` at the start of a line. */
export const QUOTE_MARKERS = new RegExp(`^(?:${QUOTE_PREFIX})+`);
/** The `>`s of a quote, maybe inside a list item (`- > `). */
const QUOTE_IN_ITEM = new RegExp(`^(?:${ITEM_PREFIX})?(?:${QUOTE_PREFIX})+`);

/** An ATX heading: its level, its title without a closing `#` run, and the title's column (0-based). */
export function headingOf(line: string): { level: number; title: string; col: number } | undefined {
  const m = HEADING_START.exec(line);
  if (!m) return undefined;
  const col = m[0].length - 1;
  let title = line.slice(col).trimEnd();
  let cut = title.length;
  while (cut > 0 && title[cut - 1] === '#') cut--;
  if (cut < title.length && cut > 0 && /\s/.test(title[cut - 1])) title = title.slice(0, cut).trimEnd();
  return { level: m[1].length, title, col };
}

/**
 * Whether a `-`/`=` line under `line` is in the same container (CommonMark: a setext underline
 * is never a lazy line; a lazy paragraph line is the caller's to rule out). Under text of a
 * list item, a `---` indented less than the item's content is a thematic break; under a quote
 * line, one without `>` is too. Either way no heading, so nothing for the section rules to decide.
 */
export function underlineInContainer(line: string, next: string | undefined, itemIndent: number): boolean {
  if (next === undefined) return false;
  if (QUOTED.test(line) && !QUOTED.test(next)) return false;
  // Text in a list item (indented to its content) over a `---` indented less: a rule line.
  if (itemIndent > 0 && indentOf(line) >= itemIndent && indentOf(next) < itemIndent) return false;
  return true;
}

/**
 * A setext heading: a line of text (not a bullet, a rule line or a table row) over an
 * underline of `=` (level 1) or `-` (level 2); `col` is where its text starts (0-based).
 */
export function setextHeading(line: string, next: string | undefined, previous: string | undefined): { level: number; title: string; col: number } | undefined {
  if (next === undefined || !SETEXT_UNDERLINE.test(next)) return undefined;
  // Text (any indent: see the caller), not a bullet, a rule line, or a row of a table (a row
  // under another row); the `---` then is a rule line.
  const tableRow = line.includes('|') && previous !== undefined && previous.includes('|');
  if (line.trim() === '' || BULLET.test(line) || THEMATIC_BREAK.test(line) || tableRow) return undefined;
  return { level: next.trim()[0] === '=' ? 1 : 2, title: line.trim(), col: line.length - line.trimStart().length };
}

export function indentOf(line: string): number {
  return columns(line.slice(0, line.length - line.trimStart().length));
}

/** The width of leading whitespace, a tab reaching the next multiple of 4 (CommonMark). */
export function columns(space: string): number {
  let col = 0;
  for (const ch of space) col = ch === '\t' ? col + 4 - (col % 4) : col + 1;
  return col;
}

/** A code fence: its marker and info, the column its container's lines start at, whether it is in a quote. */
export interface Fence {
  marker: string;
  info: string;
  container: number;
  quoted: boolean;
}

/**
 * A code fence opening (CommonMark) on this line: ``` or ~~~ indented at most 3 columns past
 * the list item the line is in (`itemIndent`, 0 outside one), for backticks with no backtick in
 * its info string; also one that opens a list item's content (`- ```sh`) or sits in a quote
 * (`> ```). Deeper, it is an indented code block or a bullet's text; with a backtick in its info
 * (```` ```rm -rf /``` ````) it is a code span.
 */
export function fenceIn(line: string, itemIndent: number, item: RegExpExecArray | null): Fence | undefined {
  const plain = fenceOpening(line, itemIndent);
  if (plain) return { ...plain, container: itemIndent, quoted: false };
  if (item) {
    const inItem = fenceOpening(item[3], 0);
    if (inItem) return { ...inItem, container: line.length - item[3].length, quoted: false };
  }
  // In a quote, maybe with list items inside or around it (`> ```, `> - ```, `- > ```): the
  // lines are read with their `>` taken off; list markers after the quote set the container.
  const quote = QUOTE_IN_ITEM.exec(line);
  if (quote) {
    let rest = line.slice(quote[0].length);
    let container = 0;
    for (let m = LIST_MARKER.exec(rest), depth = 0; m && depth < MAX_CONTAINER_DEPTH; m = LIST_MARKER.exec(rest), depth++) {
      container += m[0].length;
      rest = rest.slice(m[0].length);
    }
    const inQuote = fenceOpening(' '.repeat(container) + rest, container);
    if (inQuote) return { ...inQuote, container, quoted: true };
  }
  return undefined;
}

export const QUOTED = /^ {0,3}>/;

/**
 * Whether `prev` (in its item or quote) is paragraph text a lazy line could continue: not a
 * fence line, rule line, heading, underline, table row or HTML line, which leave none open.
 */
export function leavesParagraph(prev: string | undefined): boolean {
  if (prev === undefined) return false;
  let t = unquoted(prev) ?? prev;
  const item = LIST_MARKER.exec(t);
  if (item) t = t.slice(item[0].length);
  t = t.trim();
  if (t === '' || t.startsWith('|') || htmlBlockStart(t, true) !== undefined) return false;
  return FENCE.exec(t) === null && !THEMATIC_BREAK.test(t) && headingOf(t) === undefined && !SETEXT_UNDERLINE.test(t);
}
const LIST_MARKER = new RegExp(`^${ITEM_PREFIX}`);

function fenceOpening(line: string, itemIndent: number): { marker: string; info: string } | undefined {
  const m = FENCE.exec(line);
  if (!m) return undefined;
  if (columns(m[1]) > itemIndent + 3 || (m[2][0] === '`' && m[3].includes('`'))) return undefined;
  return { marker: m[2], info: m[3].trim() };
}

/** A quote line's content (every `>` level taken off), or undefined for a line that is no quote line (a blank one ends the quote). */
export function unquoted(line: string): string | undefined {
  const m = /^(?:[ \t]*>[ \t]?)+/.exec(line);
  return m ? line.slice(m[0].length) : undefined;
}

/** What ends an HTML block: a blank line (types 6, 7), or a marker on a line of its own (1, 3–5), blank lines and all. */
export type HtmlBlockEnd = 'blank' | RegExp;
/** CommonMark types 1, 3, 4 and 5: how each opens, and the text on the line that ends it. */
const HTML_TO_MARKER: Array<[RegExp, RegExp]> = [
  [/^ {0,3}<(?:script|pre|style|textarea)(?:[\s>]|$)/i, /<\/(?:script|pre|style|textarea)>/i],
  [/^ {0,3}<\?/, /\?>/],
  [/^ {0,3}<![A-Za-z]/, />/],
  [/^ {0,3}<!\[CDATA\[/, /\]\]>/],
];
const HTML_BLOCK_TAG = /^ {0,3}<\/?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?:[\s>]|\/>|$)/i;

// CommonMark type 7: a line of one complete open or closing tag, any name (`<my-note>`,
// `<span id="x">`), attributes as CommonMark spells them (`<your name here!>` is text).
const HTML_ATTRIBUTE = String.raw`\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>\x60]+|'[^']*'|"[^"]*"))?`;
const HTML_LONE_TAG = new RegExp(String.raw`^ {0,3}(?:<[A-Za-z][A-Za-z0-9-]*(?:${HTML_ATTRIBUTE})*\s*\/?>|<\/[A-Za-z][A-Za-z0-9-]*\s*>)\s*$`);

/** Whether the line before leaves a paragraph open (a type 7 HTML block cannot interrupt one). */
export function paragraphBefore(prev: string | undefined): boolean {
  return prev !== undefined && prev.trim() !== '' && headingOf(prev) === undefined && !THEMATIC_BREAK.test(prev) && FENCE.exec(prev) === null;
}

/**
 * Whether `line` opens an HTML block (CommonMark types 1 and 3–7), and what ends it. Type 7
 * cannot interrupt a paragraph, so it opens one only where none is open (`noParagraph`).
 */
export function htmlBlockStart(line: string, noParagraph: boolean): HtmlBlockEnd | undefined {
  for (const [start, end] of HTML_TO_MARKER) if (start.test(line)) return end;
  if (HTML_BLOCK_TAG.test(line)) return 'blank';
  return noParagraph && line.length <= 1000 && HTML_LONE_TAG.test(line) ? 'blank' : undefined;
}

/** A line of only the fence's character, at least as many as opened it, indented at most 3 columns past its container. */
export function closesFence(line: string, marker: string, container = 0): boolean {
  if (indentOf(line) > container + 3) return false;
  const t = line.trim();
  if (t.length < marker.length) return false;
  for (const ch of t) if (ch !== marker[0]) return false;
  return true;
}
