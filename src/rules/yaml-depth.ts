// A conservative nesting-depth estimate for YAML text, checked BEFORE the `yaml` package sees it.
// The package recurses per nesting level; it catches its own stack overflow, but a second deep
// document in the same process then crashed Node outright (V8 "RegExpCompiler Allocation failed"
// while the stack was exhausted). A server must not crash on a rule upload, so deep text is
// refused up front. The estimate may over-count (brackets in plain scalars), never under-count.

/**
 * Where the nesting the text could have first goes past `limit` (-1 if it never does), for the
 * diagnostic to point at. Nesting: flow brackets (outside quotes and comments) plus, per line,
 * its indentation and its compact `- ` markers.
 */
export function yamlTooDeepAt(text: string, limit: number): number {
  let flow = 0;
  let deepest = 0;
  let tooDeepAt = -1;
  let lineStart = true;
  let block = 0;
  let markers = false; // compact `- ` / `? ` / `: ` markers on this line, content or not
  let contentStart = 0; // where this line's content begins (after indentation and markers)
  const count = (at: number): void => {
    deepest = Math.max(deepest, flow + block);
    if (tooDeepAt < 0 && deepest > limit) tooDeepAt = at;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\r' && text[i + 1] === '\n') continue; // CRLF: the LF ends the line
    if (c === '\n' || c === '\r') {
      // Markers alone on a line (`- - - -`) nest as deep as with content after them.
      if (lineStart && markers) count(i);
      lineStart = true;
      markers = false;
      block = 0;
      continue;
    }
    if (lineStart) {
      if (c === ' ' || c === '\t') { block++; continue; }
      if ((c === '-' || c === '?' || c === ':') && (text[i + 1] === ' ' || text[i + 1] === '\t')) { block++; markers = true; i++; continue; }
      lineStart = false;
      contentStart = i;
      // A comment line is no content: its indentation nests nothing (markers before it do).
      if (c === '#') {
        if (markers) count(i);
        i = skipToEol(text, i) - 1;
        continue;
      }
    }
    const at = i;
    // A quote opens a quoted scalar only where a scalar starts; in plain text (`don't`,
    // `a:"`, `a - "`) it is a character, and skipping to the next one hid every bracket
    // between. And a skip never crosses a line break: what a quote could hide
    // is the rest of its line, where a plain scalar holds no nesting.
    if ((c === '"' || c === "'") && opensQuote(text, i, contentStart, flow > 0)) i = skipQuoted(text, i);
    else if (c === '#' && (text[i - 1] === ' ' || text[i - 1] === '\t')) { count(at); i = skipToEol(text, i) - 1; continue; }
    else if (c === '[' || c === '{') flow++;
    else if ((c === ']' || c === '}') && flow > 0) flow--;
    count(at);
  }
  if (lineStart && markers) count(text.length);
  return tooDeepAt;
}

/**
 * Whether the quote at `at` starts a quoted scalar: the line's first content, right after a
 * flow indicator (`[ { ,`), after `: `, or in block context after a `- ` or `? ` standing
 * alone. Anywhere else it is a character of plain text; taken for a quote there, it would
 * hide brackets the yaml package reads.
 */
function opensQuote(text: string, at: number, contentStart: number, inFlow: boolean): boolean {
  let p = at - 1;
  while (p >= contentStart && (text[p] === ' ' || text[p] === '\t')) p--;
  if (p < contentStart) return true;
  if (text[p] === '[' || text[p] === '{' || text[p] === ',') return true;
  if (p === at - 1) return false; // `a:"`, `a-"`: part of a plain scalar
  if (text[p] === ':') return true; // a value after its key
  // `- ` and `? ` start a scalar only in block context (in a flow, `a - "x, [[` is plain text
  // followed by nesting), and only standing alone.
  return !inFlow && (text[p] === '-' || text[p] === '?') && (p === contentStart || text[p - 1] === ' ' || text[p - 1] === '\t');
}

/** The closing quote's index, or the end of the line (the skip never crosses a line break). */
function skipQuoted(text: string, at: number): number {
  const q = text[at];
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\n' || text[i] === '\r') return i - 1;
    if (q === '"' && text[i] === '\\') {
      if (text[i + 1] === '\n' || text[i + 1] === '\r') return i; // an escaped line break ends the line too
      i++;
    }
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

/** Where the line of `at` ends: its LF or lone CR, or the end of the text. */
function skipToEol(text: string, at: number): number {
  for (let i = at; i < text.length; i++) if (text[i] === '\n' || text[i] === '\r') return i;
  return text.length;
}
