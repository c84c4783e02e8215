// The front matter of an MDC rule file: the YAML between a first line `---` and the next `---`
// (or `...`), read in place so its spans point into the file, and the `---` blocks that look
// like front matter but are not (too late in the file, or opened by another line), which it warns of.
//
// The design named gray-matter for the front matter. It is not used: it `require`s `fs` when
// loaded, which the web-standard core cannot carry to Workers and browsers, and it parses with
// js-yaml, which keeps no source positions. Splitting at the `---` lines takes a few lines here.

import type { Diagnostic } from '../ir/types.js';
import { addError, lineSpan } from './mdc-report.js';
import type { RawEntry } from './raw.js';
import { readYaml } from './yaml.js';

/** The front matter's map of rule fields (null: YAML that does not parse), and where the body starts. */
export interface FrontMatter {
  map: RawEntry[] | null;
  bodyStart: number;
}

/** A top-level `globs:` whose plain value starts with `*`, as Cursor writes it. */
const CURSOR_GLOBS = /^(globs:[ \t]+)(\*[^#]*)$/;

/**
 * The front matter of an MDC file split into `lines`: its map (empty when absent; null when its
 * YAML does not parse) and the body's first line, or null when it is not closed.
 */
export function readFrontMatter(lines: string[], file: string, diagnostics: Diagnostic[]): FrontMatter | null {
  if (lines[0]?.trimEnd() !== '---') {
    // Blank lines before it make a `---` block Markdown (a rule line), not front matter: its
    // fields (rule_id…) would be missed with only "missing rule_id" to say why.
    const first = lines.findIndex((l) => l.trim() !== '');
    const close = first < 0 ? -1 : lines.findIndex((l, i) => i > first && l.trim() === '---');
    const block = lines.slice(first + 1, close < 0 ? first + 1 : close);
    // A block of `key: value` lines (a Cursor header: description, globs, alwaysApply), or one
    // naming a rule_id, was meant as front matter; a rule line over prose was not.
    const yamlish = block.some((l) => /^[A-Za-z_][\w-]*\s*:/.test(l)) && block.every((l) => l.trim() === '' || /^[A-Za-z_][\w-]*\s*:|^\s+\S|^\s*-\s|^\s*#/.test(l));
    // An opener other than a bare `---` (`--- # config`, `---yaml`, `----`) is no front
    // matter either (else its conditions are dropped with no word).
    const opener = lines[first]?.trim() ?? '';
    if (/^-{3,}/.test(opener) && close > 0 && (yamlish || block.some((l) => /^\s*rule_id\s*:/.test(l)))) {
      const where = opener === '---'
        ? { message: 'this `---` is not front matter: front matter opens with `---` at the very start of the file', help: 'remove what is above it (blank lines, spaces)' }
        : { message: `\`${opener}\` does not open front matter: only a line of exactly \`---\` does`, help: 'write the first line as `---` alone' };
      // Rule fields lost with it (a scope, conditions, clauses) change what the rule enforces:
      // an error; a Cursor header of description only, a warning.
      const lost = block.some((l) => /^(?!description\s*:)[A-Za-z_][\w-]*\s*:/.test(l));
      diagnostics.push({ severity: lost ? 'error' : 'warning', code: 'mdc-front-matter', ...where, span: lineSpan(file, first, 0, opener.length) });
    }
    return { map: [], bodyStart: 0 };
  }
  const end = lines.findIndex((l, i) => i > 0 && /^(---|\.\.\.)\s*$/.test(l));
  if (end < 0) {
    addError(diagnostics, lineSpan(file, 0, 0), 'mdc-front-matter', 'front matter is not closed', 'end it with a line `---`');
    return null;
  }
  // Each front matter line ends in a newline in the file (a `|+` scalar keeps the last one).
  // Cursor writes `globs: *.ts,*.tsx` unquoted, which YAML reads as an alias: such a value is
  // read as the string it is (quoted here, so its columns move by one).
  // Not when the front matter defines an anchor of that name: then it is a real alias.
  const fm = lines.slice(1, end);
  // Collected once: a search of every line for each `globs:` line was quadratic (0.7 s for
  // 6 000 of them).
  const anchors = new Set(Array.from(fm.join('\n').matchAll(/&([^\s,[\]{}]+)/g), (m) => m[1]));
  const anchored = (value: string): boolean => anchors.has(/^\*([^\s,[\]{}]*)/.exec(value)![1]);
  const yamlLines = fm.map((l) => {
    const m = CURSOR_GLOBS.exec(l);
    return m && !anchored(m[2]) ? `${m[1]}${JSON.stringify(m[2].trimEnd())}` : l;
  });
  const yaml = readYaml(yamlLines.join('\n') + '\n', file, 2);
  for (const d of yaml.diagnostics) diagnostics.push(d);
  const value = yaml.values[0];
  if (value === undefined && yaml.diagnostics.some((d) => d.severity === 'error')) return { map: null, bodyStart: end + 1 };
  if (value && value.kind !== 'map') {
    addError(diagnostics, value.span, 'invalid-shape', 'front matter must be a map of rule fields');
    return { map: [], bodyStart: end + 1 };
  }
  return { map: value?.entries ?? [], bodyStart: end + 1 };
}
