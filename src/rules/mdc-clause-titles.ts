// Whether a heading's text names `Prohibited` or `Required`, the two clause sections of an MDC
// rule (SPEC §3.3): as it renders (emphasis, links, entities, inline HTML dropped), as a reader
// sees it (a look-alike or a typo, for lint), or from inside a quote, a list item or an HTML
// block, where Markdown shows a heading this reader takes no section from.

import { editDistance } from '../diagnostics/did-you-mean.js';
import { ASCII_PUNCTUATION_CLASS } from './mdc-bullets.js';
import { CONTAINER_PREFIX, MAX_CONTAINER_DEPTH, QUOTE_MARKERS, headingOf, indentOf } from './markdown-lines.js';

/** A clause section of an MDC body. */
export type Clause = 'prohibited' | 'required';
/** The section a body line is in: a clause section, or description. */
export type Section = Clause | 'other';

// The titles of the two clause sections, in any case.
const CLAUSE_TITLE = /^(prohibited|required)$/i;
export const SECTION_NAME = { prohibited: 'Prohibited', required: 'Required' } as const;

/** Longer text is not read as a clause title (a title is short; the patterns stay linear). */
export const MAX_DECORATED_TITLE = 200;

/** The clause title of an HTML heading element on the line (`<h2>Required</h2>`), if any. */
export function htmlClauseHeading(line: string): string | undefined {
  if (line.length > MAX_DECORATED_TITLE + 40) return undefined;
  const m = /^\s*<h[1-6]\b[^>]*>(.*)<\/h[1-6]>\s*$/is.exec(line);
  const clause = m ? clauseOf(m[1]) : undefined;
  return clause && SECTION_NAME[clause];
}

/** The clause a heading names as a word of its own anywhere in it (`1. Prohibited`, `Don'ts (prohibited)`). */
export function clauseWordIn(title: string): Clause | undefined {
  for (const word of seenAs(title).split(/[^\p{L}]+/u)) {
    const lower = word.toLowerCase();
    if (lower === 'prohibited' || lower === 'required') return lower;
  }
  return undefined;
}

/** The clause section a word reads as, typos and all (`Prohibitted`, `Requirements`), or undefined. */
export function nearClauseName(word: string): 'Prohibited' | 'Required' | undefined {
  return (['Prohibited', 'Required'] as const).find((w) => word.toLowerCase().startsWith(w.slice(0, 7).toLowerCase()) || editDistance(word, w) <= 2);
}

/** The clause section a heading's text names (`Prohibited`, `**Required**`, …) as it renders, if any. */
export function clauseOf(title: string): Clause | undefined {
  const plain = plainTitle(title);
  return CLAUSE_TITLE.test(plain) ? (plain.toLowerCase() as Clause) : undefined;
}

/** A heading's text as it renders: inline HTML and comments, link syntax, emphasis and code marks dropped, entities decoded. */
function plainTitle(title: string): string {
  // A title that could read as a clause title is short; a long one is left as it is, which also
  // keeps the patterns below (each scans ahead from every `<` or `[`) linear on hostile lines.
  if (title.length > MAX_DECORATED_TITLE) return title;
  return title
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<\/?[A-Za-z][^>]*>/g, '')
    .replace(LINK, '$1')
    .replace(ENTITY, decodeEntity)
    .replace(ESCAPED_PUNCTUATION, '$1')
    .replace(/\s+/g, ' ')
    .trim()
    // Emphasis and code marks around the title (`**Required**`), not inside a word (`Re_quired`).
    .replace(/^[*_`~]+|[*_`~]+$/g, '');
}

