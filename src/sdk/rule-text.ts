// A RuleDraft written as JSON, YAML or MDC (SPEC §3.2, §3.3). Each text, read back by the rule
// loader, gives the same normalized rule (test/sdk/rule-roundtrip.test.ts checks this on
// generated rules). MDC puts clauses in Markdown where Markdown can hold them exactly; a message
// or expression that Markdown would change (a newline, a trailing `:`) sends that clause list
// to the front matter instead, which holds any value.

import { stringify, type ScalarTag } from 'yaml';
import { withoutTrailingHtmlComments } from '../rules/mdc-bullets.js';
import { FLOAT_TAG, yaml11Float } from '../rules/yaml.js';
import { orderedDraft, type RuleDraft } from './rule-draft.js';

/** @example draftToJson({ rule_id: 'r', prohibited: [{ message: 'm', when: 'true' }] }) */
export function draftToJson(d: RuleDraft): string {
  return JSON.stringify(orderedDraft(d), null, 2) + '\n';
}

/** @example draftToYaml({ rule_id: 'r', prohibited: [{ message: 'm', when: 'true' }] }) */
export function draftToYaml(d: RuleDraft): string {
  return yaml(orderedDraft(d));
}

// lineWidth 0: never fold, so each expression stays on one line as written. blockQuote false:
// multi-line strings are written double-quoted with `\n` escapes, because a block scalar does
// not survive every reader: `yaml` itself reads a `|+` line of only spaces back as empty, and
// the MDC front matter reaches the YAML reader without its last line break, which a `|+`
// scalar at the end would lose.
function yaml(v: unknown): string {
  return stringify(v, { lineWidth: 0, blockQuote: false, customTags: (tags) => [exponentNumber, ...tags] });
}

/**
 * A number `yaml` would write with an exponent (`1e-7`, `1e+21`), written with a dot and a
 * signed one (`1.0e-7`): the rule loader refuses the former (YAML 1.1 reads it as a string).
 */
const exponentNumber: ScalarTag = {
  tag: FLOAT_TAG,
  default: true,
  identify: (value) => typeof value === 'number' && Number.isFinite(value) && String(value).includes('e'),
  test: /^(?!)/, // writing only: reading is the core schema's
  resolve: (text) => Number(text),
  stringify: ({ value }) => yaml11Float(value as number),
};

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** What the MDC reader strips between a message and its expression (src/rules/mdc-bullets.ts). */
const JOINING_END = /[\s:;,—–-]$/;

/**
 * Text that opens a block of its own in Markdown (a heading, quote, list item, fence or HTML
 * block): inside a bullet it would nest that block there, which the MDC reader refuses or reads
 * differently (`- ## Required` is a heading inside a list item).
 */
const BLOCK_START = /^(?:#{1,6}(?:\s|$)|>|[-*+](?:\s|$)|\d{1,9}[.)](?:\s|$)|`{3}|~{3}|<)/;

/** Markdown keeps this text as is when it is a heading or a bullet's message. */
function plainLine(s: string): boolean {
  return s !== '' && s === s.trim() && !CONTROL.test(s) && !BLOCK_START.test(s);
}

function headingSafe(name: string): boolean {
  return plainLine(name) && !name.endsWith('#');
}

function messageSafe(m: string): boolean {
  // A backtick in the message pairs with the expression's opening one, as CommonMark reads
  // left to right (`- A\` \`x\`` holds the span "` `"): such a clause goes in the front matter.
  return plainLine(m) && !JOINING_END.test(m) && !m.includes('`');
}

/**
 * An advisory bullet is one that does NOT end in a code span, as the reader sees its end: after
 * the HTML comments it ends with are dropped (`… \`x\` <!-- see wiki -->` is enforced).
 */
function advisorySafe(a: string): boolean {
  return plainLine(a) && !withoutTrailingHtmlComments(a).endsWith('`');
}

function exprSafe(e: string): boolean {
  return e.trim() !== '' && !CONTROL.test(e);
}

/**
 * A CommonMark code span holding `s` exactly: a longer backtick run, padded when needed.
 * @example codeSpan('a == "`"') // '`` a == "`" ``'
 */
export function codeSpan(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  // One space each side is stripped by the reader when both are there; pad when the content
  // touches a backtick or would itself lose a space at both ends.
  const pad = longest > 0 || (s.startsWith(' ') && s.endsWith(' ')) ? ' ' : '';
  return fence + pad + s + pad + fence;
}

/** A fence no line of `body` can close early. */
function fenceFor(body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** @example draftToMdc({ rule_id: 'r', name: 'R', prohibited: [{ message: 'No', when: 'true' }] }) */
export function draftToMdc(d: RuleDraft): string {
  const front: RuleDraft = { ...d };
  const body: string[] = [];
  delete (front as Partial<RuleDraft>).rule_id;
  delete front.conditions;

  if (d.name !== undefined && headingSafe(d.name)) {
    delete front.name;
    body.push(`# ${d.name}`, '');
  }
  body.push(`**Rule ID:** \`${d.rule_id}\``, '');

  const prohibited = d.prohibited ?? [];
  const required = d.required ?? [];
  const advisory = d.advisory ?? [];
  const prohibitedInBody = prohibited.length > 0 && prohibited.every((c) => messageSafe(c.message) && exprSafe(c.when));
  const requiredInBody = required.length > 0 && required.every((c) => messageSafe(c.message) && exprSafe(c.check));
  const advisoryInBody = advisory.length > 0 && advisory.every(advisorySafe);
  if (prohibitedInBody) {
    delete front.prohibited;
    body.push('## Prohibited');
    for (const c of prohibited) body.push(`- ${c.message} ${codeSpan(c.when)}`);
    body.push('');
  }
  if (requiredInBody || advisoryInBody) {
    body.push('## Required');
    if (requiredInBody) {
      delete front.required;
      for (const c of required) body.push(`- ${c.message} ${codeSpan(c.check)}`);
    }
    if (advisoryInBody) {
      delete front.advisory;
      for (const a of advisory) body.push(`- ${a}`);
    }
    body.push('');
  }
  if (d.conditions && d.conditions.length > 0) {
    const block = yaml(d.conditions);
    const fence = fenceFor(block);
    body.push(`${fence}yaml conditions`, block.trimEnd(), fence, '');
  }

  const fm = orderedDraft(front);
  const head = Object.keys(fm).length > 0 ? `---\n${yaml(fm)}---\n\n` : '';
  return head + body.join('\n').trimEnd() + '\n';
}
