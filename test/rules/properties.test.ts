// The readers face rule text from anyone (files, HTTP PUT): whatever the text, they return
// diagnostics and never throw, and every diagnostic points inside the file.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/ir/types.js';
import { readJson } from '../../src/rules/json.js';
import { parseRuleFile } from '../../src/rules/load.js';
import { plain } from './helpers.js';

const FIX = 'test/fixtures/rules';
const SEEDS: Record<string, string> = {
  'db-access.mdc': readFileSync(`${FIX}/valid/db-access.mdc`, 'utf8'),
  'orm.mdc': readFileSync(`${FIX}/advisory/orm.mdc`, 'utf8'),
  'multi.yaml': readFileSync(`${FIX}/valid/multi.yaml`, 'utf8'),
  'api.yaml': readFileSync(`${FIX}/valid/api.yaml`, 'utf8'),
  'bad.yaml': readFileSync(`${FIX}/broken/bad.yaml`, 'utf8'),
  'list.json': readFileSync(`${FIX}/valid/list.json`, 'utf8'),
};

/** Every diagnostic is well formed and points at a real line of the file (or just past its end). */
function checkDiagnostics(ds: Diagnostic[], path: string, text: string): void {
  const lineCount = text.split('\n').length;
  for (const d of ds) {
    expect(d.code).not.toBe('reader-failure');
    expect(['error', 'warning']).toContain(d.severity);
    expect(d.span.file).toBe(path);
    expect(d.span.line).toBeGreaterThanOrEqual(1);
    expect(d.span.line).toBeLessThanOrEqual(lineCount + 1);
    expect(d.span.col).toBeGreaterThanOrEqual(1);
    expect(d.message).not.toMatch(/\.$/);
  }
}

/** Text made of the characters rule syntax is made of, so the readers get past their first byte. */
const syntaxy = fc.string({
  unit: fc.constantFrom(...'{}[]:,"\'`-#*\n  \tab_01.!&|=<>()\\|>~\u00e9\u0000'.split(''), 'rule_id', '---', '## Prohibited', '- x `a == 1`', 'true', 'null', '```yaml conditions'),
  maxLength: 200,
});

/** A small edit of a valid file: delete, insert, duplicate or swap. */
const mutation = fc.record({
  seed: fc.constantFrom(...Object.keys(SEEDS)),
  at: fc.nat(),
  len: fc.nat({ max: 12 }),
  insert: fc.string({ maxLength: 8 }),
  kind: fc.constantFrom('delete', 'insert', 'replace', 'duplicate'),
});

function mutate(m: { seed: string; at: number; len: number; insert: string; kind: string }): string {
  const t = SEEDS[m.seed];
  const i = m.at % (t.length + 1);
  const j = Math.min(t.length, i + m.len);
  switch (m.kind) {
    case 'delete': return t.slice(0, i) + t.slice(j);
    case 'insert': return t.slice(0, i) + m.insert + t.slice(i);
    case 'replace': return t.slice(0, i) + m.insert + t.slice(j);
    default: return t.slice(0, j) + t.slice(i, j) + t.slice(j);
  }
}

describe('readers never throw', () => {
  for (const ext of ['json', 'yaml', 'mdc']) {
    it(`parseRuleFile on arbitrary .${ext} text returns diagnostics`, () => {
      fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), syntaxy), (text) => {
        const path = `r.${ext}`;
        const r = parseRuleFile({ path, text });
        checkDiagnostics(r.diagnostics, path, text);
        // A file either loads rules cleanly or says why not.
        if (r.rules.length === 0) expect(r.diagnostics.length).toBeGreaterThan(0);
      }), { numRuns: 1000 });
    });
  }

  it('parseRuleFile on mutated valid files returns diagnostics', () => {
    fc.assert(fc.property(mutation, (m) => {
      const text = mutate(m);
      const r = parseRuleFile({ path: m.seed, text });
      checkDiagnostics(r.diagnostics, m.seed, text);
    }), { numRuns: 1000 });
  });
});


describe('readJson agrees with JSON.parse', () => {
  it('reads any JSON value exactly as JSON.parse does', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 6 }), (text) => {
      const r = readJson(text, 'r.json');
      // Whole numbers a double rounds are refused for rules (invalid-number), and still read as JSON.parse reads them.
      expect(r.diagnostics.filter((d) => d.code !== 'invalid-number')).toEqual([]);
      expect(plain(r.values[0])).toEqual(JSON.parse(text));
    }), { numRuns: 1000 });
  });

  it('rejects exactly the texts JSON.parse rejects (duplicate keys aside)', () => {
    const nearJson = fc.tuple(fc.json({ maxDepth: 3 }), fc.nat(), fc.constantFrom('', ' ', ',', '}', ']', '"', '\\', '0', '-', 'e', '.', 'tru'))
      .map(([t, at, s]) => { const i = at % (t.length + 1); return t.slice(0, i) + s + t.slice(i); });
    fc.assert(fc.property(fc.oneof(nearJson, fc.string({ maxLength: 30 })), (text) => {
      let parses = true;
      try { JSON.parse(text); } catch { parses = false; }
      const syntax = readJson(text, 'r.json').diagnostics.some((d) => d.code === 'json-syntax');
      expect(syntax).toBe(!parses);
    }), { numRuns: 2000 });
  });
});