/** A backslash escape (CommonMark §2.4): the escaped character is kept. */
const ESCAPED_PUNCTUATION = new RegExp(`\\\\(${ASCII_PUNCTUATION_CLASS})`, 'g');
/** Link or image syntax (`[text](url)`, `[text][ref]`, `![alt](src)`), its text in group 1. */
const LINK = /!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])?/g;
const ENTITY = /&#(\d{1,7});|&#[xX]([0-9a-fA-F]{1,6});|&(amp|lt|gt|quot|apos|nbsp);/g;
/** Any entity, named ones MGE does not decode included. */
const ANY_ENTITY = /&#(\d{1,7});|&#[xX]([0-9a-fA-F]{1,6});|&([A-Za-z][A-Za-z0-9]{1,31});/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** An entity's text; a named one not known here (`&shy;`, `&ZeroWidthSpace;`: mostly invisible) is dropped. */
function decodeEntity(_: string, dec: string | undefined, hex: string | undefined, name: string | undefined): string {
  if (dec !== undefined) return safeCodePoint(Number(dec));
  if (hex !== undefined) return safeCodePoint(parseInt(hex, 16));
  return NAMED[name!] ?? '';
}

/**
 * A word as a reader sees it, to tell a look-alike of `Prohibited` / `Required`: link syntax
 * dropped (inline images whole), entities decoded in one pass (`&amp;shy;` shows as `&shy;`),
 * and what renders as nothing dropped (default-ignorable code points: format characters, the
 * combining grapheme joiner, variation selectors, Hangul fillers). Else `**&#80;rohibited:**` under
 * `## Required`, or a heading `## Prohi&shy;bited`, passes lint silently while its bullets
 * are enforced inverted or never. Only the start of a long text is read (the first words
 * decide; the link pattern stays linear).
 */
export function seenAs(text: string): string {
  return text.slice(0, MAX_DECORATED_TITLE)
    // An inline image shows a picture, not its alt text (`![Required](badge.svg)`); `![x]`
    // alone, a reference one (its definition may be missing) or an escaped `\!` shows text.
    .replace(/(?<!\\)!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(LINK, '$1')
    .replace(ANY_ENTITY, decodeEntity)
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '');
}

function safeCodePoint(n: number): string {
  return n > 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : '\ufffd';
}

/**
 * The clause title (`Prohibited` / `Required`) of a heading that sits inside a quote or a list
 * item: `> ## Prohibited`, `- ## Required`, or such text over `---` in one. Undefined otherwise.
 */
export function nestedClauseHeading(line: string, next: string | undefined): string | undefined {
  let rest = line;
  let nested = false;
  let itemWidth = 0; // columns a list item's continuation lines are indented by
  let depth = 0;
  for (let m = CONTAINER_PREFIX.exec(rest); m; m = CONTAINER_PREFIX.exec(rest)) {
    // Nested deeper than anyone writes by hand: not looked into further (each level copies the
    // line), and a clause title anywhere in it is taken as such a heading, not passed over.
    if (++depth > MAX_CONTAINER_DEPTH) {
      const word = /\b(prohibited|required)\b/i.exec(rest);
      return word ? SECTION_NAME[word[1].toLowerCase() as Clause] : undefined;
    }
    rest = rest.slice(m[0].length);
    nested = true;
    if (!m[0].trimStart().startsWith('>')) itemWidth += m[0].length;
  }
  if (!nested) return undefined;
  // Four columns or more past its container's marker, a line is indented code, not a heading.
  const h = indentOf(rest) >= 4 ? undefined : headingOf(rest);
  let title = h && h.level >= 2 ? h.title : undefined;
  if (title === undefined && next !== undefined && rest.trim() !== '') {
    // Its underline is in the same container: after the quote's `>`, indented into the item.
    const under = next.replace(QUOTE_MARKERS, '');
    if (/^[ \t]*-+[ \t]*$/.test(under) && indentOf(under) >= itemWidth && (itemWidth > 0 || under !== next)) title = rest.trim();
  }
  const clause = title === undefined ? undefined : clauseOf(title);
  return clause && SECTION_NAME[clause];
}

/**
 * A clause heading indented into the list item above (`- a …` then `  ## Prohibited`, a blank
 * line between or not): to CommonMark it is inside that item.
 */
export function indentedClauseHeading(line: string, itemIndent: number): string | undefined {
  const past = indentOf(line) - itemIndent;
  // Four columns or more past the item's text, a line is indented code, not a heading.
  if (itemIndent === 0 || past < 0 || past >= 4) return undefined;
  const h = headingOf(line.trimStart());
  const clause = h && h.level >= 2 ? clauseOf(h.title) : undefined;
  return clause && SECTION_NAME[clause];
}
